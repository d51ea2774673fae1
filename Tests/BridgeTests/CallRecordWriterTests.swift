@testable import Bridge
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import VoicedTesting

/// The record writer's promises, against a store that fails on cue (SQLite and PostgreSQL are
/// tested for real in CallRecordsTests and PostgresRecordsTests): a store that is down keeps the
/// batch for later tries, a store that refuses a row costs only that row, and nothing waits
/// forever.
@Suite struct CallRecordWriterTests {
    /// Fails the next `unavailable` inserts as unavailable, and any row of `refusedCall` as
    /// rejected; keeps what it takes.
    final class FlakyStore: CallRecordStore, @unchecked Sendable {
        // @unchecked Sendable: touched on the writer's queue, read by the test after a flush.
        let state = NIOLockedValueBox((unavailable: 0, refusedCall: UInt64?.none, rows: [EndedCall]()))

        func insert(_ calls: [EndedCall]) throws {
            try state.withLockedValue { state in
                if state.unavailable > 0 {
                    state.unavailable -= 1
                    throw CallRecordStoreError.unavailable("down")
                }
                if calls.contains(where: { $0.callID == state.refusedCall }) { throw CallRecordStoreError.rejected("bad row") }
                state.rows += calls
            }
        }

        func calls(since: String?) throws -> [EndedCall] { state.withLockedValue { $0.rows } }
    }

    static func calls(_ range: ClosedRange<Int>) -> [EndedCall] {
        range.map { PostgresRecordsTests.call($0, startedAt: "2026-11-28T05:00:00.000Z") }
    }

    @Test func aStoreThatIsDownGetsTheBatchAgainLater() async throws {
        let store = FlakyStore()
        store.state.withLockedValue { $0.unavailable = 2 }
        let writer = CallRecordWriter(store: store, logger: Logger(label: "test"))
        for call in Self.calls(1...3) { writer.record(call) }
        writer.flush()
        #expect(writer.written.load(ordering: .relaxed) == 0 && writer.retryingCount == 3, "kept, not dropped")
        // Tried again after 1 s (down again), then after 2 s more.
        try await until(timeout: .seconds(20)) { writer.written.load(ordering: .relaxed) == 3 }
        #expect(store.state.withLockedValue { $0.rows.map(\.callID) } == [1, 2, 3], "in order, once each")
        #expect(writer.dropped.load(ordering: .relaxed) == 0 && writer.failures.load(ordering: .relaxed) == 2)
    }

    @Test func aRefusedRowCostsOnlyItself() {
        let store = FlakyStore()
        store.state.withLockedValue { $0.refusedCall = 2 }
        let writer = CallRecordWriter(store: store, logger: Logger(label: "test"))
        for call in Self.calls(1...4) { writer.record(call) }
        writer.flush()
        #expect(store.state.withLockedValue { $0.rows.map(\.callID) } == [1, 3, 4])
        #expect(writer.written.load(ordering: .relaxed) == 3 && writer.dropped.load(ordering: .relaxed) == 1)
    }

    @Test func aStoreDownForGoodIsGivenUpOnAndCloseWaitsForNothing() async {
        let store = FlakyStore()
        store.state.withLockedValue { $0.unavailable = .max }
        let writer = CallRecordWriter(store: store, logger: Logger(label: "test"))
        for call in Self.calls(1...2) { writer.record(call) }
        for _ in 0..<CallRecordWriter.maxAttempts { writer.flush() }
        #expect(writer.dropped.load(ordering: .relaxed) == 2 && writer.retryingCount == 0, "dropped after the last try, counted")
        writer.record(Self.calls(3...3)[0])
        await writer.close()
        #expect(writer.dropped.load(ordering: .relaxed) == 3, "what is still waiting at shutdown is counted, not waited for")
        writer.record(Self.calls(4...4)[0])
        writer.flush()
        #expect(writer.dropped.load(ordering: .relaxed) == 4, "after close nothing reaches the store")
    }
}
