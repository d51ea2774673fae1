import CAudio
import MediaGraph

extension ServerState {
    /// `/metrics` in Prometheus text format: calls by state, provider and end reason, capacity,
    /// frames and drops per direction, rejections and limits, barge-ins, agent health, per-node
    /// processing time and per-frame latency both ways (live: running calls included), media-thread
    /// busy time and wake-ups, memory — then the event loops' timings (agent connect, barge-in
    /// reaction) from the swift-prometheus registry. docs/operations.md lists every family.
    func metricsText() -> String {
        var out = PrometheusText()
        let live = registry.live

        out.family("voiced_ready", .gauge, help: "1 while the server takes calls (what /ready says), else 0.")
        out.sample("voiced_ready", admission.isReady ? 1 : 0)
        out.family("voiced_draining", .gauge, help: "1 once a drain (SIGTERM) began.")
        out.sample("voiced_draining", admission.isDraining ? 1 : 0)
        out.family("voiced_calls_max", .gauge, help: "Calls the server takes at once (--max-calls).")
        out.sample("voiced_calls_max", admission.maxCalls)
        out.family("voiced_calls_active", .gauge, help: "Calls in progress, by provider and state.")
        let active = Dictionary(live.map { ([$0.record.call.provider, "\($0.state)"], 1) }, uniquingKeysWith: +)
        for (key, count) in active.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out.sample("voiced_calls_active", labels: [("provider", key[0]), ("state", key[1])], count)
        }
        out.family("voiced_calls_started_total", .counter, help: "Calls started (start accepted), by provider.")
        for (provider, count) in stats.startsByProvider.sorted(by: { $0.key < $1.key }) {
            out.sample("voiced_calls_started_total", labels: [("provider", provider)], count)
        }
        out.family("voiced_calls_ended_total", .counter,
                   help: "Calls, and media connections that never became one, ended, by provider and reason.")
        for (outcome, count) in stats.endings.sorted(by: { ($0.key.provider, $0.key.reason.rawValue) < ($1.key.provider, $1.key.reason.rawValue) }) {
            out.sample("voiced_calls_ended_total", labels: [("provider", outcome.provider), ("reason", outcome.reason.rawValue)], count)
        }
        labelled(&out, "voiced_calls_refused_total", "reason", stats.refusals,
                 help: "Calls refused for want of capacity, by reason (max_calls, draining, over_budget, media_threads_full).")
        labelled(&out, "voiced_auth_refusals_total", "provider", stats.authRefusals,
                 help: "Provider requests refused for failed authentication, by provider.")
        out.family("voiced_connections_open", .gauge, help: "Open connections: provider media WebSockets, and HTTP connections not upgraded.")
        out.sample("voiced_connections_open", labels: [("kind", "media")], stats.connectionsOpen.load(ordering: .relaxed))
        out.sample("voiced_connections_open", labels: [("kind", "http")], stats.httpConnectionsOpen.load(ordering: .relaxed))

        out.family("voiced_frames_total", .counter,
                   help: "20 ms frames: uplink = from the provider, downlink = sent to the provider.")
        out.sample("voiced_frames_total", labels: [("direction", "uplink")], stats.framesIn.load(ordering: .relaxed))
        out.sample("voiced_frames_total", labels: [("direction", "downlink")], stats.framesOut.load(ordering: .relaxed))
        out.family("voiced_frames_dropped_total", .counter, help: "Frames dropped, by direction and cause.")
        out.sample("voiced_frames_dropped_total", labels: [("direction", "uplink"), ("cause", "ring_full")], stats.framesDropped.load(ordering: .relaxed))
        out.sample("voiced_frames_dropped_total", labels: [("direction", "uplink"), ("cause", "over_real_time")],
                   stats.framesOverRealTime.load(ordering: .relaxed))
        out.sample("voiced_frames_dropped_total", labels: [("direction", "downlink"), ("cause", "interrupted_agent_audio")],
                   stats.agentLateAudioDropped.load(ordering: .relaxed))
        out.family("voiced_silence_frames_inserted_total", .counter, help: "Silence frames inserted for gaps in provider timestamps.")
        out.sample("voiced_silence_frames_inserted_total", stats.silenceFramesInserted.load(ordering: .relaxed))
        labelled(&out, "voiced_messages_rejected_total", "reason", stats.rejections, help: "Provider messages rejected, by reason.")
        labelled(&out, "voiced_limit_closures_total", "kind", stats.limitClosures, help: "Connections closed by a limit, by kind.")
        labelled(&out, "voiced_node_events_total", "name", stats.nodeEvents, help: "Events the graphs' own nodes raised (a DTMF detector's digits…), by name.")
        counter(&out, "voiced_speech_starts_total", stats.speechStarts.load(ordering: .relaxed), help: "Caller speech segments the graphs' VAD reported.")
        counter(&out, "voiced_barge_ins_total", stats.bargeIns.load(ordering: .relaxed), help: "Caller interruptions of agent speech acted on.")
        counter(&out, "voiced_agent_failures_total", stats.agentFailures.load(ordering: .relaxed), help: "Agents that failed or could not be reached (the call ended).")
        counter(&out, "voiced_agent_reconnects_total", stats.agentReconnects.load(ordering: .relaxed), help: "Agent connections made again mid-call.")
        counter(&out, "voiced_agent_caller_audio_dropped_total", stats.agentCallerAudioDropped.load(ordering: .relaxed),
                help: "Caller audio messages not sent to an agent whose socket stopped taking writes (a stalled agent).")
        counter(&out, "voiced_agent_errors_total", stats.agentErrors.load(ordering: .relaxed), help: "error events agents sent.")
        counter(&out, "voiced_agent_messages_rejected_total", stats.agentMessagesRejected.load(ordering: .relaxed),
                help: "Agent messages that could not be parsed or were of an unknown type.")

