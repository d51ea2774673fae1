// Replaces the process's allocation functions with ones that count, per thread, then call glibc's
// own (`__libc_malloc` and friends, which glibc exports for exactly this). Linked into a test
// binary, the executable's definitions take precedence over libc's for every library loaded.
#include "allocation_counter.h"

#include <errno.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define VD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VD_SANITIZED 1
#endif
// glibc's __libc_* entry points are what the replacements call: elsewhere, nothing is counted.
#if !defined(__GLIBC__)
#define VD_SANITIZED 1
#endif

static _Thread_local int counting;
static _Thread_local uint64_t count;

#ifndef VD_SANITIZED

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define COUNT() do { if (counting) count++; } while (0)

void *malloc(size_t size) { COUNT(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { COUNT(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { COUNT(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { COUNT(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { COUNT(); return __libc_memalign(alignment, size); }
void *valloc(size_t size) { COUNT(); return __libc_memalign(4096, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    COUNT();
    void *p = __libc_memalign(alignment, size);
    if (!p && size) return ENOMEM;
    *out = p;
    return 0;
}

bool vd_alloc_count_available(void) { return true; }

#else

bool vd_alloc_count_available(void) { return false; }

#endif

void vd_alloc_count_begin(void) { count = 0; counting = 1; }

uint64_t vd_alloc_count_end(void) { counting = 0; return count; }
