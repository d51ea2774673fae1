// C shim over webrtc-audio-processing 0.3 and speex's linear echo canceller; the contract is in
// vd_apm.h.
//
// Per 10 ms chunk with echo cancellation on:
//
//   far queue ─► far chunk ─┬─► history ─(estimate − 10 ms)─► speex MDF ◄─ near ──► linear out ─┐
//                           ├─► vd_echo_delay ◄─ near                                            ├─ double talk? ─► post
//                           └─► webrtc AEC (told the estimate) ◄─ near ─────────────► suppressed ┘
//
// webrtc's AEC removes the most echo (≥ 47 dB here) but its suppressor also takes 9–16 dB of a
// caller who talks over the agent; speex's linear canceller keeps the caller whole but removes only
// 20–35 dB. So the suppressed signal goes on, except while vd_double_talk says the caller is
// talking over the echo, when the linear output does. `post` is a second webrtc processor without
// echo cancellation: high-pass, noise suppression, gain control and VAD on whichever went on.
#include "vd_apm.h"
#include "vd_double_talk.h"
#include "vd_echo_delay.h"
#include "vd_error.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <speex/speex_echo.h>
#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

namespace {

constexpr size_t kMaxChunk = 160; // 10 ms at 16 kHz
// With echo cancellation the near end is processed in blocks of two chunks (20 ms).
constexpr size_t kChunksPerBlock = 2;

// webrtc's filter covers echoes that come back later than the delay it is told, not earlier: it is
// told the estimate less one estimator step (10 ms), so an echo onset is never ahead of it (at 20 ms
// echoes, the estimate itself let a syllable's onset through once in 16 s; this, none).
constexpr int kEstimateLeadMs = 10;
// speex's filter spans 60 ms from 10 ms before the estimate: the handset's response (~10 ms), the
// estimate's 10 ms steps and the echo's timing jitter.
constexpr int kLinearSpanMs = 60;
// The longest delay the estimator reports, and so the far-end history the linear canceller needs.
constexpr int kMaxDelayMs = 500;
// webrtc's AEC hands each chunk back 112 samples late, at 8 and at 16 kHz (its 64-sample partitions
// behind a buffer; measured by AudioProcessingTests.processingDelays). The linear canceller's output
// is held back as much, so switching between the two never skips or repeats audio.
constexpr size_t kCancellerLagSamples = 112;

} // namespace

struct vd_apm {
    webrtc::AudioProcessing *post = nullptr;      // HPF, NS, AGC, VAD (and nothing else)
    webrtc::AudioProcessing *canceller = nullptr; // webrtc's AEC alone (echo cancellation on)
    SpeexEchoState *linear = nullptr;             // speex's linear canceller (echo cancellation on)
    webrtc::AudioFrame frame; // reused for every 10 ms chunk: no allocation per call
    int rate = 0;
    size_t chunk = 0;
    // The far end waiting to play: a ring of `far_capacity` samples (2 s), oldest at `far_head`.
    int16_t *far = nullptr;
    size_t far_capacity = 0, far_head = 0, far_count = 0;
    int16_t far_block[kChunksPerBlock * kMaxChunk] = {0}; // the block playing now
    // The far end that played: a ring of `history_capacity` samples, newest ending at `history_end`.
    int16_t *history = nullptr;
    size_t history_capacity = 0, history_end = 0;
    int16_t far_aligned[kChunksPerBlock * kMaxChunk] = {0}, linear_out[kChunksPerBlock * kMaxChunk] = {0};
    int16_t suppressed[kMaxChunk] = {0};
    // linear_out held back by kCancellerLagSamples: the oldest kCancellerLagSamples + chunk samples.
    int16_t linear_line[kCancellerLagSamples + kMaxChunk] = {0};
    vd_echo_delay *delay = nullptr; // with estimate_delay
    vd_double_talk double_talk{};
    int delay_ms = 0;               // what webrtc's canceller is told (the estimate less kEstimateLeadMs)
    long double_talk_chunks = 0;
};

namespace {

// How a phone call differs from webrtc's defaults: the echo path delay is unknown (the network, the
// provider's jitter buffer, the handset) and often longer than webrtc's own delay-agnostic mode
// finds (it fails past ~250 ms at 8 kHz, at twice the cost), so voiced measures it (vd_echo_delay)
// and webrtc trusts it; gain control is purely digital (webrtc's "experimental" AGC steers a
// microphone volume a call does not have, at twice the cost).
webrtc::AudioProcessing *make_processing(int rate) {
    webrtc::Config config;
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(false));
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(false));
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
    webrtc::AudioProcessing *p = webrtc::AudioProcessing::Create(config);
    // Fix all three streams at the call's rate now: otherwise webrtc assumes 16 kHz until the first
    // near-end frame and refuses an 8 kHz far end that comes first.
    const auto mono = webrtc::AudioProcessing::kMono;
    if (p && p->Initialize(rate, rate, rate, mono, mono, mono) != 0) {
        delete p;
        return nullptr;
    }
    return p;
}

