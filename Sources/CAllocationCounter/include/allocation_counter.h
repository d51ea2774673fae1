#ifndef VOICED_ALLOCATION_COUNTER_H
#define VOICED_ALLOCATION_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

/// Counts heap allocations made by the calling thread between `vd_alloc_count_begin` and
/// `vd_alloc_count_end`: malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign and valloc
/// of the process go through this file's definitions (which call glibc's own) while the test binary
/// links it. Per thread, so other threads' allocations never count.
///
/// Not under AddressSanitizer or ThreadSanitizer, which replace malloc themselves:
/// `vd_alloc_count_available` then says false and nothing is counted.

/// Whether counting works in this build.
bool vd_alloc_count_available(void);
/// Starts counting on this thread (from 0).
void vd_alloc_count_begin(void);
/// Stops counting on this thread; returns the allocations made since `vd_alloc_count_begin`.
uint64_t vd_alloc_count_end(void);

#endif
