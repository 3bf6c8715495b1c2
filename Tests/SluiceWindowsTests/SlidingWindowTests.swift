import SluiceWindows
import Testing

/// Sliding windows by example, starting with the one in Kafka's `SlidingWindows` javadoc.
@Suite("Sliding windows")
struct SlidingWindowTests {
    /// Kafka's example, time difference 5000: records at 8000, 9200, 12400 make five windows
    /// (inclusive bounds there, half-open here).
    @Test func kafkaJavadocExample() throws {
        var recorder = try Recorder(.sliding(size: 5000), grace: 60_000, emit: .onClose)
        try recorder.add(1, at: 8000)
        try recorder.add(2, at: 9200)
        try recorder.add(3, at: 12400)
        recorder.flush()
        #expect(Set(recorder.emitted) == [
            "final a[3000, 8001) [1]",
            "final a[4200, 9201) [1, 2]",
            "final a[7400, 12401) [1, 2, 3]",
            "final a[8001, 13002) [2, 3]",
            "final a[9201, 14202) [3]",
        ])
    }

    @Test func updatesAsKafkaForwardsThem() throws {
        var recorder = try Recorder(.sliding(size: 10), grace: 100, emit: .onUpdate)
        try recorder.add(1, at: 100)
        #expect(recorder.emitted == ["updated a[90, 101) [1]"])
        try recorder.add(2, at: 105)
        // The new record's left window, then the first record's right window it falls into.
        #expect(recorder.emitted == ["updated a[95, 106) [1, 2]", "updated a[101, 112) [2]"])
        try recorder.add(3, at: 103)  // out of order, between them
        #expect(recorder.emitted == [
            "updated a[95, 106) [1, 2, 3]", "updated a[101, 112) [2, 3]",
            "updated a[93, 104) [1, 3]", "updated a[104, 115) [2]",
        ])
    }

    @Test func aRecordIsLateOnlyWhenEvenItsNewestPossibleWindowClosed() throws {
        var recorder = try Recorder(.sliding(size: 10), grace: 0, emit: .onClose)
        try recorder.add("b", 0, at: 100)
        // [89, 99] closed at 100 (Kafka: 89 + 10 < 100 − 0).
        #expect(try recorder.add(1, at: 89) == .late)
        // 90's own left window [80, 90] is closed, but it can still join [90, 100].
        #expect(try recorder.add(2, at: 90) == .accepted)
        #expect(recorder.emitted.isEmpty)
        try recorder.add(3, at: 100)
        recorder.flush()
        #expect(recorder.emitted == ["final b[90, 101) [0]", "final a[90, 101) [2, 3]", "final a[91, 102) [3]"])
        #expect(recorder.engine.lateRecordCount == 1)
    }

    @Test func earlyRecordsGetTheirTrueLeftWindows() throws {
        // Kafka folds every record of [0, size) into one [0, size] window; Sluice does not.
        var recorder = try Recorder(.sliding(size: 10), grace: 0, emit: .onUpdate)
        try recorder.add(1, at: 3)
        #expect(recorder.emitted == ["updated a[-7, 4) [1]"])
    }

    @Test func equalTimestampsShareTheirWindows() throws {
        var recorder = try Recorder(.sliding(size: 10), grace: 0, emit: .onUpdate)
        try recorder.add(1, at: 50)
        try recorder.add(2, at: 50)
        #expect(recorder.emitted == ["updated a[40, 51) [1, 2]"])
    }

    @Test func bufferedRecordsAreDroppedOnceNoWindowCanNeedThem() throws {
        var recorder = try Recorder(.sliding(size: 10), grace: 5, emit: .onClose)
        try recorder.add(1, at: 100)
        #expect(recorder.engine.snapshot().pendingRecords.count == 1)
        recorder.advance(to: 116)  // its right window [101, 111] could still appear until 117
        #expect(recorder.engine.snapshot().pendingRecords.count == 1 && recorder.engine.keyCount == 1)
        recorder.advance(to: 117)
        #expect(recorder.engine.snapshot().pendingRecords.isEmpty && recorder.engine.keyCount == 0)
    }
}