bool configure_canceller(webrtc::AudioProcessing *p, const vd_apm_config *cfg) {
    static const webrtc::EchoCancellation::SuppressionLevel suppressions[] = {
        webrtc::EchoCancellation::kLowSuppression, webrtc::EchoCancellation::kModerateSuppression,
        webrtc::EchoCancellation::kHighSuppression};
    return p->echo_cancellation()->enable_drift_compensation(false) == 0 &&
           p->echo_cancellation()->set_suppression_level(suppressions[cfg->echo_suppression - 1]) == 0 &&
           p->echo_cancellation()->Enable(true) == 0;
}

bool configure_post(webrtc::AudioProcessing *p, const vd_apm_config *cfg) {
    if (p->high_pass_filter()->Enable(cfg->high_pass != 0) != 0) return false;
    if (cfg->noise_suppression > 0) {
        static const webrtc::NoiseSuppression::Level levels[] = {
            webrtc::NoiseSuppression::kLow, webrtc::NoiseSuppression::kModerate,
            webrtc::NoiseSuppression::kHigh, webrtc::NoiseSuppression::kVeryHigh};
        if (p->noise_suppression()->set_level(levels[cfg->noise_suppression - 1]) != 0) return false;
        if (p->noise_suppression()->Enable(true) != 0) return false;
    }
    if (cfg->gain_control) {
        if (p->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital) != 0) return false;
        if (p->gain_control()->Enable(true) != 0) return false;
    }
    if (cfg->voice_detection > 0) {
        static const webrtc::VoiceDetection::Likelihood likelihoods[] = {
            webrtc::VoiceDetection::kVeryLowLikelihood, webrtc::VoiceDetection::kLowLikelihood,
            webrtc::VoiceDetection::kModerateLikelihood, webrtc::VoiceDetection::kHighLikelihood};
        if (p->voice_detection()->set_likelihood(likelihoods[cfg->voice_detection - 1]) != 0) return false;
        if (p->voice_detection()->Enable(true) != 0) return false;
    }
    return true;
}

void load(vd_apm *apm, const int16_t *samples) {
    apm->frame.sample_rate_hz_ = apm->rate;
    apm->frame.num_channels_ = 1;
    apm->frame.samples_per_channel_ = apm->chunk;
    std::memcpy(apm->frame.data_, samples, apm->chunk * sizeof(int16_t));
}

// Runs `samples` through `p`'s near end in place, telling it `delay_ms`. Returns false on an error.
bool process_near(vd_apm *apm, webrtc::AudioProcessing *p, int16_t *samples, int delay_ms) {
    load(apm, samples);
    // A delay outside webrtc's range is clamped by it and reported as a warning code (> 0).
    p->set_stream_delay_ms(delay_ms);
    if (p->ProcessStream(&apm->frame) < 0) return false;
    std::memcpy(samples, apm->frame.data_, apm->chunk * sizeof(int16_t));
    return true;
}

// webrtc sizes some buffers lazily on the first frames it processes (the gain controller's VAD
// grows two std::vectors on the second 20 ms): run 40 ms of silence through every processor here,
// at create, so the media thread never allocates.
bool warm_up(vd_apm *apm) {
    int16_t silence[kMaxChunk] = {0};
    for (int i = 0; i < 4; i++) {
        for (webrtc::AudioProcessing *p : {apm->post, apm->canceller}) {
            if (!p) continue;
            load(apm, silence);
            if (p->ProcessReverseStream(&apm->frame) != 0 || !process_near(apm, p, silence, 0)) return false;
        }
    }
    return true;
}

// Copies `n` samples out of a ring of `capacity` samples, starting at `start`, across the wrap.
void read_ring(const int16_t *ring, size_t capacity, size_t start, int16_t *out, size_t n) {
    size_t first = std::min(n, capacity - start);
    std::memcpy(out, ring + start, first * sizeof(int16_t));
    std::memcpy(out + first, ring, (n - first) * sizeof(int16_t));
}

