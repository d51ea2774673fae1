/* Streaming sample-rate conversion of 16-bit mono PCM, on libsamplerate.
 *
 * One handle converts one stream: it keeps the filter history between calls, so feeding a signal
 * in 20 ms pieces gives the same output as feeding it whole (within rounding), with no clicks at
 * the joins. It never buffers blocks: every call returns exactly in_frames × out_rate / in_rate
 * frames (the rates must make that a whole number for the frame size used), the filter's delay
 * being carried as a constant group delay (vd_resampler_delay_frames) instead.
 *
 * Thread rule: a handle is used by one thread at a time and never serves two streams.
 * Realtime: process and reset are safe (no allocation, no locks, no syscalls); create/destroy are not.
 */
#ifndef VD_RESAMPLER_H
#define VD_RESAMPLER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vd_resampler vd_resampler;

/** Converter quality, from libsamplerate's sinc converters (delays measured at 8↔16 kHz). */
typedef enum vd_resampler_quality {
    VD_RESAMPLER_BEST = 0,   /**< SRC_SINC_BEST_QUALITY: 97 % passband, 18 ms delay, the most CPU. */
    VD_RESAMPLER_MEDIUM = 1, /**< SRC_SINC_MEDIUM_QUALITY: 90 % passband, 6 ms delay. */
    VD_RESAMPLER_FASTEST = 2 /**< SRC_SINC_FASTEST: 80 % passband, 2.6 ms delay. */
} vd_resampler_quality;

typedef struct vd_resampler_config {
    int in_rate_hz;           /**< 8000, 16000, 24000 or 48000. */
    int out_rate_hz;          /**< 8000, 16000, 24000 or 48000. */
    vd_resampler_quality quality;
    size_t max_in_frames;     /**< Largest in_frames a process call may pass (samples, mono), > 0. */
} vd_resampler_config;

/** Allocates a converter. Returns NULL and sets `*err` (VD_EINVAL, VD_ENOMEM) on failure. MUST be freed with vd_resampler_destroy(). */
__attribute__((warn_unused_result))
vd_resampler *_Nullable vd_resampler_create(const vd_resampler_config *_Nonnull cfg, int *_Nullable err);
/** Frees a converter. Accepts NULL. */
void vd_resampler_destroy(vd_resampler *_Nullable r);
/** Forgets the stream's history (silence before the next sample). Does not allocate. */
void vd_resampler_reset(vd_resampler *_Nonnull r);

/** Converts `in_frames` samples (≤ max_in_frames, in_frames × out/in a whole number) into `out`.
 *  Returns the frames written, always in_frames × out_rate / in_rate, or VD_EINVAL when the
 *  sizes break those rules, or VD_ESYS when libsamplerate fails. */
__attribute__((warn_unused_result))
int vd_resampler_process(vd_resampler *_Nonnull r, const int16_t *_Nonnull in, size_t in_frames,
                         int16_t *_Nonnull out, size_t out_capacity);

/** The constant delay the converter adds, in output frames (what to shift by to align output with input). */
int vd_resampler_delay_frames(const vd_resampler *_Nonnull r);

#ifdef __cplusplus
}
#endif
#endif
