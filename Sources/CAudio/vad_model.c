/* Silero VAD on ONNX Runtime, bound at run time (see vd_vad_model.h).
 *
 * ONNX Runtime's C API is one exported function, OrtGetApiBase, returning a table of function
 * pointers (OrtApi) that only ever grows at its end, so a program built against an older table
 * works with a newer library. voiced declares the few entries it calls itself, by their position
 * in that table (ONNX Runtime's documented C API, version 13 and later), rather than depending on
 * the runtime's development headers, which no Debian 12 or PyPI package installs.
 */
#define _GNU_SOURCE
#include "vd_vad_model.h"
#include "vd_error.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The part of ONNX Runtime's C ABI used here ------------------------------------------- */

typedef struct OrtStatus OrtStatus;
typedef struct OrtEnv OrtEnv;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtValue OrtValue;

/* Positions in OrtApi (zero-based; each entry is one function pointer). */
enum {
    ORT_GET_ERROR_MESSAGE = 2,
    ORT_CREATE_ENV = 3,
    ORT_CREATE_SESSION = 7,
    ORT_RUN = 9,
    ORT_CREATE_SESSION_OPTIONS = 10,
    ORT_SET_SESSION_EXECUTION_MODE = 13,
    ORT_SET_GRAPH_OPTIMIZATION_LEVEL = 23,
    ORT_SET_INTRA_OP_THREADS = 24,
    ORT_SET_INTER_OP_THREADS = 25,
    ORT_CREATE_TENSOR_WITH_DATA = 49,
    ORT_GET_TENSOR_MUTABLE_DATA = 51,
    ORT_CREATE_CPU_MEMORY_INFO = 69,
    ORT_RELEASE_STATUS = 93,
    ORT_RELEASE_MEMORY_INFO = 94,
    ORT_RELEASE_SESSION = 95,
    ORT_RELEASE_VALUE = 96,
    ORT_RELEASE_SESSION_OPTIONS = 100,
    ORT_ADD_SESSION_CONFIG_ENTRY = 130,
};
/* The table version asked for: the first with every entry above. */
#define ORT_TABLE_VERSION 13u

enum { ORT_LOGGING_LEVEL_ERROR = 3 };
enum { ORT_TENSOR_FLOAT = 1, ORT_TENSOR_INT64 = 7 };
enum { ORT_ARENA_ALLOCATOR = 1, ORT_MEM_TYPE_DEFAULT = 0 };
enum { ORT_SEQUENTIAL = 0, ORT_ENABLE_ALL = 99 };

typedef struct OrtApiBase {
    const void *const *(*get_api)(uint32_t version);
    const char *(*get_version_string)(void);
} OrtApiBase;

typedef const char *(*get_error_message_fn)(const OrtStatus *);
typedef OrtStatus *(*create_env_fn)(int level, const char *logid, OrtEnv **out);
typedef OrtStatus *(*create_session_fn)(const OrtEnv *, const char *path, const OrtSessionOptions *, OrtSession **out);
typedef OrtStatus *(*run_fn)(OrtSession *, const void *run_options, const char *const *input_names,
                             const OrtValue *const *inputs, size_t input_count, const char *const *output_names,
                             size_t output_count, OrtValue **outputs);
typedef OrtStatus *(*create_session_options_fn)(OrtSessionOptions **out);
typedef OrtStatus *(*options_int_fn)(OrtSessionOptions *, int);
typedef OrtStatus *(*create_tensor_fn)(const OrtMemoryInfo *, void *data, size_t bytes, const int64_t *shape,
                                       size_t rank, int type, OrtValue **out);
typedef OrtStatus *(*tensor_data_fn)(OrtValue *, void **out);
typedef OrtStatus *(*create_cpu_memory_info_fn)(int allocator, int mem_type, OrtMemoryInfo **out);
typedef OrtStatus *(*add_config_entry_fn)(OrtSessionOptions *, const char *key, const char *value);
typedef void (*release_fn)(void *);

#define ORT(api, slot, type) ((type)(api)[slot])

/* ---- The model ------------------------------------------------------------------------------ */

