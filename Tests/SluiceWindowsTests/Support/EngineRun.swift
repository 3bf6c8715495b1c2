import SluiceWindows
import Testing

/// The engine the property tests drive: string keys, record ids as values, and the list of ids
/// as the aggregate, so a window's aggregate shows exactly which records it folded, in order.
typealias IdAggregation = WindowedAggregation<String, Int, [Int]>

/// Everything one run of the engine over a stream produced.
struct EngineRun {
    /// One appended result, with the event that produced it (`events.count` for the final
    /// `flush`) and stream time just before and after that event (`Int64.max` after `flush`).
    struct Emission {
        var result: WindowedResult<String, [Int]>
        var event: Int
        var streamTimeBefore: Int64
        var streamTimeAfter: Int64
    }

    var results: [Emission] = []
    var late: Set<Int> = []
    var lateRecordCount = 0

    static func makeEngine(_ spec: WindowSpec, grace: Int64, emit: EmitMode) throws -> IdAggregation {
        try IdAggregation(
            windows: spec, grace: grace, emit: emit,
            initializer: { [] },
            aggregator: { $0.append($1) },
            merger: { $0.append(contentsOf: $1) })
    }

    /// Runs `events` through a new engine and flushes it; with `restartAt`, the engine is
    /// replaced after that many events by a fresh one restored from its snapshot.
    static func run(_ spec: WindowSpec, grace: Int64, emit: EmitMode, _ events: [StreamEvent], restartAt: Int? = nil) throws -> EngineRun {
        var engine = try makeEngine(spec, grace: grace, emit: emit)
        var run = EngineRun()
        var buffer: [WindowedResult<String, [Int]>] = []
        var before = Int64.min
        func collect(_ event: Int) {
            let after = engine.streamTime ?? .min
            run.results += buffer.map { Emission(result: $0, event: event, streamTimeBefore: before, streamTimeAfter: after) }
            buffer.removeAll(keepingCapacity: true)
            before = after
        }
        for (index, event) in events.enumerated() {
            if index == restartAt {
                let snapshot = engine.snapshot()
                var replacement = try makeEngine(spec, grace: grace, emit: emit)
                try replacement.restore(snapshot)
                // The same state; keys holding only buffered records may be listed in another order.
                let again = replacement.snapshot()
                #expect(again.streamTime == snapshot.streamTime && again.windows == snapshot.windows)
                #expect(Dictionary(grouping: again.pendingRecords, by: \.key) == Dictionary(grouping: snapshot.pendingRecords, by: \.key))
                #expect(replacement.openWindowCount == engine.openWindowCount)
                run.lateRecordCount += engine.lateRecordCount
                engine = replacement
            }
            switch event {
            case .record(let key, let timestamp, let id):
                if try engine.process(key: key, value: id, timestamp: timestamp, into: &buffer) == .late {
                    run.late.insert(id)
                }
            case .advance(let time):
                engine.advance(streamTime: time, into: &buffer)
            }
            collect(index)
        }
        engine.flush(into: &buffer)
        collect(events.count)
        #expect(engine.openWindowCount == 0 && engine.keyCount == 0)
        #expect(engine.snapshot().windows.isEmpty && engine.snapshot().pendingRecords.isEmpty)
        run.lateRecordCount += engine.lateRecordCount
        return run
    }

    /// `.final` results by window; records a test issue for a window finalized twice.
    func finals() -> [WindowKey: [Int]] {
        var finals: [WindowKey: [Int]] = [:]
        for result in results.map(\.result) where result.kind == .final {
            let key = WindowKey(key: result.key, window: result.window)
            #expect(finals[key] == nil, "window \(key) emitted twice")
            finals[key] = result.aggregate
        }
        return finals
    }

    /// The table a downstream consumer of `.onUpdate` results ends with: `.updated` upserts,
    /// `.removed` deletes (and must retract exactly the value the table holds).
    func updateTable() -> [WindowKey: [Int]] {
        var table: [WindowKey: [Int]] = [:]
        for result in results.map(\.result) {
            let key = WindowKey(key: result.key, window: result.window)
            switch result.kind {
            case .updated: table[key] = result.aggregate
            case .removed:
                #expect(table[key] == result.aggregate, "retraction of \(key) does not match what was emitted")
                table[key] = nil
            case .final: Issue.record("final result \(key) in onUpdate mode")
            }
        }
        return table
    }
}