        let media = stats.media.snapshot()
        let bounds = LiveHistograms.bucketBounds
        out.family("voiced_frame_latency_seconds", .histogram,
                   help: "Time a frame spends in voiced: uplink = provider frame arrival to the agent's frame queued; downlink = agent audio arrival to the provider's frame queued (pacing included).")
        out.histogram("voiced_frame_latency_seconds", [("direction", "uplink")], media.uplink, boundsNanos: bounds)
        out.histogram("voiced_frame_latency_seconds", [("direction", "downlink")], media.downlink, boundsNanos: bounds)
        out.family("voiced_node_processing_seconds", .histogram, help: "Processing time per frame of each graph node, by direction and node.")
        for (key, timing) in media.nodes.sorted(by: { ($0.key.direction, $0.key.node) < ($1.key.direction, $1.key.node) }) {
            out.histogram("voiced_node_processing_seconds", [("direction", key.direction), ("node", key.node)], timing, boundsNanos: bounds)
        }

        out.family("voiced_media_thread_busy_seconds_total", .counter,
                   help: "Time each media thread spent serving calls; its rate is the thread's busy fraction.")
        for thread in pool.threads { out.sample("voiced_media_thread_busy_seconds_total", labels: [("thread", "\(thread.index)")], Double(thread.busyNanos) / 1e9) }
        out.family("voiced_media_thread_wakeups_total", .counter, help: "Times each media thread woke up.")
        for thread in pool.threads { out.sample("voiced_media_thread_wakeups_total", labels: [("thread", "\(thread.index)")], thread.wakeups) }
        out.family("voiced_media_thread_calls", .gauge, help: "Calls attached to each media thread.")
        for thread in pool.threads { out.sample("voiced_media_thread_calls", labels: [("thread", "\(thread.index)")], thread.attachedCalls) }
        if let records {
            counter(&out, "voiced_records_written_total", records.written.load(ordering: .relaxed), help: "Call records written.")
            counter(&out, "voiced_records_dropped_total", records.dropped.load(ordering: .relaxed),
                    help: "Call records dropped: the writer's queue was full or a write failed.")
            counter(&out, "voiced_record_write_failures_total", records.failures.load(ordering: .relaxed), help: "Failed record writes.")
        }
        if let recordings {
            counter(&out, "voiced_recordings_finished_total", recordings.finished.load(ordering: .relaxed), help: "Call recordings written and closed.")
            counter(&out, "voiced_recording_failures_total", recordings.failures.load(ordering: .relaxed),
                    help: "Calls that asked to be recorded but could not be (their file could not be created).")
        }
        if let webhooks {
            counter(&out, "voiced_webhooks_delivered_total", webhooks.delivered.load(ordering: .relaxed), help: "Call events delivered (2xx).")
            counter(&out, "voiced_webhooks_failed_total", webhooks.failed.load(ordering: .relaxed),
                    help: "Call events given up after their attempts, or refused with a 4xx.")
            counter(&out, "voiced_webhooks_dropped_total", webhooks.dropped.load(ordering: .relaxed), help: "Call events dropped: the queue was full.")
            counter(&out, "voiced_webhooks_retries_total", webhooks.retries.load(ordering: .relaxed), help: "Webhook deliveries tried again.")
        }
        out.family("process_resident_memory_bytes", .gauge, help: "Resident memory of the process.")
        out.sample("process_resident_memory_bytes", vd_resident_kib() * 1024)
        return out.text + stats.timings.text
    }

    private func labelled(_ out: inout PrometheusText, _ name: String, _ label: String, _ counts: [String: UInt64], help: String) {
        out.family(name, .counter, help: help)
        for (value, count) in counts.sorted(by: { $0.key < $1.key }) { out.sample(name, labels: [(label, value)], count) }
    }

    private func counter(_ out: inout PrometheusText, _ name: String, _ value: UInt64, help: String) {
        out.family(name, .counter, help: help)
        out.sample(name, value)
    }
}
