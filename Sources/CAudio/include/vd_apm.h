/* Echo cancellation, noise suppression, gain control, high-pass filter and voice activity
 * detection for one call, on webrtc-audio-processing 0.3 (a C++ library; apm.cpp is the shim) and
 * speex's linear echo canceller (libspeexdsp), which keeps a caller who talks over the agent whole
 * (vd_double_talk.h; apm.cpp's opening comment draws the chain).
 *
 * The far end is queued, not processed, when it is handed over: it is what the provider is about
 * to play, and the caller hears it one 10 ms chunk per 10 ms of near end that comes back. So each
 * near-end chunk is processed right after the far-end chunk that started playing with it (silence
 * when the queue is empty), and the echo path delay the canceller sees is the phone path's own,
 * however far ahead of playback the downlink runs. With `estimate_delay` that delay is measured
 * (vd_echo_delay.h) and given to webrtc, which then cancels echoes from 0 to 500 ms.
 *
 * Every component is configured in vd_apm_create (enabling a component allocates inside webrtc);
 * afterwards only the per-frame calls below run. The shim catches every C++ exception and returns
 * VD_ESYS instead.
 *
 * Thread rule: a handle is used by one thread at a time (in voiced, the call's media thread, which
 * runs both directions) and never serves two calls.
 * Realtime: process_reverse and process do not allocate in voiced's use (checked by a benchmark);
 * create/destroy do.
 */
#ifndef VD_APM_H
#define VD_APM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vd_apm vd_apm;

typedef struct vd_apm_config {
    int sample_rate_hz;     /**< 8000 or 16000 (mono). */
    int echo_cancellation;  /**< 1: AEC on the far-end reference passed to vd_apm_process_reverse. */
    int estimate_delay;     /**< 1: the echo path delay is estimated from the two streams (0–500 ms); the
                                 delay passed to vd_apm_process is used only until the first estimate.
                                 0: the AEC trusts that delay. */
    int echo_suppression;   /**< How hard the AEC suppresses what its filter left: 1 low, 2 moderate,
                                 3 high (webrtc's NLP; more removes more echo and more of a caller who
                                 talks over the agent). */
    int noise_suppression;  /**< 0 off; 1 low, 2 moderate, 3 high, 4 very high. */
    int gain_control;       /**< 1: adaptive digital AGC. */
    int high_pass;          /**< 1: high-pass filter (removes DC and rumble). */
    int voice_detection;    /**< 0 off; 1 very low … 4 high likelihood threshold. */
} vd_apm_config;

/** Allocates and configures. Returns NULL and sets `*err` (VD_EINVAL, VD_ESYS) on failure. MUST be freed with vd_apm_destroy(). */
__attribute__((warn_unused_result))
vd_apm *_Nullable vd_apm_create(const vd_apm_config *_Nonnull cfg, int *_Nullable err);
/** Frees a handle. Accepts NULL. */
void vd_apm_destroy(vd_apm *_Nullable apm);

/** Queues `frames` samples of the far end (what the caller is about to hear) as the echo reference.
 *  `frames` is a multiple of 10 ms (sample_rate_hz / 100). The queue holds 2 s; beyond that the
 *  oldest audio is dropped (the near end stopped coming). Ignored when echo_cancellation is 0.
 *  Returns VD_OK or VD_EINVAL. */
int vd_apm_process_reverse(vd_apm *_Nonnull apm, const int16_t *_Nonnull far_end, size_t frames);

/** Processes `frames` samples of the near end (the caller's microphone) in place, each 10 ms after
 *  the next 10 ms of the queued far end; `frames` is a multiple of 10 ms, or of 20 ms with echo
 *  cancellation. `delay_ms` is the echo
 *  path delay (render → capture) to trust, or to start from with `estimate_delay`. On return
 *  `*has_voice` is 1 when the last 10 ms held speech (0 when voice detection is off).
 *  Returns VD_OK, VD_EINVAL or VD_ESYS. */
int vd_apm_process(vd_apm *_Nonnull apm, int16_t *_Nonnull near_end, size_t frames, int delay_ms,
                   int *_Nonnull has_voice);

/** The echo path delay the canceller uses now, in ms: the estimate, or the delay last passed to
 *  vd_apm_process while there is none. */
int vd_apm_echo_delay_ms(const vd_apm *_Nonnull apm);

/** The echo path delay estimated so far, in ms (with estimate_delay), or -1 while there is none. */
int vd_apm_echo_delay_estimate_ms(const vd_apm *_Nonnull apm);
/** How strongly the far end's and the near end's envelopes correlate at that delay now (0 … 1). */
float vd_apm_echo_delay_confidence(const vd_apm *_Nonnull apm);

/** 10 ms chunks in which the caller talked over the echo, so far (the linear canceller's output went on). */
long vd_apm_double_talk_chunks(const vd_apm *_Nonnull apm);

#ifdef __cplusplus
}
#endif
#endif
