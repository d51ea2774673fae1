/* Silero VAD (v5 and later: silero_vad.onnx of the silero-vad package) on ONNX Runtime's C API,
 * loaded at run time with dlopen.
 *
 * ONNX Runtime and the model are installed by scripts/install-deps (from the `onnxruntime` and
 * `silero-vad` PyPI packages); voiced does not link against them, so a daemon whose graphs use no
 * neural VAD never loads them. One model serves every stream of the process: a stream's memory
 * (the network's recurrent state and the samples carried between windows) is the caller's.
 *
 * A window is `context + chunk` float samples in [-1, 1]: 32 + 256 at 8 kHz, 64 + 512 at 16 kHz
 * (32 ms of new audio, after the last samples of the previous chunk); the model returns the
 * probability that the chunk holds speech.
 *
 * Thread rule: load and destroy on one thread, with no run in progress; run may be called from
 * several threads at once, each with its own state.
 * Realtime: nothing here is safe — ONNX Runtime allocates on every run. Run it off the media threads.
 */
#ifndef VD_VAD_MODEL_H
#define VD_VAD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vd_vad_model vd_vad_model;

/** Floats in a stream's recurrent state (2 × 1 × 128). */
enum { VD_VAD_STATE_FLOATS = 256 };

/** Samples of context before each chunk, and chunk samples, at `sample_rate` (8000 or 16000). */
int vd_vad_context_samples(int sample_rate);
int vd_vad_chunk_samples(int sample_rate);

/** Loads ONNX Runtime from `runtime_path` (a libonnxruntime.so) and the model at `model_path`.
 *  Returns NULL with a sentence in `error` (NUL-terminated, at most `error_len` bytes) when either
 *  cannot be loaded. */
vd_vad_model *_Nullable vd_vad_model_load(const char *_Nonnull runtime_path, const char *_Nonnull model_path,
                                char *_Nonnull error, size_t error_len);

/** Runs one window of `count` samples (context + chunk) at `sample_rate`, updating `state`
 *  (VD_VAD_STATE_FLOATS floats; zeros at a stream's start). Writes the speech probability to
 *  `probability`. Returns VD_OK, or VD_EINVAL with a sentence in `error`. */
int vd_vad_model_run(vd_vad_model *_Nonnull model, const float *_Nonnull window, int count, int sample_rate,
                     float *_Nonnull state, float *_Nonnull probability, char *_Nonnull error, size_t error_len);

/** Frees the session (ONNX Runtime itself stays loaded: it cannot be unloaded safely). NULL is fine. */
void vd_vad_model_destroy(vd_vad_model *_Nullable model);

#ifdef __cplusplus
}
#endif
#endif
