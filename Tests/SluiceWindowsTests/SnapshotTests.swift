import SluiceWindows
import Testing

/// Snapshots by example: what they hold, and which ones `restore` refuses.
@Suite("Snapshots and restore")
struct SnapshotTests {
    private func engine(_ spec: WindowSpec, emit: EmitMode = .onClose) throws -> IdAggregation {
        try EngineRun.makeEngine(spec, grace: 0, emit: emit)
    }

    private func snapshot(_ windows: [(String, Int64, Int64)], pending: [(String, Int64)] = [], streamTime: Int64? = 0) -> IdAggregation.Snapshot {
        IdAggregation.Snapshot(
            streamTime: streamTime,
            windows: windows.map { .init(key: $0.0, window: Window(start: $0.1, end: $0.2), aggregate: [1]) },
            pendingRecords: pending.map { .init(key: $0.0, timestamp: $0.1, value: 1) })
    }

    @Test func aSnapshotHoldsOpenWindowsByKeyAndStart() throws {
        var aggregation = try engine(.hopping(size: 10, advance: 5))
        var results: [WindowedResult<String, [Int]>] = []
        _ = try aggregation.process(key: "b", value: 1, timestamp: 12, into: &results)
        _ = try aggregation.process(key: "a", value: 2, timestamp: 7, into: &results)
        let state = aggregation.snapshot()
        #expect(state.streamTime == 12 && state.pendingRecords.isEmpty)
        // a's [0, 10) had already closed at stream time 12 (no grace).
        #expect(state.windows.map { "\($0.key)\($0.window) \($0.aggregate)" } == ["b[5, 15) [1]", "b[10, 20) [1]", "a[5, 15) [2]"])
    }

    @Test func restoreRefusesWhatTheDefinitionCouldNotProduce() throws {
        var tumbling = try engine(.tumbling(size: 10))
        let refused: [(IdAggregation.Snapshot, String)] = [
            (snapshot([("a", 5, 15)]), "misaligned"),
            (snapshot([("a", 0, 20)]), "wrong size"),
            (snapshot([("a", 10, 10)]), "empty"),
            (snapshot([("a", 0, 10), ("a", 0, 10)]), "duplicate"),
            (snapshot([("a", 0, 10)], pending: [("a", 3)]), "pending records outside sliding windows"),
        ]
        var results: [WindowedResult<String, [Int]>] = []
        _ = try tumbling.process(key: "z", value: 9, timestamp: 3, into: &results)
        let before = tumbling.snapshot()
        for (bad, reason) in refused {
            #expect(throws: WindowError.self, "\(reason)") { try tumbling.restore(bad) }
            #expect(tumbling.snapshot() == before, "a refused restore changed the state (\(reason))")
        }
        var sessions = try engine(.session(gap: 5))
        #expect(throws: WindowError.invalidSnapshot("sessions [0, 3) and [7, 8) are within the gap")) {
            try sessions.restore(snapshot([("a", 0, 3), ("a", 7, 8)]))
        }
        #expect(throws: Never.self) { try sessions.restore(snapshot([("a", 0, 3), ("a", 8, 9), ("b", 4, 5)])) }
        var sliding = try engine(.sliding(size: 10))
        #expect(throws: WindowError.invalidSnapshot("pending record timestamp -1 is out of range")) {
            try sliding.restore(snapshot([("a", 0, 11)], pending: [("a", -1)]))
        }
        #expect(throws: WindowError.invalidSnapshot("window [0, 10) cannot come from sliding(size: 10)")) {
            try sliding.restore(snapshot([("a", 0, 10)]))
        }
    }

    @Test func windowsAlreadyDueInASnapshotCloseOnTheNextAdvance() throws {
        var aggregation = try engine(.tumbling(size: 10))
        try aggregation.restore(snapshot([("a", 0, 10), ("a", 10, 20)], streamTime: 15))
        #expect(aggregation.openWindowCount == 2 && aggregation.streamTime == 15)
        var results: [WindowedResult<String, [Int]>] = []
        aggregation.advance(streamTime: 16, into: &results)
        #expect(results == [WindowedResult(kind: .final, key: "a", window: Window(start: 0, end: 10), aggregate: [1])])
        #expect(aggregation.openWindowCount == 1)
    }
}
