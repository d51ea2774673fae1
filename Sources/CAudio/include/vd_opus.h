/* Opus encoding and decoding of 16-bit mono PCM, 20 ms at a time, on libopus.
 *
 * Thread rule: a handle is used by one thread at a time and never serves two streams.
 * Realtime: encode and decode do not allocate (libopus states are allocated at create); create and
 * destroy do.
 */
#ifndef VD_OPUS_H
#define VD_OPUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest packet vd_opus_encode writes for one frame, in bytes (libopus' own limit). */
enum { VD_OPUS_MAX_PACKET = 1275 };

typedef struct vd_opus_encoder vd_opus_encoder;
typedef struct vd_opus_decoder vd_opus_decoder;

/** An encoder for `rate_hz` (8000, 16000, 24000 or 48000) mono voice at `bitrate` bits/s (6000…510000).
 *  Returns NULL and sets `*err` (VD_EINVAL, VD_ESYS) on failure. MUST be freed with vd_opus_encoder_destroy(). */
__attribute__((warn_unused_result))
vd_opus_encoder *_Nullable vd_opus_encoder_create(int rate_hz, int bitrate, int *_Nullable err);
/** Accepts NULL. */
void vd_opus_encoder_destroy(vd_opus_encoder *_Nullable enc);
/** Encodes one frame of `frames` samples (20 ms: rate_hz / 50) into `packet` (capacity bytes, at
 *  most VD_OPUS_MAX_PACKET needed). Returns the packet length (> 0) or VD_EINVAL / VD_ESYS. */
__attribute__((warn_unused_result))
int vd_opus_encode(vd_opus_encoder *_Nonnull enc, const int16_t *_Nonnull pcm, size_t frames,
                   uint8_t *_Nonnull packet, size_t capacity);

/** A decoder producing `rate_hz` (8000, 16000, 24000 or 48000) mono. Returns NULL and sets `*err` on failure. */
__attribute__((warn_unused_result))
vd_opus_decoder *_Nullable vd_opus_decoder_create(int rate_hz, int *_Nullable err);
/** Accepts NULL. */
void vd_opus_decoder_destroy(vd_opus_decoder *_Nullable dec);
/** Decodes one packet into `frames` samples of `pcm`. A NULL packet (or length 0) means the packet
 *  was lost: libopus conceals it from its history (packet-loss concealment). Returns the samples
 *  written (`frames`) or VD_EINVAL / VD_ESYS (a corrupt packet). */
__attribute__((warn_unused_result))
int vd_opus_decode(vd_opus_decoder *_Nonnull dec, const uint8_t *_Nullable packet, size_t length,
                   int16_t *_Nonnull pcm, size_t frames);

/** Samples per channel `packet` holds when decoded at `rate_hz` (its duration: 320 for 20 ms at
 *  16 kHz), read from its table of contents without decoding; VD_EINVAL for an empty or malformed
 *  packet. Safe anywhere (no state, no allocation). */
__attribute__((warn_unused_result))
int vd_opus_packet_samples(const uint8_t *_Nonnull packet, size_t length, int rate_hz);

#ifdef __cplusplus
}
#endif
#endif
