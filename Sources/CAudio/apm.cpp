// C shim over webrtc-audio-processing 0.3; the contract is in vd_apm.h.
#include "vd_apm.h"
#include "vd_error.h"

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
};

namespace {

// How a phone call differs from webrtc's defaults: the echo path delay is usually unknown (the
// network, the provider's jitter buffer, the handset), so the canceller may estimate it itself
// (delay-agnostic, which needs the longer filter); gain control is purely digital (webrtc's
// "experimental" AGC steers a microphone volume a call does not have, at twice the cost).
void set_call_options(webrtc::Config &config, const vd_apm_config *cfg) {
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(cfg->delay_agnostic != 0));
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(cfg->delay_agnostic != 0));
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
}

bool configure(vd_apm *apm, const vd_apm_config *cfg) {
    webrtc::AudioProcessing *p = apm->processing;
    if (p->high_pass_filter()->Enable(cfg->high_pass != 0) != 0) return false;
    if (cfg->echo_cancellation) {
        if (p->echo_cancellation()->enable_drift_compensation(false) != 0) return false;
        if (p->echo_cancellation()->set_suppression_level(webrtc::EchoCancellation::kHighSuppression) != 0) return false;
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
        cfg->noise_suppression > 4 || cfg->voice_detection < 0 || cfg->voice_detection > 4) {
        code = VD_EINVAL;
    } else {
        try {
            apm = new vd_apm();
            apm->rate = cfg->sample_rate_hz;
            apm->chunk = static_cast<size_t>(cfg->sample_rate_hz / 100);
            webrtc::Config options;
            set_call_options(options, cfg);
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
    delete apm;
}

extern "C" int vd_apm_process_reverse(vd_apm *apm, const int16_t *far_end, size_t frames) {
    if (frames % apm->chunk != 0) return VD_EINVAL;
    try {
        for (size_t at = 0; at < frames; at += apm->chunk) {
            load(apm, far_end + at);
            if (apm->processing->ProcessReverseStream(&apm->frame) != 0) return VD_ESYS;
        }
    } catch (...) {
        return VD_ESYS;
    }
    return VD_OK;
}

extern "C" int vd_apm_process(vd_apm *apm, int16_t *near_end, size_t frames, int delay_ms, int *has_voice) {
    if (frames % apm->chunk != 0) return VD_EINVAL;
    *has_voice = 0;
    try {
        for (size_t at = 0; at < frames; at += apm->chunk) {
            load(apm, near_end + at);
            // A delay outside webrtc's range is clamped by it and reported as a warning code (> 0).
            apm->processing->set_stream_delay_ms(delay_ms);
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
