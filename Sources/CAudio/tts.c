/* Text-to-speech on libespeak-ng + libsamplerate; the contract is in vd_tts.h.
 *
 * espeak-ng keeps all of its state in globals (loaded data, current voice, parameters, the synth
 * callback, its output buffer), so every espeak call, and everything below marked "g_lock", runs
 * under the one process-wide mutex g_lock. Each synthesize call sets the callback, the voice and
 * the rate again, because another handle may have changed them since. The resampling that
 * follows (most of the CPU time) runs under the handle's own mutex instead, after g_lock is
 * released; no code holds both.
 *
 * Locale: espeak_ng_Initialize calls setlocale(LC_CTYPE, "C.UTF-8"), a process-wide change, so
 * that <wctype.h> would classify non-ASCII letters. But the library classifies characters with its
 * own Unicode tables (libespeak-ng.so imports none of the isw... / tow... functions, and French
 * text renders identically under "C" and "C.UTF-8"), so we put the application's LC_CTYPE back.
 *
 * Output: espeak's int16 chunks at its native rate (22050 Hz) are gathered whole, converted to
 * float (÷ 32768, exact), resampled in CHUNK_IN pieces through the handle's SRC_STATE with
 * end_of_input on the last piece, then converted back with rounding and clamping to int16.
 */
#define _GNU_SOURCE
#include "vd_tts.h"
#include "vd_error.h"

#include <errno.h>
#include <espeak-ng/espeak_ng.h>
#include <locale.h>
#include <pthread.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    DEFAULT_RATE_WPM = 165,
    MAX_VOICE_BYTES = 59, /* espeak_ng_SetVoiceByName copies the name into a char[60] */
    CHUNK_IN = 4096,      /* input frames per src_process call */
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* g_lock: the process-wide espeak-ng state. */
static int g_loaded;        /* 0 = not tried yet, 1 = loaded, -1 = failed (g_fail_code / g_fail_errno) */
static int g_fail_code, g_fail_errno;
static int g_native_hz;     /* espeak_ng_GetSampleRate() after loading */

struct vd_tts {
    char voice[MAX_VOICE_BYTES + 1]; /* resolved at create: a name espeak_ng_SetVoiceByName accepts */
    int rate_wpm;
    int in_hz, out_hz;
    double ratio;           /* out_hz / in_hz */
    /* lock: the converter and its scratch buffers. Never held together with g_lock. */
    pthread_mutex_t lock;
    int lock_ok;            /* lock was initialised */
    SRC_STATE *src;
    float *in_f;            /* CHUNK_IN */
    float *out_f;           /* out_f_cap */
    size_t out_f_cap;
};

/* The samples of one synthesize call, at espeak's rate. Reached through espeak's user_data. */
typedef struct pcm_acc {
    int16_t *data;
    size_t count, cap;
    int failed;             /* allocation failed: the callback asked espeak to stop */
} pcm_acc;

static int rate_ok(int hz) { return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000; }

/* Maps an espeak-ng status to a VD code. Status values 1…255 are errno codes (ENS_GROUP_ERRNO). */
static int map_status(espeak_ng_STATUS st) {
    if (st == ENS_OK) return VD_OK;
    if (st == ENOMEM) return VD_ENOMEM;
    errno = ((unsigned)st & ENS_GROUP_MASK) == ENS_GROUP_ERRNO && (unsigned)st < 256 ? (int)st : EIO;
    return VD_ESYS;
}

/* g_lock held. Loads espeak-ng's data on the first call in the process; remembers a failure. */
static int ensure_loaded_locked(void) {
    if (g_loaded == 1) return VD_OK;
    if (g_loaded == -1) {
        errno = g_fail_errno;
        return g_fail_code;
    }
    const char *cur = setlocale(LC_CTYPE, NULL);
    char *saved = cur ? strdup(cur) : NULL;
    espeak_ng_InitializePath(NULL); /* $ESPEAK_DATA_PATH, $HOME/espeak-ng-data, then the built-in path */
    espeak_ng_ERROR_CONTEXT ctx = NULL;
    /* Unlike espeak_Initialize, this returns missing data as a status instead of calling exit(1). */
    espeak_ng_STATUS st = espeak_ng_Initialize(&ctx);
    espeak_ng_ClearErrorContext(&ctx);
    if (saved) {
        setlocale(LC_CTYPE, saved);
        free(saved);
    }
    if (st == ENS_OK) st = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, NULL);
    int code = map_status(st);
    if (code == VD_OK && espeak_ng_GetSampleRate() <= 0) {
        errno = EIO;
        code = VD_ESYS;
    }
    if (code != VD_OK) {
        g_loaded = -1;
        g_fail_code = code;
        g_fail_errno = errno;
        return code;
    }
    g_native_hz = espeak_ng_GetSampleRate();
    g_loaded = 1;
    return VD_OK;
}

