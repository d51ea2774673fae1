/* libopus wrappers; the contract is in vd_opus.h. */
#include "vd_opus.h"
#include "vd_error.h"

#include <opus/opus.h>
#include <stdlib.h>

struct vd_opus_encoder { OpusEncoder *enc; size_t frame; };
struct vd_opus_decoder { OpusDecoder *dec; size_t frame; };

static int rate_ok(int hz) { return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000; }

vd_opus_encoder *vd_opus_encoder_create(int rate_hz, int bitrate, int *err) {
    int code = VD_OK;
    vd_opus_encoder *e = NULL;
    if (!rate_ok(rate_hz) || bitrate < 6000 || bitrate > 510000) { code = VD_EINVAL; goto out; }
    e = calloc(1, sizeof(*e));
    if (!e) { code = VD_ENOMEM; goto out; }
    int opus_err = 0;
    e->enc = opus_encoder_create(rate_hz, 1, OPUS_APPLICATION_VOIP, &opus_err);
    if (!e->enc || opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate)) != OPUS_OK) {
        vd_opus_encoder_destroy(e);
        e = NULL;
        code = VD_ESYS;
        goto out;
    }
    e->frame = (size_t)rate_hz / 50;
out:
    if (err) *err = code;
    return e;
}

void vd_opus_encoder_destroy(vd_opus_encoder *e) {
    if (!e) return;
    if (e->enc) opus_encoder_destroy(e->enc);
    free(e);
}

int vd_opus_encode(vd_opus_encoder *e, const int16_t *pcm, size_t frames, uint8_t *packet, size_t capacity) {
    if (frames != e->frame || capacity == 0) return VD_EINVAL;
    opus_int32 n = opus_encode(e->enc, pcm, (int)frames, packet, (opus_int32)(capacity > VD_OPUS_MAX_PACKET ? VD_OPUS_MAX_PACKET : capacity));
    return n > 0 ? (int)n : VD_ESYS;
}

vd_opus_decoder *vd_opus_decoder_create(int rate_hz, int *err) {
    int code = VD_OK;
    vd_opus_decoder *d = NULL;
    if (!rate_ok(rate_hz)) { code = VD_EINVAL; goto out; }
    d = calloc(1, sizeof(*d));
    if (!d) { code = VD_ENOMEM; goto out; }
    int opus_err = 0;
    d->dec = opus_decoder_create(rate_hz, 1, &opus_err);
    if (!d->dec) { free(d); d = NULL; code = VD_ESYS; goto out; }
    d->frame = (size_t)rate_hz / 50;
out:
    if (err) *err = code;
    return d;
}

void vd_opus_decoder_destroy(vd_opus_decoder *d) {
    if (!d) return;
    if (d->dec) opus_decoder_destroy(d->dec);
    free(d);
}

int vd_opus_decode(vd_opus_decoder *d, const uint8_t *packet, size_t length, int16_t *pcm, size_t frames) {
    if (frames != d->frame) return VD_EINVAL;
    const unsigned char *data = (packet && length > 0) ? packet : NULL;
    int n = opus_decode(d->dec, data, data ? (opus_int32)length : 0, pcm, (int)frames, 0);
    return n == (int)frames ? n : VD_ESYS;
}

int vd_opus_packet_samples(const uint8_t *packet, size_t length, int rate_hz) {
    if (length == 0 || length > VD_OPUS_MAX_PACKET || !rate_ok(rate_hz)) return VD_EINVAL;
    int n = opus_packet_get_nb_samples(packet, (opus_int32)length, rate_hz);
    return n > 0 ? n : VD_EINVAL;
}
