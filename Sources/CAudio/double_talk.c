/* Double-talk detection; the contract is in vd_double_talk.h. */
#include "vd_double_talk.h"

#include <math.h>

/* Thresholds, in dB unless stated: measured on espeak-ng speech through EchoPath (scripts/audio-quality). */
static const double AUDIBLE_RMS = 100.0;     /* far end audible above ~-50 dBFS */
static const double ESTIMATE_RMS = 30.0;     /* an echo estimate worth learning from: above ~-60 dBFS */
static const double ABOVE_FLOOR = 10.0;      /* the linear output must stand this far above its floor */
static const double LOWEST_FLOOR_DB = 30.0;  /* ... and the floor counts as at least ~-60 dBFS (a silent line) */
static const double OVER_NEAR = 3.0;         /* the linear output may exceed the microphone by this much at most */
static const double NEAR_ESTIMATE = -10.0;   /* ... and within this of the echo estimate */
static const double PROVEN_ERLE = 12.0;      /* what the linear canceller must remove before it is trusted */
static const double ABOVE_USUAL = 6.0;       /* the linear output must be this far above what it leaves of the agent alone */
static const double FLOOR_RISE = 0.02;       /* per chunk: the floor tracker forgets a minimum in ~10 s */
static const double SMOOTHING = 0.02;        /* weight of a new chunk in the ERLE averages (~0.5 s) */
static const int HOLD_CHUNKS = 10;           /* 100 ms */

void vd_double_talk_init(vd_double_talk *d) {
    d->echo_energy = 0;
    d->residual_energy = 0;
    d->linear_erle_db = 0;
    d->floor_db = 200;
    d->hold = 0;
}

static double db(double energy_per_sample) { return 10.0 * log10(energy_per_sample + 1.0); }

int vd_double_talk_update(vd_double_talk *d, const int16_t *near_end, const int16_t *linear_out, const int16_t *far_aligned, size_t n) {
    double far = 0, residual = 0, estimate = 0, near = 0;
    for (size_t i = 0; i < n; i++) {
        near += (double)near_end[i] * (double)near_end[i];
        double y = (double)near_end[i] - (double)linear_out[i]; /* the canceller's echo estimate */
        far += (double)far_aligned[i] * (double)far_aligned[i];
        residual += (double)linear_out[i] * (double)linear_out[i];
        estimate += y * y;
    }
    double residual_db = db(residual / (double)n), estimate_db = db(estimate / (double)n);
    d->floor_db = residual_db < d->floor_db ? residual_db : d->floor_db + FLOOR_RISE;
    int audible = far > (double)n * AUDIBLE_RMS * AUDIBLE_RMS;
    double floor_db = d->floor_db > LOWEST_FLOOR_DB ? d->floor_db : LOWEST_FLOOR_DB;
    /* Not double talk: an output the filter made itself (its echo estimate ahead of an echo that has
     * not come back yet) is louder than the microphone. */
    int talking = audible && residual_db > floor_db + ABOVE_FLOOR && residual_db < db(near / (double)n) + OVER_NEAR &&
                  residual_db - estimate_db > NEAR_ESTIMATE && residual_db - estimate_db > ABOVE_USUAL - d->linear_erle_db &&
                  d->linear_erle_db > PROVEN_ERLE;
    if (talking) {
        d->hold = HOLD_CHUNKS;
    } else if (d->hold > 0) {
        d->hold--;
    } else if (audible && estimate > (double)n * ESTIMATE_RMS * ESTIMATE_RMS) {
        /* The agent alone: how much the linear canceller removes. */
        d->echo_energy += SMOOTHING * (estimate - d->echo_energy);
        d->residual_energy += SMOOTHING * (residual - d->residual_energy);
        d->linear_erle_db = 10.0 * log10((d->echo_energy + 1.0) / (d->residual_energy + 1.0));
    }
    return d->hold > 0;
}
