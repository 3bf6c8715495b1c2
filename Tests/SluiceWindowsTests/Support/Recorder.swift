import SluiceWindows

/// A small hand-driven engine for the example-based tests: records in, results out, one call
/// at a time, with `[Int]` of values as the aggregate.
struct Recorder {
    var engine: WindowedAggregation<String, Int, [Int]>
    /// Results appended by the most recent call.
    var last: [WindowedResult<String, [Int]>] = []

    init(_ spec: WindowSpec, grace: Int64, emit: EmitMode) throws {
        engine = try WindowedAggregation(
            windows: spec, grace: grace, emit: emit,
            initializer: { [] }, aggregator: { $0.append($1) }, merger: { $0.append(contentsOf: $1) })
    }

    /// Processes one record of `key` and returns its outcome; `last` holds what it emitted.
    @discardableResult
    mutating func add(_ key: String, _ value: Int, at timestamp: Int64) throws -> RecordOutcome {
        last.removeAll()
        return try engine.process(key: key, value: value, timestamp: timestamp, into: &last)
    }

    /// Processes one record of key "a".
    @discardableResult
    mutating func add(_ value: Int, at timestamp: Int64) throws -> RecordOutcome {
        try add("a", value, at: timestamp)
    }

    mutating func advance(to time: Int64) {
        last.removeAll()
        engine.advance(streamTime: time, into: &last)
    }

    mutating func flush() {
        last.removeAll()
        engine.flush(into: &last)
    }

    /// `last` as `kind key[start, end) [values]` lines, easy to compare in tests.
    var emitted: [String] {
        last.map { "\($0.kind) \($0.key)\($0.window) \($0.aggregate)" }
    }
}
