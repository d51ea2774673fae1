/* Handing freed heap memory back to the kernel (glibc), and the process's resident size.
 *
 * Realtime: unsafe. malloc_trim walks every malloc arena under its lock and madvises free pages;
 * call it from a control or I/O thread, never a media thread.
 */
#ifndef VD_MEMORY_H
#define VD_MEMORY_H

#ifdef __cplusplus
extern "C" {
#endif

/** malloc_trim(0): returns every whole free page of every arena to the kernel. Returns 1 when
 *  memory was released, 0 when none was (or the C library is not glibc). */
int vd_malloc_trim(void);

/** Resident set size in KiB from /proc/self/statm, or -1. */
long vd_resident_kib(void);

#ifdef __cplusplus
}
#endif

#endif
