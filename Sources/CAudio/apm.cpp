// C shim over webrtc-audio-processing 0.3; the contract is in vd_apm.h.
#include "vd_apm.h"
#include "vd_echo_delay.h"
#include "vd_error.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

struct vd_apm {
    webrtc::AudioProcessing *processing = nullptr;
    webrtc::AudioFrame frame; // reused for every 10 ms chunk: no allocation per call
    int rate = 0;
    size_t chunk = 0;
    // The far end waiting to play: a ring of `far_capacity` samples (2 s), oldest at `far_head`.
    int16_t *far = nullptr;
    size_t far_capacity = 0, far_head = 0, far_count = 0;
    int16_t far_chunk[160] = {0}; // the chunk playing now (10 ms at 16 kHz at most)
    bool echo = false;              // echo cancellation on: the far end is queued and played
    vd_echo_delay *delay = nullptr; // with estimate_delay
    int delay_ms = 0;               // what the canceller was last told
};

namespace {

// webrtc's filter covers echoes that come back later than the delay it is told, not earlier: it is
// told the estimate less one estimator step (10 ms), so an echo onset is never ahead of it (at 20 ms
// echoes, the estimate itself let a syllable's onset through once in 16 s; this, none).
constexpr int kEstimateLeadMs = 10;

// How a phone call differs from webrtc's defaults: the echo path delay is unknown (the network, the
// provider's jitter buffer, the handset) and often longer than webrtc's own delay-agnostic mode
// finds (it fails past ~250 ms at 8 kHz, at twice the cost), so voiced measures it (vd_echo_delay)
// and webrtc trusts it; gain control is purely digital (webrtc's "experimental" AGC steers a
// microphone volume a call does not have, at twice the cost).
void set_call_options(webrtc::Config &config) {
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(false));
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(false));
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
}

