#ifndef VOICED_FUZZER_DRIVER_H
#define VOICED_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver over `callback` (LLVMFuzzerRunDriver), when the executable was linked
/// with libFuzzer (`-sanitize=fuzzer`: scripts/fuzz). Otherwise says so and returns 2: a normal
/// build still links, the fuzzer just is not there.
int vd_fuzzer_run(int *_Nonnull argc, char *_Nullable *_Nonnull *_Nonnull argv,
                  int (*_Nonnull callback)(const uint8_t *_Nullable data, size_t size));

#endif
