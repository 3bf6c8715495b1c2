import SluiceWindows
import Testing

/// Window definitions: validation with typed errors, epoch alignment, and the windows a
/// timestamp falls into.
@Suite("Window definitions")
struct WindowSpecTests {
    @Test func invalidDefinitionsNameTheProblem() {
        #expect(throws: WindowError.invalidSize(0)) { try WindowSpec.tumbling(size: 0).validate() }
        #expect(throws: WindowError.invalidSize(-60_000)) { try WindowSpec.tumbling(size: -60_000).validate() }
        #expect(throws: WindowError.invalidSize(-1)) { try WindowSpec.sliding(size: -1).validate() }
        #expect(throws: WindowError.invalidSize(0)) { try WindowSpec.hopping(size: 0, advance: 1).validate() }
        #expect(throws: WindowError.invalidAdvance(0)) { try WindowSpec.hopping(size: 10, advance: 0).validate() }
        #expect(throws: WindowError.invalidAdvance(-5)) { try WindowSpec.hopping(size: 10, advance: -5).validate() }
        #expect(throws: WindowError.advanceExceedsSize(advance: 11, size: 10)) { try WindowSpec.hopping(size: 10, advance: 11).validate() }
        #expect(throws: WindowError.invalidGap(0)) { try WindowSpec.session(gap: 0).validate() }
        let tooLong = WindowSpec.maximumDuration + 1
        #expect(throws: WindowError.invalidSize(tooLong)) { try WindowSpec.tumbling(size: tooLong).validate() }
        #expect(throws: WindowError.invalidGap(tooLong)) { try WindowSpec.session(gap: tooLong).validate() }
        #expect(WindowError.invalidSize(-60_000).description == "window size must be between 1 and \(WindowSpec.maximumDuration) ms, got -60000")
        #expect("\(WindowError.advanceExceedsSize(advance: 11, size: 10))" == "hopping window advance (11 ms) must not exceed its size (10 ms)")
    }

    @Test func theEngineRefusesWhatTheDefinitionRefuses() {
        func make(_ spec: WindowSpec, grace: Int64 = 0, merger: Bool = true) throws(WindowError) {
            let add: @Sendable (inout Int, Int) -> Void = { $0 += $1 }
            _ = try WindowedAggregation<String, Int, Int>(
                windows: spec, grace: grace, emit: .onUpdate, initializer: { 0 }, aggregator: add, merger: merger ? add : nil)
        }
        #expect(throws: WindowError.invalidSize(-1)) { try make(.tumbling(size: -1)) }
        #expect(throws: WindowError.invalidGrace(-1)) { try make(.tumbling(size: 10), grace: -1) }
        #expect(throws: WindowError.invalidGrace(WindowSpec.maximumDuration + 1)) {
            try make(.tumbling(size: 10), grace: WindowSpec.maximumDuration + 1)
        }
        #expect(throws: WindowError.missingMerger) { try make(.session(gap: 10), merger: false) }
        #expect(throws: Never.self) { try make(.tumbling(size: 10), merger: false) }
        #expect(throws: Never.self) { try make(.session(gap: WindowSpec.maximumDuration), grace: WindowSpec.maximumDuration) }
    }

    @Test func tumblingWindowsAreAlignedToTheEpochWithExclusiveEnds() {
        let minute = WindowSpec.tumbling(size: 60_000)
        #expect(minute.timeWindows(containing: 0) == [Window(start: 0, end: 60_000)])
        #expect(minute.timeWindows(containing: 59_999) == [Window(start: 0, end: 60_000)])
        #expect(minute.timeWindows(containing: 60_000) == [Window(start: 60_000, end: 120_000)])
        #expect(minute.timeWindows(containing: 1_764_374_461_234) == [Window(start: 1_764_374_460_000, end: 1_764_374_520_000)])
        #expect(Window(start: 0, end: 10).contains(9) && !Window(start: 0, end: 10).contains(10))
        #expect(Window(start: 5, end: 10).last == 9)
    }

    @Test func hoppingWindowsAreEveryAlignedWindowThatContainsTheRecord() {
        let spec = WindowSpec.hopping(size: 10, advance: 3)
        // Starts are multiples of 3; 0 is excluded because its window ends at 10.
        #expect(spec.timeWindows(containing: 10).map(\.start) == [3, 6, 9])
        #expect(spec.timeWindows(containing: 9).map(\.start) == [0, 3, 6, 9])
        // Near the epoch Sluice keeps the windows that start before 0 (Kafka drops them).
        #expect(WindowSpec.hopping(size: 10, advance: 5).timeWindows(containing: 3) == [
            Window(start: -5, end: 5), Window(start: 0, end: 10),
        ])
        #expect(WindowSpec.hopping(size: 7, advance: 7).timeWindows(containing: 20) == WindowSpec.tumbling(size: 7).timeWindows(containing: 20))
        #expect(WindowSpec.sliding(size: 10).timeWindows(containing: 5).isEmpty)
    }

    @Test func timestampsOutsideTheSupportedRangeAreRefusedAndChangeNothing() throws {
        var recorder = try Recorder(.tumbling(size: 10), grace: 0, emit: .onUpdate)
        #expect(throws: WindowError.timestampOutOfRange(-1)) { try recorder.add(1, at: -1) }
        #expect(throws: WindowError.timestampOutOfRange(Int64.min)) { try recorder.add(1, at: .min) }
        let tooLate = WindowSpec.maximumTimestamp + 1
        #expect(throws: WindowError.timestampOutOfRange(tooLate)) { try recorder.add(1, at: tooLate) }
        #expect(recorder.engine.streamTime == nil && recorder.engine.lateRecordCount == 0 && recorder.engine.openWindowCount == 0)
        #expect(try recorder.add(1, at: WindowSpec.maximumTimestamp) == .accepted)
        #expect(try recorder.add(2, at: 0) == .late)
    }
}
