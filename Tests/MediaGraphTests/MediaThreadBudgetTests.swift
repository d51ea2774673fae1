@testable import MediaGraph
import Testing
import MediaTesting

/// Admission by cost (``MediaThread/Configuration/instructionBudget``) and the per-call watchdog.
@Suite struct MediaThreadBudgetTests {
    @Test func callsGoWhereThereIsRoomAndAreRefusedWhenThereIsNone() throws {
        let standard = try Graph(spec: .standard, providerFormat: .telephonyMuLaw).instructionsPerFrame
        let pool = try MediaThreadPool(count: 2, configuration: .init(instructionBudget: standard * 2 + standard / 2))
        let doorbell = try Doorbell(mediaThreads: 2, callsPerThread: 8)
        func call(_ id: UInt64, _ spec: GraphSpec = .standard) throws -> CallPipeline {
            try CallPipeline(callID: id, spec: spec, providerFormat: .telephonyMuLaw, doorbell: doorbell)
        }
        var placed: [(CallPipeline, MediaThread)] = []
        for id in 1...4 {
            let c = try call(UInt64(id))
            placed.append((c, try pool.attach(c)))
        }
        // Two per thread: placement goes by room left.
        #expect(placed.map(\.1.index).sorted() == [0, 0, 1, 1])
        let roomBefore = pool.threads.map(\.room)
        #expect(throws: MediaThreadError.self) { try pool.attach(try call(5)) }
        #expect(pool.threads.map(\.room) == roomBefore, "a refused call leaves no cost behind")
        // A cheap graph still fits in what is left.
        let cheap = try call(6, .passthrough)
        _ = try pool.attach(cheap)
        // A call's cost leaves with it.
        placed[0].1.detach(placed[0].0)
        let again = try call(7)
        #expect(try pool.attach(again) === placed[0].1)
        // The threads hold calls unretained: stop them before the calls go.
        pool.stop()
        withExtendedLifetime((placed, cheap, again, doorbell)) {}
    }

    @Test func aWatchdogTripsOnRepeatedOverrunsOnly() {
        var watchdog = FrameBudgetWatchdog(budgetNanos: 1_000_000)
        // One frame in three over budget, for ten seconds: never trips.
        for i in 0..<500 {
            let tripped = watchdog.charge(nanos: i % 3 == 0 ? 5_000_000 : 100_000, frames: 1)
            #expect(!tripped)
        }
        // Every frame over: trips within the next window, and only once.
        var tripped = 0
        for _ in 0..<100 where watchdog.charge(nanos: 5_000_000, frames: 1) { tripped += 1 }
        #expect(tripped == 1)
    }
}
