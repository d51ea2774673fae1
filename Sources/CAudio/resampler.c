/* Streaming resampler on libsamplerate; the contract is in vd_resampler.h.
 *
 * libsamplerate's sinc converters withhold the first few output frames (the filter needs
 * look-ahead), then produce about in_frames × ratio per call, ±1 with rational ratios. To return
 * exactly in_frames × ratio every call, output goes through a small FIFO primed with `delay`
 * zeros: the first call's shortfall, measured at create, plus two frames of slack for the ±1.
 */
#include "vd_resampler.h"
#include "vd_error.h"

#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

struct vd_resampler {
    SRC_STATE *src;
    int in_rate, out_rate;
    size_t max_in;
    float *in_f;       /* max_in */
    float *out_f;      /* max_out + slack */
    size_t out_f_cap;
    int16_t *fifo;     /* ring of converted output */
    size_t fifo_cap, fifo_head, fifo_count;
    int delay;         /* frames primed at reset */
};

static int rate_ok(int hz) { return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000; }

static int converter_type(vd_resampler_quality q) {
    switch (q) {
    case VD_RESAMPLER_BEST: return SRC_SINC_BEST_QUALITY;
    case VD_RESAMPLER_MEDIUM: return SRC_SINC_MEDIUM_QUALITY;
    default: return SRC_SINC_FASTEST;
    }
}

static void fifo_prime(vd_resampler *r) {
    memset(r->fifo, 0, r->fifo_cap * sizeof(int16_t));
    r->fifo_head = 0;
    r->fifo_count = (size_t)r->delay;
}

/* Runs the converter over `n` input floats in r->in_f, appending the output to the FIFO. */
static int convert_into_fifo(vd_resampler *r, size_t n) {
    SRC_DATA data = {
        .data_in = r->in_f,
        .data_out = r->out_f,
        .input_frames = (long)n,
        .output_frames = (long)r->out_f_cap,
        .end_of_input = 0,
        .src_ratio = (double)r->out_rate / (double)r->in_rate,
    };
    if (src_process(r->src, &data) != 0) return VD_ESYS;
    size_t gen = (size_t)data.output_frames_gen;
    if (r->fifo_count + gen > r->fifo_cap) return VD_ESYS; /* cannot happen: see fifo_cap */
    for (size_t i = 0; i < gen; i++) {
        float v = r->out_f[i] * 32768.0f;
        /* Clamp (the filter overshoots on full-scale input); NaN cannot come out of finite input. */
        int16_t s = v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (int16_t)(v + (v >= 0 ? 0.5f : -0.5f));
        r->fifo[(r->fifo_head + r->fifo_count) % r->fifo_cap] = s;
        r->fifo_count++;
    }
    return VD_OK;
}

vd_resampler *vd_resampler_create(const vd_resampler_config *cfg, int *err) {
    int code = VD_OK;
    vd_resampler *r = NULL;
    if (!rate_ok(cfg->in_rate_hz) || !rate_ok(cfg->out_rate_hz) || cfg->max_in_frames == 0) {
        code = VD_EINVAL;
        goto out;
    }
    r = calloc(1, sizeof(*r));
    if (!r) { code = VD_ENOMEM; goto out; }
    r->in_rate = cfg->in_rate_hz;
    r->out_rate = cfg->out_rate_hz;
    r->max_in = cfg->max_in_frames;
    size_t max_out = (cfg->max_in_frames * (size_t)cfg->out_rate_hz + (size_t)cfg->in_rate_hz - 1) / (size_t)cfg->in_rate_hz;
    r->out_f_cap = max_out + 64;
    int src_err = 0;
    r->src = src_new(converter_type(cfg->quality), 1, &src_err);
    r->in_f = malloc(r->max_in * sizeof(float));
    r->out_f = malloc(r->out_f_cap * sizeof(float));
    if (!r->src || !r->in_f || !r->out_f) { code = r->src ? VD_ENOMEM : VD_ESYS; goto fail; }

    /* Measure the first call's shortfall on silence, then start clean. */
    memset(r->in_f, 0, r->max_in * sizeof(float));
    SRC_DATA probe = {
        .data_in = r->in_f, .data_out = r->out_f, .input_frames = (long)r->max_in,
        .output_frames = (long)r->out_f_cap, .end_of_input = 0,
        .src_ratio = (double)r->out_rate / (double)r->in_rate,
    };
    if (src_process(r->src, &probe) != 0) { code = VD_ESYS; goto fail; }
    long expected = (long)(r->max_in * (size_t)r->out_rate / (size_t)r->in_rate);
    r->delay = (int)(expected - probe.output_frames_gen) + 2;
    if (r->delay < 2) r->delay = 2;
    src_reset(r->src);

    r->fifo_cap = max_out + (size_t)r->delay + 64;
    r->fifo = malloc(r->fifo_cap * sizeof(int16_t));
    if (!r->fifo) { code = VD_ENOMEM; goto fail; }
    fifo_prime(r);
    goto out;
fail:
    vd_resampler_destroy(r);
    r = NULL;
out:
    if (err) *err = code;
    return r;
}

void vd_resampler_destroy(vd_resampler *r) {
    if (!r) return;
    if (r->src) src_delete(r->src);
    free(r->in_f);
    free(r->out_f);
    free(r->fifo);
    free(r);
}

void vd_resampler_reset(vd_resampler *r) {
    src_reset(r->src);
    fifo_prime(r);
}

int vd_resampler_process(vd_resampler *r, const int16_t *in, size_t in_frames, int16_t *out, size_t out_capacity) {
    size_t want = in_frames * (size_t)r->out_rate;
    if (in_frames > r->max_in || want % (size_t)r->in_rate != 0) return VD_EINVAL;
    want /= (size_t)r->in_rate;
    if (want > out_capacity) return VD_EINVAL;
    for (size_t i = 0; i < in_frames; i++) r->in_f[i] = (float)in[i] / 32768.0f;
    int rc = convert_into_fifo(r, in_frames);
    if (rc != VD_OK) return rc;
    /* The primed slack keeps the FIFO ahead of demand; should it ever run short, repeat silence. */
    for (size_t i = 0; i < want; i++) {
        if (r->fifo_count == 0) { out[i] = 0; continue; }
        out[i] = r->fifo[r->fifo_head];
        r->fifo_head = (r->fifo_head + 1) % r->fifo_cap;
        r->fifo_count--;
    }
    return (int)want;
}

int vd_resampler_delay_frames(const vd_resampler *r) { return r->delay; }
