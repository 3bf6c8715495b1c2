import SluiceWindows
import Testing

/// Session windows by example: growth, merges with retractions, closing with the gap, lateness.
@Suite("Session windows")
struct SessionWindowTests {
    @Test func recordsWithinTheGapExtendASessionAndKafkaStyleRetractionsFollow() throws {
        var recorder = try Recorder(.session(gap: 5), grace: 0, emit: .onUpdate)
        try recorder.add(1, at: 0)
        #expect(recorder.emitted == ["updated a[0, 1) [1]"])
        try recorder.add(2, at: 5)  // exactly the gap away: same session
        #expect(recorder.emitted == ["removed a[0, 1) [1]", "updated a[0, 6) [1, 2]"])
        try recorder.add(3, at: 3)  // inside: bounds unchanged, no retraction
        #expect(recorder.emitted == ["updated a[0, 6) [1, 2, 3]"])
        try recorder.add(4, at: 11)  // 6 after the last: a new session
        #expect(recorder.emitted == ["updated a[11, 12) [4]"])
    }

    @Test func oneRecordBridgingTwoSessionsMergesThem() throws {
        var recorder = try Recorder(.session(gap: 5), grace: 100, emit: .onUpdate)
        try recorder.add(1, at: 0)
        try recorder.add(2, at: 10)
        #expect(recorder.engine.openWindowCount == 2)
        try recorder.add(3, at: 5)
        #expect(recorder.emitted == ["removed a[0, 1) [1]", "removed a[10, 11) [2]", "updated a[0, 11) [1, 2, 3]"])
        #expect(recorder.engine.openWindowCount == 1)
    }

    /// Sessions of a key are more than `gap` apart, so one record reaches at most two of them;
    /// three sessions become one through two bridging records, each retracting what it replaced.
    @Test func threeSessionsMergeThroughTwoBridges() throws {
        var recorder = try Recorder(.session(gap: 5), grace: 100, emit: .onUpdate)
        for (value, timestamp) in [(1, 0), (2, 10), (3, 20)] { try recorder.add(value, at: Int64(timestamp)) }
        #expect(recorder.engine.openWindowCount == 3)
        try recorder.add(4, at: 15)
        #expect(recorder.emitted == ["removed a[10, 11) [2]", "removed a[20, 21) [3]", "updated a[10, 21) [2, 3, 4]"])
        try recorder.add(5, at: 5)
        #expect(recorder.emitted == ["removed a[0, 1) [1]", "removed a[10, 21) [2, 3, 4]", "updated a[0, 21) [1, 2, 3, 4, 5]"])
        recorder = try Recorder(.session(gap: 5), grace: 100, emit: .onClose)
        for (value, timestamp) in [(1, 0), (2, 10), (3, 20), (4, 15), (5, 5)] { try recorder.add(value, at: Int64(timestamp)) }
        recorder.flush()
        #expect(recorder.emitted == ["final a[0, 21) [1, 2, 3, 4, 5]"])
    }

    @Test func aRecordExtendingASessionBackwardsKeepsItScheduled() throws {
        var recorder = try Recorder(.session(gap: 5), grace: 0, emit: .onClose)
        try recorder.add(1, at: 10)
        try recorder.add(2, at: 6)  // session now starts at 6
        recorder.advance(to: 15)
        #expect(recorder.emitted.isEmpty)
        recorder.advance(to: 16)  // last 10 + 1 + gap 5
        #expect(recorder.emitted == ["final a[6, 11) [1, 2]"])
    }

    @Test func aSessionClosesOnlyAfterTheGapAndGracePassItsLastRecord() throws {
        var recorder = try Recorder(.session(gap: 5), grace: 2, emit: .onClose)
        try recorder.add(1, at: 0)
        try recorder.add("b", 2, at: 7)  // last 0 + gap 5 + grace 2 = 7: still open
        #expect(recorder.emitted.isEmpty)
        #expect(try recorder.add(3, at: 2) == .accepted)
        try recorder.add("b", 4, at: 9)
        #expect(recorder.emitted.isEmpty)  // the session grew: it now closes at 2 + 1 + 5 + 2 = 10
        try recorder.add("b", 5, at: 10)
        #expect(recorder.emitted == ["final a[0, 3) [1, 3]"])
        // A record that would start a session already closed is late.
        #expect(try recorder.add(6, at: 2) == .late)
        #expect(try recorder.add(7, at: 3) == .accepted)  // [3, 3] closes at 11
    }

    @Test func aClosedSessionIsFinalAndNeverReopened() throws {
        var recorder = try Recorder(.session(gap: 10), grace: 0, emit: .onClose)
        try recorder.add(1, at: 0)
        try recorder.add("b", 2, at: 15)
        #expect(recorder.emitted == ["final a[0, 1) [1]"])
        // Within the gap of the closed session: Kafka might merge into it; Sluice starts anew.
        #expect(try recorder.add(3, at: 10) == .accepted)
        recorder.flush()
        #expect(recorder.emitted.contains("final a[10, 11) [3]"))
    }

    @Test func hugeGapsAndGraceDoNotOverflow() throws {
        let huge = WindowSpec.maximumDuration
        var recorder = try Recorder(.session(gap: huge), grace: huge, emit: .onClose)
        try recorder.add(1, at: 0)
        try recorder.add(2, at: huge)
        try recorder.add(3, at: WindowSpec.maximumTimestamp)  // closes [0, huge] at last + 1 + 2·huge
        #expect(recorder.emitted == ["final a[0, \(huge + 1)) [1, 2]"])
        recorder.flush()
        #expect(recorder.emitted == ["final a[\(WindowSpec.maximumTimestamp), \(WindowSpec.maximumTimestamp + 1)) [3]"])
    }

    @Test func mergingUsesTheMergerAndTheAggregatorOnce() throws {
        struct Stats: Equatable { var count = 0; var sum = 0 }
        var engine = try WindowedAggregation<String, Int, Stats>(
            windows: .session(gap: 5), grace: 100, emit: .onClose,
            initializer: { Stats() },
            aggregator: { $0.count += 1; $0.sum += $1 },
            merger: { $0.count += $1.count; $0.sum += $1.sum })
        var results: [WindowedResult<String, Stats>] = []
        for (value, timestamp) in [(1, 0), (10, 10), (100, 5)] {
            _ = try engine.process(key: "a", value: value, timestamp: Int64(timestamp), into: &results)
        }
        engine.flush(into: &results)
        #expect(results == [WindowedResult(kind: .final, key: "a", window: Window(start: 0, end: 11), aggregate: Stats(count: 3, sum: 111))])
    }
}