struct vd_vad_model {
    const void *const *api;
    OrtEnv *env;
    OrtSession *session;
    OrtMemoryInfo *cpu;
};

int vd_vad_context_samples(int sample_rate) { return sample_rate == 16000 ? 64 : 32; }
int vd_vad_chunk_samples(int sample_rate) { return sample_rate == 16000 ? 512 : 256; }

static void say(char *error, size_t error_len, const char *format, ...) {
    if (error_len == 0) return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_len, format, args);
    va_end(args);
}

/* Writes `status`'s message after `what` into `error`, frees the status; returns whether it was an error. */
static int failed(const void *const *api, OrtStatus *status, const char *what, char *error, size_t error_len) {
    if (status == NULL) return 0;
    say(error, error_len, "%s: %s", what, ORT(api, ORT_GET_ERROR_MESSAGE, get_error_message_fn)(status));
    ORT(api, ORT_RELEASE_STATUS, release_fn)(status);
    return 1;
}

vd_vad_model *vd_vad_model_load(const char *runtime_path, const char *model_path, char *error, size_t error_len) {
    /* RTLD_NODELETE: ONNX Runtime keeps threads and static state that must outlive any handle;
     * the handle is never closed, on success or failure (the library stays mapped either way). */
    void *library = dlopen(runtime_path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (library == NULL) {
        say(error, error_len, "cannot load ONNX Runtime from %s (%s)", runtime_path, dlerror());
        return NULL;
    }
    const OrtApiBase *(*get_api_base)(void) = (const OrtApiBase *(*)(void))dlsym(library, "OrtGetApiBase");
    if (get_api_base == NULL) {
        say(error, error_len, "%s is not ONNX Runtime (no OrtGetApiBase)", runtime_path);
        return NULL;
    }
    const OrtApiBase *base = get_api_base();
    const void *const *api = base->get_api(ORT_TABLE_VERSION);
    if (api == NULL) {
        say(error, error_len, "ONNX Runtime %s at %s is too old (the C API version %u is needed)",
            base->get_version_string(), runtime_path, ORT_TABLE_VERSION);
        return NULL;
    }
    vd_vad_model *model = calloc(1, sizeof *model);
    if (model == NULL) {
        say(error, error_len, "out of memory");
        return NULL;
    }
    model->api = api;
    OrtSessionOptions *options = NULL;
    int bad = failed(api, ORT(api, ORT_CREATE_ENV, create_env_fn)(ORT_LOGGING_LEVEL_ERROR, "voiced", &model->env), "ONNX Runtime environment", error, error_len)
        || failed(api, ORT(api, ORT_CREATE_CPU_MEMORY_INFO, create_cpu_memory_info_fn)(ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &model->cpu), "memory info", error, error_len)
        || failed(api, ORT(api, ORT_CREATE_SESSION_OPTIONS, create_session_options_fn)(&options), "session options", error, error_len)
        /* One thread per run, the caller's: the analysis threads are the parallelism, and an
         * intra-op pool would spin on cores the media threads need. */
        || failed(api, ORT(api, ORT_SET_INTRA_OP_THREADS, options_int_fn)(options, 1), "session options", error, error_len)
        || failed(api, ORT(api, ORT_SET_INTER_OP_THREADS, options_int_fn)(options, 1), "session options", error, error_len)
        || failed(api, ORT(api, ORT_SET_SESSION_EXECUTION_MODE, options_int_fn)(options, ORT_SEQUENTIAL), "session options", error, error_len)
        || failed(api, ORT(api, ORT_SET_GRAPH_OPTIMIZATION_LEVEL, options_int_fn)(options, ORT_ENABLE_ALL), "session options", error, error_len)
        || failed(api, ORT(api, ORT_ADD_SESSION_CONFIG_ENTRY, add_config_entry_fn)(options, "session.intra_op.allow_spinning", "0"), "session options", error, error_len)
        || failed(api, ORT(api, ORT_CREATE_SESSION, create_session_fn)(model->env, model_path, options, &model->session), model_path, error, error_len);
    ORT(api, ORT_RELEASE_SESSION_OPTIONS, release_fn)(options);
    if (!bad) {
        /* A model of another shape (Silero v4 has `h` and `c` for `state`) loads but never runs:
         * try one silent window now, so it is refused here rather than deciding nothing later. */
        float window[32 + 256] = {0}, state[VD_VAD_STATE_FLOATS] = {0}, probability = 0;
        char reason[256];
        if (vd_vad_model_run(model, window, 32 + 256, 8000, state, &probability, reason, sizeof reason) != VD_OK) {
            say(error, error_len, "%s is not a Silero VAD model of v5's form (input, state, sr → output, stateN): %s", model_path, reason);
            bad = 1;
        }
    }
    if (bad) {
        /* The environment, if made, stays: ONNX Runtime keeps one per process (see destroy). */
        vd_vad_model_destroy(model);
        return NULL;
    }
    return model;
}

int vd_vad_model_run(vd_vad_model *model, const float *window, int count, int sample_rate, float *state,
                     float *probability, char *error, size_t error_len) {
    const void *const *api = model->api;
    if ((sample_rate != 8000 && sample_rate != 16000) ||
        count != vd_vad_context_samples(sample_rate) + vd_vad_chunk_samples(sample_rate)) {
        say(error, error_len, "the model takes 8000 or 16000 Hz in windows of 288 or 576 samples, not %d at %d Hz",
            count, sample_rate);
        return VD_EINVAL;
    }
    const int64_t window_shape[2] = {1, count};
    const int64_t state_shape[3] = {2, 1, 128};
    int64_t rate = sample_rate;
    OrtValue *inputs[3] = {NULL, NULL, NULL};
    OrtValue *outputs[2] = {NULL, NULL};
    static const char *const input_names[3] = {"input", "state", "sr"};
    static const char *const output_names[2] = {"output", "stateN"};
    create_tensor_fn tensor = ORT(api, ORT_CREATE_TENSOR_WITH_DATA, create_tensor_fn);
    int bad = failed(api, tensor(model->cpu, (void *)window, (size_t)count * sizeof(float), window_shape, 2, ORT_TENSOR_FLOAT, &inputs[0]), "input", error, error_len)
        || failed(api, tensor(model->cpu, state, VD_VAD_STATE_FLOATS * sizeof(float), state_shape, 3, ORT_TENSOR_FLOAT, &inputs[1]), "state", error, error_len)
        || failed(api, tensor(model->cpu, &rate, sizeof rate, NULL, 0, ORT_TENSOR_INT64, &inputs[2]), "sr", error, error_len)
        || failed(api, ORT(api, ORT_RUN, run_fn)(model->session, NULL, input_names, (const OrtValue *const *)inputs, 3, output_names, 2, outputs), "run", error, error_len);
    float *out = NULL, *next_state = NULL;
    if (!bad) {
        bad = failed(api, ORT(api, ORT_GET_TENSOR_MUTABLE_DATA, tensor_data_fn)(outputs[0], (void **)&out), "output", error, error_len)
            || failed(api, ORT(api, ORT_GET_TENSOR_MUTABLE_DATA, tensor_data_fn)(outputs[1], (void **)&next_state), "stateN", error, error_len);
    }
    if (!bad) {
        *probability = out[0];
        memcpy(state, next_state, VD_VAD_STATE_FLOATS * sizeof(float));
    }
    release_fn release_value = ORT(api, ORT_RELEASE_VALUE, release_fn);
    for (int i = 0; i < 3; i++) release_value(inputs[i]);
    for (int i = 0; i < 2; i++) release_value(outputs[i]);
    return bad ? VD_EINVAL : VD_OK;
}

void vd_vad_model_destroy(vd_vad_model *model) {
    if (model == NULL) return;
    const void *const *api = model->api;
    ORT(api, ORT_RELEASE_SESSION, release_fn)(model->session);
    ORT(api, ORT_RELEASE_MEMORY_INFO, release_fn)(model->cpu);
    /* The environment is process-wide in ONNX Runtime and other models may share it: kept. */
    free(model);
}