// Copies `n` samples into a ring of `capacity` samples, starting at `start`, across the wrap.
void write_ring(int16_t *ring, size_t capacity, size_t start, const int16_t *in, size_t n) {
    size_t first = std::min(n, capacity - start);
    std::memcpy(ring + start, in, first * sizeof(int16_t));
    std::memcpy(ring, in + first, (n - first) * sizeof(int16_t));
}

// Takes the next 10 ms of the far end off the queue into `chunk` (silence where it runs out) and
// appends it to the history.
void play_far_chunk(vd_apm *apm, int16_t *chunk) {
    size_t take = std::min(apm->chunk, apm->far_count);
    read_ring(apm->far, apm->far_capacity, apm->far_head, chunk, take);
    std::memset(chunk + take, 0, (apm->chunk - take) * sizeof(int16_t));
    apm->far_head = (apm->far_head + take) % apm->far_capacity;
    apm->far_count -= take;
    write_ring(apm->history, apm->history_capacity, apm->history_end, chunk, apm->chunk);
    apm->history_end = (apm->history_end + apm->chunk) % apm->history_capacity;
}

// The block (two chunks) that started playing `ms` before the one playing now, into far_aligned.
void aligned_far_block(vd_apm *apm, int ms) {
    size_t block = kChunksPerBlock * apm->chunk;
    size_t back = static_cast<size_t>(ms) * static_cast<size_t>(apm->rate) / 1000 + block;
    size_t start = (apm->history_end + apm->history_capacity - back) % apm->history_capacity;
    read_ring(apm->history, apm->history_capacity, start, apm->far_aligned, block);
}

// Echo-cancels one 20 ms block of near end in place (see the top of this file): speex over the
// whole block (one 20 ms frame halves its cost against two of 10 ms), webrtc and the double-talk
// choice chunk by chunk, webrtc's far and near ends interleaved as it expects.
// The delay webrtc's canceller is told now: the estimate (or, without one, `fallback_ms`) less one
// estimator step (see kEstimateLeadMs).
int told_delay_ms(const vd_apm *apm, int fallback_ms) {
    int estimate = apm->delay ? vd_echo_delay_estimate(apm->delay) : -1;
    return std::max(0, (estimate >= 0 ? estimate : fallback_ms) - kEstimateLeadMs);
}

bool cancel_echo(vd_apm *apm, int16_t *near_end, int fallback_delay_ms) {
    apm->delay_ms = told_delay_ms(apm, fallback_delay_ms);
    for (size_t c = 0; c < kChunksPerBlock; c++) play_far_chunk(apm, apm->far_block + c * apm->chunk);
    aligned_far_block(apm, apm->delay_ms);
    speex_echo_cancellation(apm->linear, near_end, apm->far_aligned, apm->linear_out);
    for (size_t c = 0; c < kChunksPerBlock; c++) {
        int16_t *near_chunk = near_end + c * apm->chunk;
        const int16_t *far_chunk = apm->far_block + c * apm->chunk;
        const int16_t *linear_chunk = apm->linear_out + c * apm->chunk;
        load(apm, far_chunk);
        if (apm->canceller->ProcessReverseStream(&apm->frame) != 0) return false;
        std::memcpy(apm->suppressed, near_chunk, apm->chunk * sizeof(int16_t));
        if (!process_near(apm, apm->canceller, apm->suppressed, apm->delay_ms)) return false;
        bool talking = vd_double_talk_update(&apm->double_talk, near_chunk, linear_chunk, apm->far_aligned + c * apm->chunk,
                                             apm->chunk) != 0;
        apm->double_talk_chunks += talking;
        if (apm->delay) vd_echo_delay_update(apm->delay, far_chunk, near_chunk);
        std::memcpy(apm->linear_line + kCancellerLagSamples, linear_chunk, apm->chunk * sizeof(int16_t));
        std::memcpy(near_chunk, talking ? apm->linear_line : apm->suppressed, apm->chunk * sizeof(int16_t));
        std::memmove(apm->linear_line, apm->linear_line + apm->chunk, kCancellerLagSamples * sizeof(int16_t));
        apm->delay_ms = told_delay_ms(apm, fallback_delay_ms);
    }
    return true;
}

} // namespace