bool configure(vd_apm *apm, const vd_apm_config *cfg) {
    webrtc::AudioProcessing *p = apm->processing;
    if (p->high_pass_filter()->Enable(cfg->high_pass != 0) != 0) return false;
    if (cfg->echo_cancellation) {
        if (p->echo_cancellation()->enable_drift_compensation(false) != 0) return false;
        static const webrtc::EchoCancellation::SuppressionLevel suppressions[] = {
            webrtc::EchoCancellation::kLowSuppression, webrtc::EchoCancellation::kModerateSuppression,
            webrtc::EchoCancellation::kHighSuppression};
        if (p->echo_cancellation()->set_suppression_level(suppressions[cfg->echo_suppression - 1]) != 0) return false;
        if (p->echo_cancellation()->Enable(true) != 0) return false;
    }
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

// webrtc sizes some buffers lazily on the first frames it processes (the gain controller's VAD
// grows two std::vectors on the second 20 ms): run 40 ms of silence through both directions here,
// at create, so the media thread never allocates.
bool warm_up(vd_apm *apm) {
    static const int16_t silence[160] = {0}; // 10 ms at 16 kHz, the highest rate
    for (int i = 0; i < 4; i++) {
        load(apm, silence);
        if (apm->processing->ProcessReverseStream(&apm->frame) != 0) return false;
        load(apm, silence);
        apm->processing->set_stream_delay_ms(0);
        if (apm->processing->ProcessStream(&apm->frame) < 0) return false;
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
            apm->echo = cfg->echo_cancellation != 0;
            apm->far_capacity = static_cast<size_t>(2 * cfg->sample_rate_hz);
            apm->far = new int16_t[apm->far_capacity];
            int delay_err = VD_OK;
            if (cfg->echo_cancellation && cfg->estimate_delay &&
                !(apm->delay = vd_echo_delay_create(cfg->sample_rate_hz, 500, &delay_err)))
                throw std::bad_alloc();
            webrtc::Config options;
            set_call_options(options);
            apm->processing = webrtc::AudioProcessing::Create(options);
            // Fix all three streams at the call's rate now: otherwise webrtc assumes 16 kHz until
            // the first near-end frame and refuses an 8 kHz far end that comes first.
            const auto mono = webrtc::AudioProcessing::kMono;
            if (!apm->processing ||
                apm->processing->Initialize(apm->rate, apm->rate, apm->rate, mono, mono, mono) != 0 ||
                !configure(apm, cfg) || !warm_up(apm))
                code = VD_ESYS;
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
    delete apm->processing;
    delete[] apm->far;
    vd_echo_delay_destroy(apm->delay);
    delete apm;
}

extern "C" int vd_apm_process_reverse(vd_apm *apm, const int16_t *far_end, size_t frames) {
    if (frames % apm->chunk != 0) return VD_EINVAL;
    if (!apm->echo) return VD_OK;
    if (frames > apm->far_capacity) { // more than the queue holds: only the newest can still play
        far_end += frames - apm->far_capacity;
        frames = apm->far_capacity;
    }
    size_t overflow = apm->far_count + frames > apm->far_capacity ? apm->far_count + frames - apm->far_capacity : 0;
    apm->far_head = (apm->far_head + overflow) % apm->far_capacity; // nobody listened: the oldest is gone
    apm->far_count -= overflow;
    size_t tail = (apm->far_head + apm->far_count) % apm->far_capacity;
    size_t first = std::min(frames, apm->far_capacity - tail);
    std::memcpy(apm->far + tail, far_end, first * sizeof(int16_t));
    std::memcpy(apm->far, far_end + first, (frames - first) * sizeof(int16_t));
    apm->far_count += frames;
    return VD_OK;
}

namespace {

// Takes the next 10 ms of the far end off the queue into far_chunk (silence where it runs out).
void next_far_chunk(vd_apm *apm) {
    size_t take = std::min(apm->chunk, apm->far_count);
    size_t first = std::min(take, apm->far_capacity - apm->far_head);
    std::memcpy(apm->far_chunk, apm->far + apm->far_head, first * sizeof(int16_t));
    std::memcpy(apm->far_chunk + first, apm->far, (take - first) * sizeof(int16_t));
    std::memset(apm->far_chunk + take, 0, (apm->chunk - take) * sizeof(int16_t));
    apm->far_head = (apm->far_head + take) % apm->far_capacity;
    apm->far_count -= take;
}

} // namespace

extern "C" int vd_apm_process(vd_apm *apm, int16_t *near_end, size_t frames, int delay_ms, int *has_voice) {
    if (frames % apm->chunk != 0) return VD_EINVAL;
    *has_voice = 0;
    try {
        for (size_t at = 0; at < frames; at += apm->chunk) {
            if (apm->echo) {
                next_far_chunk(apm);
                load(apm, apm->far_chunk);
                if (apm->processing->ProcessReverseStream(&apm->frame) != 0) return VD_ESYS;
            }
            int estimate = apm->delay ? vd_echo_delay_update(apm->delay, apm->far_chunk, near_end + at) : -1;
            apm->delay_ms = estimate >= 0 ? (estimate > kEstimateLeadMs ? estimate - kEstimateLeadMs : 0) : delay_ms;
            load(apm, near_end + at);
            // A delay outside webrtc's range is clamped by it and reported as a warning code (> 0).
            apm->processing->set_stream_delay_ms(apm->delay_ms);
            if (apm->processing->ProcessStream(&apm->frame) < 0) return VD_ESYS;
            std::memcpy(near_end + at, apm->frame.data_, apm->chunk * sizeof(int16_t));
            *has_voice = apm->processing->voice_detection()->is_enabled() &&
                         apm->processing->voice_detection()->stream_has_voice();
        }
    } catch (...) {
        return VD_ESYS;
    }
    return VD_OK;
}

extern "C" int vd_apm_echo_delay_ms(const vd_apm *apm) { return apm->delay_ms; }
