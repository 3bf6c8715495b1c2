import SluiceWindows

/// Brute-force models of the window semantics, written from the definitions rather than from
/// the engine: no state beyond the full record list, every window recomputed from scratch, the
/// same stream-time rule for lateness (stream time = largest timestamp so far, including the
/// record being judged; a window accepts a record while stream time < its close time).
enum ReferenceModel {
    /// An accepted-or-not record with the stream time at its arrival.
    private struct Arrival {
        var id: Int
        var key: String
        var timestamp: Int64
        var streamTime: Int64
    }

    private static func arrivals(_ events: [StreamEvent]) -> [Arrival] {
        var streamTime = Int64.min
        var arrivals: [Arrival] = []
        for event in events {
            switch event {
            case .advance(let time): streamTime = max(streamTime, time)
            case .record(let key, let timestamp, let id):
                streamTime = max(streamTime, timestamp)
                arrivals.append(Arrival(id: id, key: key, timestamp: timestamp, streamTime: streamTime))
            }
        }
        return arrivals
    }

    /// Tumbling and hopping: every multiple of `advance` as a start, `[start, start + size)`,
    /// closing at `end + grace`.
    static func fixed(size: Int64, advance: Int64, grace: Int64, _ events: [StreamEvent]) -> Expected {
        var expected = Expected()
        for record in arrivals(events) {
            var accepted = false
            // Enumerate generously around the record and keep the windows that contain it.
            var k = (record.timestamp - size) / advance - 2
            while k * advance <= record.timestamp + advance {
                let window = Window(start: k * advance, end: k * advance + size)
                if window.start <= record.timestamp, record.timestamp < window.end, record.streamTime < window.end + grace {
                    expected.finals[WindowKey(key: record.key, window: window), default: []].append(record.id)
                    accepted = true
                }
                k += 1
            }
            if !accepted { expected.late.insert(record.id) }
        }
        return expected
    }

    /// Kafka's sliding windows with time difference `d`: left window `[t − d, t]` per record,
    /// right window `[t + 1, t + d + 1]` once a record lies in it; a window exists if it was
    /// open when the records defining it had both arrived, and holds every record inside it that
    /// arrived while it was open. Bounds here are inclusive; `Window` gets `last + 1`.
    static func sliding(difference d: Int64, grace: Int64, _ events: [StreamEvent]) -> Expected {
        var expected = Expected()
        var accepted: [Arrival] = []
        var created: [String: Set<Int64>] = [:]
        func isOpen(_ start: Int64, at streamTime: Int64) -> Bool { streamTime < start + d + 1 + grace }

        for record in arrivals(events) {
            if record.timestamp + d + grace < record.streamTime {
                expected.late.insert(record.id)
                continue
            }
            let earlier = accepted.filter { $0.key == record.key }.map(\.timestamp)
            accepted.append(record)
            var completed: [Int64] = [record.timestamp - d]
            if earlier.contains(where: { $0 > record.timestamp && $0 <= record.timestamp + d + 1 }) {
                completed.append(record.timestamp + 1)
            }
            for p in earlier where p < record.timestamp && record.timestamp <= p + d + 1 {
                completed.append(p + 1)
            }
            for start in completed where isOpen(start, at: record.streamTime) {
                created[record.key, default: []].insert(start)
            }
        }
        for (key, starts) in created {
            for start in starts {
                let ids = accepted
                    .filter { $0.key == key && start <= $0.timestamp && $0.timestamp <= start + d && isOpen(start, at: $0.streamTime) }
                    .map(\.id)
                expected.finals[WindowKey(key: key, window: Window(start: start, end: start + d + 1))] = ids
            }
        }
        return expected
    }

    /// Sessions: a key's open sessions as plain record lists; a record joins (and so merges)
    /// every open session it is within `gap` of; a session closes once stream time reaches
    /// `last + 1 + gap + grace` and is final from then on. Ids are listed in arrival order.
    static func sessions(gap: Int64, grace: Int64, _ events: [StreamEvent]) -> Expected {
        struct Session { var ids: [Int]; var first: Int64; var last: Int64; var key: String }
        var expected = Expected()
        var open: [Session] = []
        var streamTime = Int64.min
        func close() {
            let due = open.filter { $0.last + 1 + gap + grace <= streamTime }
            open.removeAll { $0.last + 1 + gap + grace <= streamTime }
            for session in due {
                expected.finals[WindowKey(key: session.key, window: Window(start: session.first, end: session.last + 1))] = session.ids
            }
        }
        for event in events {
            switch event {
            case .advance(let time):
                streamTime = max(streamTime, time)
                close()
            case .record(let key, let timestamp, let id):
                streamTime = max(streamTime, timestamp)
                close()
                let touched = open.filter { $0.key == key && $0.first - gap <= timestamp && timestamp <= $0.last + gap }
                if touched.isEmpty, timestamp + 1 + gap + grace <= streamTime {
                    expected.late.insert(id)
                    continue
                }
                open.removeAll { $0.key == key && $0.first - gap <= timestamp && timestamp <= $0.last + gap }
                var merged = Session(ids: [], first: timestamp, last: timestamp, key: key)
                for session in touched {
                    merged.ids += session.ids
                    merged.first = min(merged.first, session.first)
                    merged.last = max(merged.last, session.last)
                }
                merged.ids.append(id)
                merged.ids.sort()  // ids are arrival order
                open.append(merged)
            }
        }
        streamTime = .max
        close()
        return expected
    }

    /// The textbook definitions with nothing late and nothing closed early (use with a grace
    /// larger than any disorder): independent of arrival order and of the lateness rules.
    enum Unbounded {
        /// Sessions: each key's sorted timestamps split wherever two neighbours differ by more
        /// than `gap`. Ids sorted.
        static func sessions(gap: Int64, _ events: [StreamEvent]) -> [WindowKey: [Int]] {
            var byKey: [String: [(timestamp: Int64, id: Int)]] = [:]
            for case .record(let key, let timestamp, let id) in events { byKey[key, default: []].append((timestamp, id)) }
            var finals: [WindowKey: [Int]] = [:]
            for (key, records) in byKey {
                var run: [(timestamp: Int64, id: Int)] = []
                func emit() {
                    guard let first = run.first, let last = run.last else { return }
                    finals[WindowKey(key: key, window: Window(start: first.timestamp, end: last.timestamp + 1))] = run.map(\.id).sorted()
                }
                for record in records.sorted(by: { $0.timestamp < $1.timestamp }) {
                    if let last = run.last, record.timestamp - last.timestamp > gap {
                        emit()
                        run = []
                    }
                    run.append(record)
                }
                emit()
            }
            return finals
        }

        /// Kafka's SlidingWindows javadoc definition: `[t − d, t]` for every record and
        /// `[t + 1, t + d + 1]` for every record that has a later one within it. Ids sorted.
        static func sliding(difference d: Int64, _ events: [StreamEvent]) -> [WindowKey: [Int]] {
            var byKey: [String: [(timestamp: Int64, id: Int)]] = [:]
            for case .record(let key, let timestamp, let id) in events { byKey[key, default: []].append((timestamp, id)) }
            var finals: [WindowKey: [Int]] = [:]
            for (key, records) in byKey {
                for record in records {
                    for start in [record.timestamp - d, record.timestamp + 1] {
                        let ids = records.filter { start <= $0.timestamp && $0.timestamp <= start + d }.map(\.id).sorted()
                        if !ids.isEmpty { finals[WindowKey(key: key, window: Window(start: start, end: start + d + 1))] = ids }
                    }
                }
            }
            return finals
        }
    }
}
