import SluiceWindows
import Testing

/// Tumbling and hopping windows by example: boundaries, grace, lateness and both emit modes.
@Suite("Tumbling and hopping windows")
struct TimeWindowTests {
    @Test func boundaryTimestampsBelongToTheWindowTheyStart() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 100, emit: .onUpdate)
        try recorder.add(1, at: 9)
        #expect(recorder.emitted == ["updated a[0, 10) [1]"])
        try recorder.add(2, at: 10)
        #expect(recorder.emitted == ["updated a[10, 20) [2]"])
        try recorder.add(3, at: 0)
        #expect(recorder.emitted == ["updated a[0, 10) [1, 3]"])
    }

    @Test func withNoGraceAWindowClosesWhenStreamTimeReachesItsEnd() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 0, emit: .onClose)
        try recorder.add(1, at: 5)
        try recorder.add(2, at: 9)
        #expect(recorder.emitted.isEmpty)
        try recorder.add("b", 3, at: 10)  // another key moves stream time: [0, 10) closes
        #expect(recorder.emitted == ["final a[0, 10) [1, 2]"])
        #expect(try recorder.add(4, at: 9) == .late)
        #expect(recorder.emitted.isEmpty && recorder.engine.lateRecordCount == 1)
        #expect(try recorder.add(5, at: 10) == .accepted)
    }

    @Test func graceAcceptsOutOfOrderRecordsUntilEndPlusGrace() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 5, emit: .onClose)
        try recorder.add(1, at: 2)
        try recorder.add("b", 2, at: 14)  // end + grace − 1: still open
        #expect(try recorder.add(3, at: 9) == .accepted)
        #expect(recorder.emitted.isEmpty)
        try recorder.add("b", 4, at: 15)  // end + grace: closed
        #expect(recorder.emitted == ["final a[0, 10) [1, 3]"])
        #expect(try recorder.add(5, at: 0) == .late)
    }

    @Test func aHoppingRecordMissesOnlyTheWindowsThatClosed() throws {
        var recorder = try Recorder(.hopping(size: 10, advance: 5), grace: 0, emit: .onUpdate)
        try recorder.add(1, at: 12)
        #expect(recorder.emitted == ["updated a[5, 15) [1]", "updated a[10, 20) [1]"])
        try recorder.add("b", 2, at: 15)  // closes [5, 15)
        #expect(try recorder.add(3, at: 12) == .accepted)
        #expect(recorder.emitted == ["updated a[10, 20) [1, 3]"])
        #expect(recorder.engine.lateRecordCount == 0)
        #expect(try recorder.add(4, at: 9) == .late)  // [0, 10) and [5, 15) have both closed
    }

    @Test func onUpdateEmitsEveryChangeAndNothingAtClose() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 0, emit: .onUpdate)
        try recorder.add(1, at: 1)
        try recorder.add(2, at: 2)
        #expect(recorder.emitted == ["updated a[0, 10) [1, 2]"])
        try recorder.add(3, at: 25)
        #expect(recorder.emitted == ["updated a[20, 30) [3]"])
        #expect(recorder.engine.openWindowCount == 1)
        recorder.flush()
        #expect(recorder.emitted.isEmpty && recorder.engine.openWindowCount == 0)
    }

    @Test func advancingStreamTimeClosesWindowsWithoutARecord() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 3, emit: .onClose)
        try recorder.add(1, at: 4)
        try recorder.add("b", 2, at: 12)
        recorder.advance(to: 11)
        #expect(recorder.emitted.isEmpty && recorder.engine.streamTime == 12)  // never goes back
        recorder.advance(to: 13)
        #expect(recorder.emitted == ["final a[0, 10) [1]"])
        recorder.flush()
        #expect(recorder.emitted == ["final b[10, 20) [2]"])
        #expect(try recorder.add(3, at: 100) == .late)  // a flushed stream has ended
    }

    @Test func finalsClosingTogetherComeInWindowThenKeyOrder() throws {
        var recorder = try Recorder(.hopping(size: 10, advance: 5), grace: 0, emit: .onClose)
        try recorder.add("b", 1, at: 7)
        try recorder.add("a", 2, at: 8)
        recorder.advance(to: 100)
        #expect(recorder.emitted == [
            "final b[0, 10) [1]", "final a[0, 10) [2]", "final b[5, 15) [1]", "final a[5, 15) [2]",
        ])
    }

    @Test func keysComeAndGoWithoutLeakingState() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 0, emit: .onClose)
        for minute in 0..<50 {
            for key in 0..<20 { try recorder.add("k\(key + minute % 3)", key, at: Int64(minute * 10 + key % 10)) }
        }
        #expect(recorder.engine.keyCount == 20 && recorder.engine.openWindowCount == 20)
        recorder.flush()
        #expect(recorder.engine.keyCount == 0 && recorder.engine.openWindowCount == 0)
    }
}