extern "C" vd_apm *vd_apm_create(const vd_apm_config *cfg, int *err) {
    int code = VD_OK;
    vd_apm *apm = nullptr;
    if ((cfg->sample_rate_hz != 8000 && cfg->sample_rate_hz != 16000) || cfg->noise_suppression < 0 ||
        cfg->noise_suppression > 4 || cfg->voice_detection < 0 || cfg->voice_detection > 4 ||
        (cfg->echo_cancellation && (cfg->echo_suppression < 1 || cfg->echo_suppression > 3))) {
        code = VD_EINVAL;
    } else {
        try {
            apm = new vd_apm();
            apm->rate = cfg->sample_rate_hz;
            apm->chunk = static_cast<size_t>(cfg->sample_rate_hz / 100);
            vd_double_talk_init(&apm->double_talk);
            apm->post = make_processing(apm->rate);
            if (!apm->post || !configure_post(apm->post, cfg)) throw std::runtime_error("post");
            if (cfg->echo_cancellation) {
                apm->far_capacity = static_cast<size_t>(2 * apm->rate);
                apm->far = new int16_t[apm->far_capacity]();
                apm->history_capacity = static_cast<size_t>((kMaxDelayMs + 20) * apm->rate / 1000);
                apm->history = new int16_t[apm->history_capacity]();
                apm->canceller = make_processing(apm->rate);
                if (!apm->canceller || !configure_canceller(apm->canceller, cfg)) throw std::runtime_error("canceller");
                apm->linear = speex_echo_state_init(static_cast<int>(kChunksPerBlock * apm->chunk), kLinearSpanMs * apm->rate / 1000);
                if (!apm->linear) throw std::bad_alloc();
                int rate = apm->rate;
                speex_echo_ctl(apm->linear, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
                int delay_err = VD_OK;
                if (cfg->estimate_delay && !(apm->delay = vd_echo_delay_create(apm->rate, kMaxDelayMs, &delay_err)))
                    throw std::bad_alloc();
            }
            if (!warm_up(apm)) code = VD_ESYS;
        } catch (const std::bad_alloc &) {
            code = VD_ENOMEM;
        } catch (...) {
            code = VD_ESYS;
        }
        if (code != VD_OK) {
            vd_apm_destroy(apm);
            apm = nullptr;
        }
    }
    if (err) *err = code;
    return apm;
}

extern "C" void vd_apm_destroy(vd_apm *apm) {
    if (!apm) return;
    delete apm->post;
    delete apm->canceller;
    if (apm->linear) speex_echo_state_destroy(apm->linear);
    delete[] apm->far;
    delete[] apm->history;
    vd_echo_delay_destroy(apm->delay);
    delete apm;
}

extern "C" int vd_apm_process_reverse(vd_apm *apm, const int16_t *far_end, size_t frames) {
    if (frames % apm->chunk != 0) return VD_EINVAL;
    if (!apm->canceller) return VD_OK;
    if (frames > apm->far_capacity) { // more than the queue holds: only the newest can still play
        far_end += frames - apm->far_capacity;
        frames = apm->far_capacity;
    }
    size_t overflow = apm->far_count + frames > apm->far_capacity ? apm->far_count + frames - apm->far_capacity : 0;
    apm->far_head = (apm->far_head + overflow) % apm->far_capacity; // nobody listened: the oldest is gone
    apm->far_count -= overflow;
    write_ring(apm->far, apm->far_capacity, (apm->far_head + apm->far_count) % apm->far_capacity, far_end, frames);
    apm->far_count += frames;
    return VD_OK;
}

extern "C" int vd_apm_process(vd_apm *apm, int16_t *near_end, size_t frames, int delay_ms, int *has_voice) {
    size_t step = apm->canceller ? kChunksPerBlock * apm->chunk : apm->chunk;
    if (frames % step != 0) return VD_EINVAL;
    *has_voice = 0;
    try {
        for (size_t at = 0; at < frames; at += step) {
            if (apm->canceller && !cancel_echo(apm, near_end + at, delay_ms)) return VD_ESYS;
            for (size_t c = at; c < at + step; c += apm->chunk) {
                if (!process_near(apm, apm->post, near_end + c, 0)) return VD_ESYS;
                *has_voice = apm->post->voice_detection()->is_enabled() && apm->post->voice_detection()->stream_has_voice();
            }
        }
    } catch (...) {
        return VD_ESYS;
    }
    return VD_OK;
}

extern "C" int vd_apm_echo_delay_ms(const vd_apm *apm) { return apm->delay_ms; }

extern "C" int vd_apm_echo_delay_estimate_ms(const vd_apm *apm) { return apm->delay ? vd_echo_delay_estimate(apm->delay) : -1; }

extern "C" float vd_apm_echo_delay_confidence(const vd_apm *apm) { return apm->delay ? vd_echo_delay_confidence(apm->delay) : 0; }

extern "C" long vd_apm_double_talk_chunks(const vd_apm *apm) { return apm->double_talk_chunks; }
