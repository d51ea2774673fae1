/* Tells, every 10 ms of a call, whether the caller is talking over the agent's echo, from what a
 * linear echo canceller made of the microphone signal.
 *
 * A linear canceller (speex's MDF) subtracts its estimate of the echo and leaves the rest: after it
 * has converged, over the agent alone that rest is 20–30 dB below the echo estimate; when the caller
 * talks it is the caller, as loud as the echo or louder. So a chunk is double talk when the far end
 * is audible, the linear output stands 10 dB above its own noise floor (and above -50 dBFS), no
 * louder than the microphone, within 10 dB of the echo estimate and 6 dB above what the canceller
 * usually leaves of the agent alone — but only once the canceller has shown, over the agent alone, that it removes
 * more than 12 dB (before that its output is echo, not caller). A decision holds for 100 ms.
 *
 * Thread rule: a detector is used by one thread at a time (the call's media thread).
 * Realtime: every function is safe (plain arithmetic on the struct).
 */
#ifndef VD_DOUBLE_TALK_H
#define VD_DOUBLE_TALK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A detector's state: set it up with vd_double_talk_init; the fields are its own. */
typedef struct vd_double_talk {
    double echo_energy, residual_energy; /* smoothed over single talk, for the canceller's ERLE */
    double linear_erle_db;
    double floor_db;                     /* the linear output's noise floor (minimum tracker) */
    int hold;                            /* chunks a double-talk decision still holds */
} vd_double_talk;

void vd_double_talk_init(vd_double_talk *_Nonnull detector);

/** One 10 ms chunk of `n` samples: the microphone signal, the linear canceller's output for it, and
 *  the far end as aligned for that canceller. Returns 1 when the caller talks over the echo. */
int vd_double_talk_update(vd_double_talk *_Nonnull detector, const int16_t *_Nonnull near_end,
                          const int16_t *_Nonnull linear_out, const int16_t *_Nonnull far_aligned, size_t n);

#ifdef __cplusplus
}
#endif
#endif
