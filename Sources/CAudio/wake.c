/* eventfd / timerfd / poll wrappers; see vd_wake.h. */
#define _GNU_SOURCE
#include "vd_wake.h"
#include "vd_error.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int vd_eventfd_create(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? VD_ESYS : fd;
}

int vd_eventfd_signal(int fd) {
    uint64_t one = 1;
    for (;;) {
        ssize_t n = write(fd, &one, sizeof(one));
        if (n == sizeof(one)) return VD_OK;
        if (n < 0 && errno == EINTR) continue;
        /* EAGAIN means the counter is at its maximum: the waiter is already woken. */
        return (n < 0 && errno == EAGAIN) ? VD_OK : VD_ESYS;
    }
}

static int64_t drain_counter(int fd) {
    uint64_t value = 0;
    for (;;) {
        ssize_t n = read(fd, &value, sizeof(value));
        if (n == sizeof(value)) return (int64_t)value;
        if (n < 0 && errno == EINTR) continue;
        return (n < 0 && errno == EAGAIN) ? 0 : VD_ESYS;
    }
}

int64_t vd_eventfd_drain(int fd) { return drain_counter(fd); }
int64_t vd_timerfd_drain(int fd) { return drain_counter(fd); }

int vd_timerfd_set_period(int fd, uint64_t period_ns) {
    if (period_ns == 0) return VD_EINVAL;
    struct timespec period = {.tv_sec = (time_t)(period_ns / 1000000000u), .tv_nsec = (long)(period_ns % 1000000000u)};
    struct itimerspec spec = {.it_interval = period, .it_value = period};
    return timerfd_settime(fd, 0, &spec, NULL) == 0 ? VD_OK : VD_ESYS;
}

int vd_timerfd_create(uint64_t period_ns) {
    if (period_ns == 0) return VD_EINVAL;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return VD_ESYS;
    if (vd_timerfd_set_period(fd, period_ns) != VD_OK) {
        close(fd);
        return VD_ESYS;
    }
    return fd;
}

int vd_wait(int event_fd, int timer_fd, int timeout_ms) {
    struct pollfd fds[2] = {{.fd = event_fd, .events = POLLIN}, {.fd = timer_fd, .events = POLLIN}};
    int n = poll(fds, 2, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : VD_ESYS;
    int mask = 0;
    if (fds[0].revents & POLLIN) mask |= VD_WAIT_EVENT;
    if (fds[1].revents & POLLIN) mask |= VD_WAIT_TIMER;
    return mask;
}

void vd_fd_close(int fd) {
    if (fd >= 0) close(fd);
}

uint64_t vd_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void vd_thread_set_name(const char *name) {
    char short_name[16];
    strncpy(short_name, name, sizeof(short_name) - 1);
    short_name[sizeof(short_name) - 1] = 0;
    pthread_setname_np(pthread_self(), short_name);
}
