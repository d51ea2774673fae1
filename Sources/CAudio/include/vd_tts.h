/* Text-to-speech into 16-bit mono PCM, on libespeak-ng and libsamplerate (for the "demo" agent).
 *
 * espeak-ng synthesises at its native rate (22050 Hz with the stock data); each handle converts
 * that to its configured rate with a SRC_SINC_MEDIUM_QUALITY converter. The whole text is
 * rendered in one blocking call and returned as one malloc'd buffer: nothing is trimmed, so the
 * buffer keeps espeak-ng's own leading and trailing silence (about 15 ms before the speech and
 * 10 ms after; no sentence pause is added at the end). The output is not bit-reproducible from
 * one call to the next (espeak-ng carries some waveform state over), so compare it within tolerance.
 *
 * espeak-ng is process-global and not thread-safe. The first vd_tts_create in the process loads
 * its data (from $ESPEAK_DATA_PATH, else $HOME/espeak-ng-data, else the path built into the
 * library, /usr/lib/x86_64-linux-gnu/espeak-ng-data on Debian 12); the data then stays loaded
 * until the process exits, and a failed load is remembered (every later create fails the same way).
 *
 * Thread rule: any thread may call any function with any handle, also concurrently, except that a
 * handle must not be destroyed while a call on it is running; every espeak-ng call is serialised
 * internally by one process-wide mutex (a call waits while another thread's text is synthesised),
 * and resampling by a per-handle mutex (calls on different handles resample in parallel).
 * Realtime: nothing here is safe on a media thread: create and synthesize take locks, block, and
 * allocate; run them on a background thread.
 */
#ifndef VD_TTS_H
#define VD_TTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest text vd_tts_synthesize accepts, in bytes of UTF-8 (not counting the terminating NUL). */
enum { VD_TTS_MAX_TEXT_BYTES = 4096 };

typedef struct vd_tts vd_tts;

typedef struct vd_tts_config {
    const char *_Nullable voice; /**< espeak-ng voice, as `espeak-ng -v` takes it: a voice name ("en-us", "en",
                                      "de", "en-gb-x-rp") or a language ("en-gb"), optionally with "+variant"
                                      ("en-us+f3"); at most 59 bytes. NULL = "en-us". Copied at create. */
    int rate_wpm;                /**< Speaking rate in words per minute, 80…450; 0 = 165. */
    int sample_rate_hz;          /**< Output rate in Hz: 8000, 16000, 24000 or 48000. */
} vd_tts_config;

/** Loads espeak-ng on first use in the process, checks the voice exists, and allocates a handle.
 *  Returns NULL and sets `*err` on failure: VD_EINVAL for a config outside the ranges above or an
 *  unknown voice; VD_ESYS when espeak-ng cannot load its data (errno = ENOENT when the data
 *  files are missing) or libsamplerate fails; VD_ENOMEM. Blocks: the first call loads the data
 *  (about 10 ms), later ones only the voice (under 1 ms). MUST be freed with vd_tts_destroy(). */
__attribute__((warn_unused_result))
vd_tts *_Nullable vd_tts_create(const vd_tts_config *_Nonnull cfg, int *_Nullable err);

/** Frees a handle (no espeak-ng call, no lock). Accepts NULL. */
void vd_tts_destroy(vd_tts *_Nullable t);

/** Synthesises `utf8_text` (NUL-terminated UTF-8 plain text, no SSML, at most VD_TTS_MAX_TEXT_BYTES
 *  bytes) with the handle's voice and rate, and returns all of it at the handle's sample rate.
 *  Blocks until done and allocates: about 10 ms per second of speech at 8–24 kHz and 20 ms at
 *  48 kHz on one x86-64 core, of which about 1.5 ms is espeak-ng under the process-wide lock and
 *  the rest resampling; a 4096-byte text gives about 5 minutes of speech at 165 wpm.
 *  On VD_OK, `*out_samples` is a non-NULL malloc'd buffer of `*out_count` mono samples (a few
 *  ms of silence for empty text), which the caller MUST free with vd_tts_free_samples().
 *  On failure, returns VD_EINVAL (text too long), VD_ENOMEM (allocation failed), or VD_ESYS
 *  (espeak-ng or libsamplerate failed), and sets `*out_samples` to NULL and `*out_count` to 0. */
__attribute__((warn_unused_result))
int vd_tts_synthesize(vd_tts *_Nonnull t, const char *_Nonnull utf8_text,
                      int16_t *_Nullable *_Nonnull out_samples, size_t *_Nonnull out_count);

/** Frees a buffer returned by vd_tts_synthesize. Accepts NULL. */
void vd_tts_free_samples(int16_t *_Nullable samples);

#ifdef __cplusplus
}
#endif
#endif
