/* Echo cancellation, noise suppression, gain control, high-pass filter and voice activity
 * detection for one call, on webrtc-audio-processing 0.3 (a C++ library; apm.cpp is the shim).
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
    int delay_agnostic;     /**< 1: the AEC finds the echo path delay itself (webrtc's delay-agnostic mode
                                 with its extended filter: 40–200 ms echoes at 8 kHz); the delay passed to
                                 vd_apm_process is then ignored. 0: it trusts that delay (cheaper). */
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

/** Feeds `frames` samples of the far end (what the caller hears) as the echo reference.
 *  `frames` is a multiple of 10 ms (sample_rate_hz / 100). Returns VD_OK, VD_EINVAL or VD_ESYS. */
int vd_apm_process_reverse(vd_apm *_Nonnull apm, const int16_t *_Nonnull far_end, size_t frames);

/** Processes `frames` samples of the near end (the caller's microphone) in place; `frames` is a
 *  multiple of 10 ms. `delay_ms` is the echo path delay estimate (render → capture). On return
 *  `*has_voice` is 1 when the last 10 ms held speech (0 when voice detection is off).
 *  Returns VD_OK, VD_EINVAL or VD_ESYS. */
int vd_apm_process(vd_apm *_Nonnull apm, int16_t *_Nonnull near_end, size_t frames, int delay_ms,
                   int *_Nonnull has_voice);

#ifdef __cplusplus
}
#endif
#endif
