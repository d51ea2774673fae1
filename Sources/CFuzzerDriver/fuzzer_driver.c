#include "fuzzer_driver.h"

#include <stdio.h>

// libFuzzer's entry point for programs with their own main; weak, so a build without libFuzzer links.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t)) __attribute__((weak));

int vd_fuzzer_run(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t)) {
    if (!LLVMFuzzerRunDriver) {
        fputs("voiced-fuzz: built without libFuzzer; build and run it with scripts/fuzz\n", stderr);
        return 2;
    }
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
