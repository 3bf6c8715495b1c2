import SluiceTestSupport

/// One step of a test stream: a record (its `id` is its value, so an aggregate that lists ids
/// shows exactly which records a window holds) or a stream-time advance without a record.
enum StreamEvent: Sendable, CustomStringConvertible {
    case record(key: String, timestamp: Int64, id: Int)
    case advance(Int64)

    var description: String {
        switch self {
        case .record(let key, let timestamp, let id): "#\(id) \(key)@\(timestamp)"
        case .advance(let time): "advance(\(time))"
        }
    }

    /// A random stream: a few keys, a clock that moves in small steps (repeats included, so
    /// equal timestamps and exact window boundaries are common), some records thrown back by up
    /// to `disorder` (within and beyond the grace period), occasional large jumps, and
    /// occasional advances without a record.
    static func randomStream(seed: UInt64, count: Int, keys: Int, step: Int, disorder: Int) -> [StreamEvent] {
        var random = SplitMix64(seed: seed)
        var clock = Int64(random.int(0...step))
        var events: [StreamEvent] = []
        for id in 0..<count {
            if random.chance(0.03) {
                events.append(.advance(clock + Int64(random.int(0...step * 2))))
            }
            clock += Int64(random.chance(0.02) ? random.int(step * 4...step * 12) : random.int(0...step))
            var timestamp = clock
            if random.chance(0.3) { timestamp = max(0, clock - Int64(random.int(0...disorder))) }
            events.append(.record(key: "k\(random.int(0...keys - 1))", timestamp: timestamp, id: id))
        }
        return events
    }
}
