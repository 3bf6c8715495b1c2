import SluiceWindows
import Testing

/// Compares an engine run with a reference model's prediction and records readable issues.
struct Verdict {
    var spec: WindowSpec
    var grace: Int64
    var emit: EmitMode
    /// Free text naming the seed and parameters, printed with every issue.
    var context: String

    /// Sessions are merged in start order, not arrival order, so their ids compare as sets.
    private var ordered: Bool {
        if case .session = spec { false } else { true }
    }

    /// The first stream time at which the reference semantics close `window`.
    func closeTime(_ window: Window) -> Int64 {
        if case .session(let gap) = spec { window.end + gap + grace } else { window.end + grace }
    }

    private func normalized(_ table: [WindowKey: [Int]]) -> [WindowKey: [Int]] {
        ordered ? table : table.mapValues { $0.sorted() }
    }

    func check(_ run: EngineRun, against expected: Expected, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.late == expected.late, "late records differ (\(context)): engine-only \(run.late.subtracting(expected.late).sorted()), reference-only \(expected.late.subtracting(run.late).sorted())", sourceLocation: sourceLocation)
        #expect(run.lateRecordCount == expected.late.count, "late count (\(context))", sourceLocation: sourceLocation)
        switch emit {
        case .onClose:
            checkTable(normalized(run.finals()), normalized(expected.finals), "final results", sourceLocation)
            for emission in run.results {
                let close = closeTime(emission.result.window)
                #expect(emission.result.kind == .final, "\(emission.result.kind) in onClose mode (\(context))", sourceLocation: sourceLocation)
                // Emitted by the event that moved stream time across the close time: not early, not late.
                #expect(emission.streamTimeBefore < close && close <= emission.streamTimeAfter,
                        "final \(emission.result.key)\(emission.result.window) emitted when stream time went \(emission.streamTimeBefore) → \(emission.streamTimeAfter), closes at \(close) (\(context))",
                        sourceLocation: sourceLocation)
            }
        case .onUpdate:
            checkTable(normalized(run.updateTable()), normalized(expected.finals), "update table", sourceLocation)
            guard ordered else { return }
            // Every update of a time window is a prefix of its final list, one record longer
            // than the previous one (or the records already buffered, for a new sliding window).
            var seen: [WindowKey: Int] = [:]
            for emission in run.results {
                let key = WindowKey(key: emission.result.key, window: emission.result.window)
                let ids = emission.result.aggregate
                let final = expected.finals[key] ?? []
                #expect(final.starts(with: ids) && ids.count > seen[key, default: 0],
                        "update \(key) \(ids) is not the next prefix of \(final) (\(context))", sourceLocation: sourceLocation)
                seen[key] = ids.count
            }
        }
    }

    private func checkTable(_ actual: [WindowKey: [Int]], _ expected: [WindowKey: [Int]], _ what: String, _ sourceLocation: SourceLocation) {
        guard actual != expected else { return }
        let keys = Set(actual.keys).union(expected.keys).sorted().filter { actual[$0] != expected[$0] }
        let lines = keys.prefix(6).map { "  \($0): engine \(actual[$0].map { "\($0)" } ?? "none"), reference \(expected[$0].map { "\($0)" } ?? "none")" }
        Issue.record("\(what) differ in \(keys.count) windows (\(context)):\n\(lines.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}
