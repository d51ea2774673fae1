/* Estimates the echo path delay of a call: how long after the agent's audio starts playing to the
 * caller it comes back in the caller's microphone (the network both ways, the provider's buffers,
 * the handset). webrtc's canceller cancels well only when told this delay to within a few tens of
 * milliseconds, and on phone calls it ranges from 20 to 500 ms and is known to nobody.
 *
 * Method: every 10 ms the log energy of the far end (what started playing) and of the near end
 * (what came back at the same moment) is taken; the normalized cross-covariance of the two energy
 * envelopes is kept for every lag from 0 to max_delay_ms in 10 ms steps, averaged over the last
 * ~3 s in which the far end was audible (a running mean at first, so it locks within a second of
 * agent speech). The estimate is the lag with the highest correlation once that exceeds 0.3; a new
 * lag replaces it only when it correlates clearly better (hysteresis). Speech envelopes survive
 * the echo path's filtering, soft clipping and noise, so the peak stands at the true delay; the
 * caller talking at the same time lowers the correlation but does not move the peak.
 *
 * Thread rule: a handle is used by one thread at a time (the call's media thread).
 * Realtime: update and reset are safe (fixed arrays, no allocation); create/destroy are not.
 */
#ifndef VD_ECHO_DELAY_H
#define VD_ECHO_DELAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vd_echo_delay vd_echo_delay;

/** Longest delay a handle can find, in ms. */
#define VD_ECHO_DELAY_MAX_MS 630

/** Allocates an estimator for `sample_rate_hz` (8000 or 16000) and delays up to `max_delay_ms`
 *  (10 … VD_ECHO_DELAY_MAX_MS). Returns NULL and sets `*err` (VD_EINVAL, VD_ENOMEM) on failure.
 *  MUST be freed with vd_echo_delay_destroy(). */
__attribute__((warn_unused_result))
vd_echo_delay *_Nullable vd_echo_delay_create(int sample_rate_hz, int max_delay_ms, int *_Nullable err);
/** Frees a handle. Accepts NULL. */
void vd_echo_delay_destroy(vd_echo_delay *_Nullable estimator);

/** Takes one 10 ms chunk (sample_rate_hz / 100 samples each) of the far end that started playing
 *  and of the near end that arrived at the same moment (before any processing). Returns the
 *  estimate in ms after it, or -1 while there is none yet. */
int vd_echo_delay_update(vd_echo_delay *_Nonnull estimator, const int16_t *_Nonnull far_end,
                         const int16_t *_Nonnull near_end);
/** The current estimate in ms, or -1 while there is none yet. */
int vd_echo_delay_estimate(const vd_echo_delay *_Nonnull estimator);
/** How strongly the estimate's lag correlates now (0 … 1; 0 without an estimate). */
float vd_echo_delay_confidence(const vd_echo_delay *_Nonnull estimator);

#ifdef __cplusplus
}
#endif
#endif