/* espeak's synth callback: appends each chunk; NULL wav marks the end. Returns 1 to stop. */
static int on_synth(short *wav, int n, espeak_EVENT *events) {
    pcm_acc *acc = events ? (pcm_acc *)events[0].user_data : NULL;
    if (!acc) return 1;
    if (!wav || n <= 0) return 0;
    size_t need = acc->count + (size_t)n;
    if (need > acc->cap) {
        size_t cap = acc->cap ? acc->cap : 32768;
        while (cap < need) {
            if (cap > SIZE_MAX / 2 / sizeof(int16_t)) { acc->failed = 1; return 1; }
            cap *= 2;
        }
        int16_t *p = realloc(acc->data, cap * sizeof(int16_t));
        if (!p) { acc->failed = 1; return 1; }
        acc->data = p;
        acc->cap = cap;
    }
    memcpy(acc->data + acc->count, wav, (size_t)n * sizeof(int16_t));
    acc->count = need;
    return 0;
}

static int16_t to_s16(float f) {
    float v = f * 32768.0f;
    /* Clamp (the sinc filter overshoots near full scale); finite input cannot give NaN. */
    return v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (int16_t)(v + (v >= 0 ? 0.5f : -0.5f));
}

/* t->lock held (uses t->src and the scratch buffers). Converts `n` samples at in_hz into a new
 * buffer at out_hz, flushing the converter at the end. */
static int resample_locked(vd_tts *t, const int16_t *in, size_t n, int16_t **out, size_t *out_count) {
    size_t cap = (size_t)((double)n * t->ratio) + 64;
    int16_t *o = malloc(cap * sizeof(int16_t));
    if (!o) return VD_ENOMEM;
    size_t pos = 0, w = 0;
    if (n > 0) {
        src_reset(t->src);
        for (;;) {
            size_t take = n - pos < CHUNK_IN ? n - pos : CHUNK_IN;
            for (size_t i = 0; i < take; i++) t->in_f[i] = (float)in[pos + i] / 32768.0f;
            SRC_DATA d = {
                .data_in = t->in_f, .data_out = t->out_f,
                .input_frames = (long)take, .output_frames = (long)t->out_f_cap,
                .end_of_input = pos + take == n, .src_ratio = t->ratio,
            };
            if (src_process(t->src, &d) != 0) goto fail_sys;
            size_t used = (size_t)d.input_frames_used, gen = (size_t)d.output_frames_gen;
            if (w + gen > cap) { /* more than n × ratio + 64: not expected, but stay correct */
                size_t ncap = (w + gen) * 2;
                int16_t *p = realloc(o, ncap * sizeof(int16_t));
                if (!p) { free(o); return VD_ENOMEM; }
                o = p;
                cap = ncap;
            }
            for (size_t i = 0; i < gen; i++) o[w + i] = to_s16(t->out_f[i]);
            w += gen;
            pos += used;
            if (pos == n && d.end_of_input && gen == 0) break; /* flushed */
            if (used == 0 && gen == 0 && !d.end_of_input) goto fail_sys; /* no progress */
        }
    }
    *out = o;
    *out_count = w;
    return VD_OK;
fail_sys:
    free(o);
    errno = EIO;
    return VD_ESYS;
}

/* g_lock held. Turns a configured voice name into one espeak_ng_SetVoiceByName accepts, in `out`
 * (MAX_VOICE_BYTES + 1), as the espeak-ng command line's -v does: first as a voice file name
 * ("en-us", "en", "de", "en-gb-x-rp", with an optional "+variant"), else as a language ("en-gb"),
 * for which espeak picks its best voice and we keep that voice's file name plus the variant.
 * Leaves the voice selected. Returns VD_EINVAL for a name matching no voice. */
