/* Wake-ups between threads (eventfd) and the media clock tick (timerfd), Linux only.
 *
 * Thread rule: an eventfd may be signalled from any thread and is drained by the one thread that
 * waits on it. A timerfd belongs to the thread that waits on it.
 * Realtime: signal, drain and wait are safe (one syscall each, no allocation); create/close are not.
 */
#ifndef VD_WAKE_H
#define VD_WAKE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A non-blocking, close-on-exec eventfd, or VD_ESYS. Close it with vd_fd_close. */
__attribute__((warn_unused_result)) int vd_eventfd_create(void);
/** Adds 1 to the eventfd's counter, waking its waiter. Returns VD_OK or VD_ESYS. */
int vd_eventfd_signal(int fd);
/** Reads and resets the counter; returns it (0 when nothing was signalled), or VD_ESYS. */
int64_t vd_eventfd_drain(int fd);

/** A non-blocking periodic timerfd on CLOCK_MONOTONIC with period `period_ns` (> 0), or VD_ESYS / VD_EINVAL. */
__attribute__((warn_unused_result)) int vd_timerfd_create(uint64_t period_ns);
/** Changes a timerfd's period to `period_ns` (> 0), starting a period from now. Returns VD_OK, VD_EINVAL or VD_ESYS. */
int vd_timerfd_set_period(int fd, uint64_t period_ns);
/** Reads the number of expirations since the last read (0 if none), or VD_ESYS. */
int64_t vd_timerfd_drain(int fd);

/** Bits returned by vd_wait. */
enum { VD_WAIT_EVENT = 1, VD_WAIT_TIMER = 2 };
/** Sleeps until `event_fd` or `timer_fd` is readable, or `timeout_ms` passes (-1: forever).
 *  Returns a mask of VD_WAIT_* bits (0 on timeout or EINTR), or VD_ESYS. */
int vd_wait(int event_fd, int timer_fd, int timeout_ms);

/** Closes a descriptor made here. Accepts negative values (does nothing). */
void vd_fd_close(int fd);

/** Names the calling thread (shown by top -H, perf, gdb); at most 15 bytes are kept. */
void vd_thread_set_name(const char *_Nonnull name);

/** CLOCK_MONOTONIC in nanoseconds (vDSO: no syscall). Realtime: safe. */
uint64_t vd_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
