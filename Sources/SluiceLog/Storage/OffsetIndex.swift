/// The sparse offset index of one segment (`<base>.index`), Kafka's `OffsetIndex`.
///
/// Entries are 8 bytes: `int32 relativeOffset` (a batch's last offset − segment base) and
/// `int32 position` (where that batch starts in the `.log`). One entry is added whenever more
/// than `index.interval.bytes` were appended since the last one.
///
/// Invariants: relative offsets and positions strictly increase; every position is the start
/// of a batch in the segment. The index carries no checksum: it is derived data, rebuilt from
/// the `.log` whenever it is missing, malformed, or might be stale (unclean shutdown).
/// Entries live in memory; the file is written when the segment is sealed or the log closes.
struct OffsetIndex {
    struct Entry: Equatable {
        var relativeOffset: Int32
        var position: Int32
    }

    private(set) var entries: [Entry] = []

    mutating func append(relativeOffset: Int32, position: Int32) {
        entries.append(Entry(relativeOffset: relativeOffset, position: position))
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Drops entries for batches starting at or after `position` (tail truncation).
    mutating func truncate(toPosition position: Int32) {
        while let last = entries.last, last.position >= position { entries.removeLast() }
    }

    /// The position to start scanning from to find `relativeOffset`: the start of the last indexed
    /// batch whose last offset is below it, or 0.
    /// - Complexity: O(log n).
    func scanStart(for relativeOffset: Int32) -> Int32 {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset < relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : entries[low - 1].position
    }

    /// The last entry whose relative offset is below `relativeOffset`.
    func entry(below relativeOffset: Int32) -> Entry? {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset < relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 8)
        for entry in entries {
            out.appendBigEndian(entry.relativeOffset)
            out.appendBigEndian(entry.position)
        }
        return out
    }

    /// Parses an index file; `nil` when it is malformed for a log of `logSize` bytes, so the
    /// caller rebuilds it.
    static func decode(_ bytes: [UInt8], logSize: Int64) -> OffsetIndex? {
        guard bytes.count % 8 == 0 else { return nil }
        var index = OffsetIndex()
        index.entries.reserveCapacity(bytes.count / 8)
        let ok: Bool = bytes.withUnsafeBytes { raw in
            var previous = Entry(relativeOffset: -1, position: -1)
            for i in stride(from: 0, to: raw.count, by: 8) {
                let entry = Entry(relativeOffset: raw.readInt32(at: i), position: raw.readInt32(at: i + 4))
                guard entry.relativeOffset > previous.relativeOffset, entry.position > previous.position,
                    Int64(entry.position) < logSize
                else { return false }
                index.entries.append(entry)
                previous = entry
            }
            return true
        }
        return ok ? index : nil
    }
}
