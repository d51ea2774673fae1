/* G.711 μ-law (PCMU) and A-law (PCMA) codecs, exactly as shared/protocols.md §6 specifies.
 *
 * Thread rule: every function is pure and reentrant; call it from any thread.
 * Realtime: safe (no allocation, no locks, no syscalls). Decode is a 256-entry table lookup.
 */
#ifndef VD_G711_H
#define VD_G711_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Encodes one 16-bit signed PCM sample to μ-law (0 → 0xFF; silence byte is 0xFF). */
uint8_t vd_ulaw_encode_sample(int16_t sample);
/** Decodes one μ-law byte to 16-bit signed PCM (range ±32124). */
int16_t vd_ulaw_decode_sample(uint8_t byte);
/** Encodes one 16-bit signed PCM sample to A-law (0 → 0xD5; silence byte is 0xD5). */
uint8_t vd_alaw_encode_sample(int16_t sample);
/** Decodes one A-law byte to 16-bit signed PCM (range ±32256, no exact zero). */
int16_t vd_alaw_decode_sample(uint8_t byte);

/** Encodes `count` samples (mono, any rate) from `pcm` into `out` (`count` bytes). The buffers must not overlap. */
void vd_ulaw_encode(const int16_t *_Nonnull pcm, uint8_t *_Nonnull out, size_t count);
/** Decodes `count` μ-law bytes from `in` into `pcm` (`count` samples). The buffers must not overlap. */
void vd_ulaw_decode(const uint8_t *_Nonnull in, int16_t *_Nonnull pcm, size_t count);
/** Encodes `count` samples from `pcm` into `out` (`count` bytes) as A-law. The buffers must not overlap. */
void vd_alaw_encode(const int16_t *_Nonnull pcm, uint8_t *_Nonnull out, size_t count);
/** Decodes `count` A-law bytes from `in` into `pcm` (`count` samples). The buffers must not overlap. */
void vd_alaw_decode(const uint8_t *_Nonnull in, int16_t *_Nonnull pcm, size_t count);

#ifdef __cplusplus
}
#endif
#endif
