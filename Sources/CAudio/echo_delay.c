/* Echo path delay estimation from energy envelopes; the contract is in vd_echo_delay.h. */
#include "vd_echo_delay.h"
#include "vd_error.h"

#include <math.h>
#include <stdlib.h>

enum {
    CHUNK_MS = 10,
    MAX_LAGS = VD_ECHO_DELAY_MAX_MS / CHUNK_MS + 1,
    /* The far end counts as audible for this many chunks after its last loud one (1 s): the
     * envelopes are compared only then, so a long silence of the agent leaves the estimate as it was. */
    AUDIBLE_HOLD = 100,
    /* The averaging becomes exponential after this many audible chunks (~3 s). */
    WINDOW = 300,
    /* No estimate from fewer audible chunks than this (a few chunks correlate by chance). */
    MIN_SEEN = 50,
};

/* Log energy per sample (dB re 1 LSB²) below which a chunk counts as silence (~-65 dBFS), and above
 * which the far end is audible (~-50 dBFS). */
static const float FLOOR_DB = 25.0f;
static const float AUDIBLE_DB = 40.0f;
/* Correlation an estimate needs, and by how much a new lag must beat the current one. */
static const double LOCK = 0.3;
static const double SWITCH_MARGIN = 0.05;

struct vd_echo_delay {
    int chunk;                 /* samples per 10 ms */
    int lags;                  /* lags kept: 0 … lags-1 chunks */
    float far_db[MAX_LAGS];    /* far-end envelope, a ring: newest at `newest` */
    int newest;
    int audible;               /* chunks left in the far end's audible hold */
    long seen;                 /* audible chunks averaged so far */
    double far_mean, near_mean;
    double near_var;
    double cov[MAX_LAGS], far_var[MAX_LAGS];
    int best;                  /* lag in chunks, or -1 */
    double best_rho;
};

static float level_db(const int16_t *x, int n) {
    double e = 0;
    for (int i = 0; i < n; i++) e += (double)x[i] * (double)x[i];
    float db = (float)(10.0 * log10(e / n + 1.0));
    return db < FLOOR_DB ? FLOOR_DB : db;
}

vd_echo_delay *vd_echo_delay_create(int sample_rate_hz, int max_delay_ms, int *err) {
    if ((sample_rate_hz != 8000 && sample_rate_hz != 16000) || max_delay_ms < CHUNK_MS || max_delay_ms > VD_ECHO_DELAY_MAX_MS) {
        if (err) *err = VD_EINVAL;
        return NULL;
    }
    vd_echo_delay *d = calloc(1, sizeof *d);
    if (!d) {
        if (err) *err = VD_ENOMEM;
        return NULL;
    }
    d->chunk = sample_rate_hz / 100;
    d->lags = max_delay_ms / CHUNK_MS + 1;
    d->best = -1;
    for (int k = 0; k < MAX_LAGS; k++) d->far_db[k] = FLOOR_DB;
    if (err) *err = VD_OK;
    return d;
}

void vd_echo_delay_destroy(vd_echo_delay *d) { free(d); }

int vd_echo_delay_update(vd_echo_delay *d, const int16_t *far_end, const int16_t *near_end) {
    d->newest = (d->newest + 1) % d->lags;
    d->far_db[d->newest] = level_db(far_end, d->chunk);
    float near_db = level_db(near_end, d->chunk);
    if (d->far_db[d->newest] > AUDIBLE_DB) d->audible = AUDIBLE_HOLD;
    else if (d->audible > 0) d->audible--;
    if (d->audible == 0) return vd_echo_delay_estimate(d);

    /* A running mean over the first WINDOW audible chunks, exponential after: locks fast, then tracks. */
    d->seen++;
    double w = d->seen < WINDOW ? 1.0 / (double)d->seen : 1.0 / WINDOW;
    double keep = 1.0 - w;
    d->far_mean += w * (d->far_db[d->newest] - d->far_mean);
    d->near_mean += w * (near_db - d->near_mean);
    double x = near_db - d->near_mean;
    d->near_var = keep * d->near_var + x * x;
    int top = -1;
    double top_rho = 0;
    for (int k = 0; k < d->lags; k++) {
        double y = d->far_db[(d->newest - k + d->lags) % d->lags] - d->far_mean;
        d->cov[k] = keep * d->cov[k] + x * y;
        d->far_var[k] = keep * d->far_var[k] + y * y;
        double rho = d->cov[k] / sqrt(d->near_var * d->far_var[k] + 1e-9);
        if (rho > top_rho) {
            top_rho = rho;
            top = k;
        }
    }
    if (d->best >= 0) d->best_rho = d->cov[d->best] / sqrt(d->near_var * d->far_var[d->best] + 1e-9);
    if (top >= 0 && top_rho > LOCK && d->seen >= MIN_SEEN && (d->best < 0 || top_rho > d->best_rho + SWITCH_MARGIN)) {
        d->best = top;
        d->best_rho = top_rho;
    }
    return vd_echo_delay_estimate(d);
}

int vd_echo_delay_estimate(const vd_echo_delay *d) { return d->best < 0 ? -1 : d->best * CHUNK_MS; }

float vd_echo_delay_confidence(const vd_echo_delay *d) { return d->best < 0 ? 0.0f : (float)d->best_rho; }