static int resolve_voice_locked(const char *name, char *out) {
    espeak_ng_STATUS st = espeak_ng_SetVoiceByName(name);
    if (st == ENS_OK) {
        snprintf(out, MAX_VOICE_BYTES + 1, "%s", name); /* length checked by the caller */
        return VD_OK;
    }
    if (st != ENS_VOICE_NOT_FOUND) return map_status(st);
    char lang[MAX_VOICE_BYTES + 1];
    snprintf(lang, sizeof(lang), "%s", name);
    char *plus = strchr(lang, '+');
    const char *variant = "";
    if (plus) {
        *plus = 0;
        variant = plus + 1;
    }
    espeak_VOICE sel;
    memset(&sel, 0, sizeof(sel));
    sel.languages = lang;
    st = espeak_ng_SetVoiceByProperties(&sel);
    if (st == ENS_VOICE_NOT_FOUND) return VD_EINVAL;
    if (st != ENS_OK) return map_status(st);
    const espeak_VOICE *cur = espeak_GetCurrentVoice();
    if (!cur || !cur->identifier) return VD_EINVAL;
    int n = snprintf(out, MAX_VOICE_BYTES + 1, "%s%s%s", cur->identifier, variant[0] ? "+" : "", variant);
    if (n < 0 || n > MAX_VOICE_BYTES) return VD_EINVAL;
    st = espeak_ng_SetVoiceByName(out);
    return st == ENS_VOICE_NOT_FOUND ? VD_EINVAL : map_status(st);
}

vd_tts *vd_tts_create(const vd_tts_config *cfg, int *err) {
    int code = VD_OK;
    vd_tts *t = NULL;
    const char *voice = cfg->voice ? cfg->voice : "en-us";
    size_t voice_len = strlen(voice);
    int rate = cfg->rate_wpm == 0 ? DEFAULT_RATE_WPM : cfg->rate_wpm;
    if (voice_len == 0 || voice_len > MAX_VOICE_BYTES || rate < espeakRATE_MINIMUM || rate > espeakRATE_MAXIMUM ||
        !rate_ok(cfg->sample_rate_hz)) {
        code = VD_EINVAL;
        goto out;
    }
    t = calloc(1, sizeof(*t));
    if (!t) { code = VD_ENOMEM; goto out; }
    t->rate_wpm = rate;
    t->out_hz = cfg->sample_rate_hz;

    pthread_mutex_lock(&g_lock);
    code = ensure_loaded_locked();
    if (code == VD_OK) {
        code = resolve_voice_locked(voice, t->voice);
        t->in_hz = g_native_hz;
    }
    pthread_mutex_unlock(&g_lock);
    if (code != VD_OK) goto fail;

    if (pthread_mutex_init(&t->lock, NULL) != 0) { code = VD_ESYS; goto fail; }
    t->lock_ok = 1;
    t->ratio = (double)t->out_hz / (double)t->in_hz;
    if (!src_is_valid_ratio(t->ratio)) { code = VD_ESYS; goto fail; }
    int src_err = 0;
    t->src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &src_err);
    t->out_f_cap = (size_t)((double)CHUNK_IN * t->ratio) + 64;
    t->in_f = malloc(CHUNK_IN * sizeof(float));
    t->out_f = malloc(t->out_f_cap * sizeof(float));
    if (!t->src || !t->in_f || !t->out_f) { code = t->src ? VD_ENOMEM : VD_ESYS; goto fail; }
    goto out;
fail:
    vd_tts_destroy(t);
    t = NULL;
out:
    if (err) *err = code;
    return t;
}

void vd_tts_destroy(vd_tts *t) {
    if (!t) return;
    if (t->lock_ok) pthread_mutex_destroy(&t->lock);
    if (t->src) src_delete(t->src);
    free(t->in_f);
    free(t->out_f);
    free(t);
}

int vd_tts_synthesize(vd_tts *t, const char *utf8_text, int16_t **out_samples, size_t *out_count) {
    *out_samples = NULL;
    *out_count = 0;
    size_t len = strnlen(utf8_text, (size_t)VD_TTS_MAX_TEXT_BYTES + 1);
    if (len > VD_TTS_MAX_TEXT_BYTES) return VD_EINVAL;

    pcm_acc acc = {0};
    pthread_mutex_lock(&g_lock);
    int code = ensure_loaded_locked(); /* already loaded: create succeeded */
    if (code == VD_OK) {
        espeak_SetSynthCallback(on_synth);
        espeak_ng_STATUS st = espeak_ng_SetVoiceByName(t->voice);
        if (st == ENS_OK) st = espeak_ng_SetParameter(espeakRATE, t->rate_wpm, 0);
        if (st == ENS_OK)
            st = espeak_ng_Synthesize(utf8_text, len + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, &acc);
        espeak_SetSynthCallback(NULL);
        code = acc.failed ? VD_ENOMEM : map_status(st);
    }
    pthread_mutex_unlock(&g_lock);
    /* Resampling costs several times what espeak does, so it runs outside g_lock: calls on
     * different handles convert in parallel. */
    if (code == VD_OK) {
        pthread_mutex_lock(&t->lock);
        code = resample_locked(t, acc.data, acc.count, out_samples, out_count);
        pthread_mutex_unlock(&t->lock);
    }
    free(acc.data);
    return code;
}

void vd_tts_free_samples(int16_t *samples) { free(samples); }
