/// The sparse time index of one segment (`<base>.timeindex`), Kafka's `TimeIndex`.
///
/// Entries are 12 bytes: `int64 timestamp` (the largest timestamp appended so far) and
/// `int32 relativeOffset` (last offset of the batch that raised it). Timestamps strictly
/// increase. Like the offset index it is derived data, rebuilt from the `.log` when in doubt.
struct TimeIndex {
    struct Entry: Equatable {
        var timestamp: Int64
        var relativeOffset: Int32
    }

    private(set) var entries: [Entry] = []

    mutating func append(timestamp: Int64, relativeOffset: Int32) {
        if let last = entries.last, timestamp <= last.timestamp { return }
        entries.append(Entry(timestamp: timestamp, relativeOffset: relativeOffset))
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    mutating func truncate(toRelativeOffset relativeOffset: Int32) {
        while let last = entries.last, last.relativeOffset >= relativeOffset { entries.removeLast() }
    }

    /// The relative offset to start searching from for the first record with timestamp ≥ `timestamp`:
    /// the offset after the last entry whose timestamp is below it, or 0.
    func scanStart(for timestamp: Int64) -> Int32 {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : entries[low - 1].relativeOffset + 1
    }

    /// The last entry whose timestamp is below `timestamp`.
    func entry(below timestamp: Int64) -> Entry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 12)
        for entry in entries {
            out.appendBigEndian(entry.timestamp)
            out.appendBigEndian(entry.relativeOffset)
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> TimeIndex? {
        guard bytes.count % 12 == 0 else { return nil }
        var index = TimeIndex()
        let ok: Bool = bytes.withUnsafeBytes { raw in
            var previous = Entry(timestamp: .min, relativeOffset: -1)
            for i in stride(from: 0, to: raw.count, by: 12) {
                let entry = Entry(timestamp: raw.readInt64(at: i), relativeOffset: raw.readInt32(at: i + 8))
                guard entry.timestamp > previous.timestamp, entry.relativeOffset > previous.relativeOffset else { return false }
                index.entries.append(entry)
                previous = entry
            }
            return true
        }
        return ok ? index : nil
    }
}
