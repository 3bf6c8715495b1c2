/// Which windows a record falls into, on event time. Durations are milliseconds.
///
/// Kafka Streams is the reference; the differences are near the epoch only:
/// - `tumbling(size:)`: windows `[k·size, (k+1)·size)` aligned to the epoch; a record at `t` is
///   in the one window starting at `t − t mod size`.
/// - `hopping(size:advance:)`: windows `[k·advance, k·advance + size)`; a record is in every one
///   that contains it (about `size / advance`). `advance == size` is exactly `tumbling`. Kafka
///   drops the windows that would start before 0 (a record at `t < size − advance` lands in fewer
///   windows); Sluice keeps them (Flink's rule), so every record lands in the same number.
/// - `sliding(size:)`: Kafka's `SlidingWindows` with time difference `size`: two records share
///   a window when their timestamps differ by at most `size`. Windows are defined by records: each
///   record at `t` has its left window `[t − size, t]` and, when some record lies in
///   `(t, t + size + 1]`, its right window `[t + 1, t + size + 1]` (inclusive bounds, as Kafka
///   prints them; `Window` stores them half-open). Kafka folds the records of `[0, size)` into a
///   single `[0, size]` window; Sluice gives them their true left windows, which start before 0.
/// - `session(gap:)`: a key's records closer than `gap` (inclusive: `next − last <= gap`) form one
///   session `[first, last]`; a record within `gap` of two sessions merges them.
public enum WindowSpec: Hashable, Sendable {
    case tumbling(size: Int64)
    case hopping(size: Int64, advance: Int64)
    case sliding(size: Int64)
    case session(gap: Int64)

    /// The largest accepted size, advance, gap or grace (2^56 ms, about 2.3 million years): large
    /// enough for any real window, small enough that window arithmetic can never overflow.
    @inlinable public static var maximumDuration: Int64 { 1 << 56 }

    /// The largest accepted record timestamp (2^60 ms, about 36 million years after the epoch).
    @inlinable public static var maximumTimestamp: Int64 { 1 << 60 }

    /// Throws the first problem with the definition: a non-positive or oversized size, advance or
    /// gap, or an advance larger than the size.
    public func validate() throws(WindowError) {
        switch self {
        case .tumbling(let size), .sliding(let size):
            try Self.check(size, WindowError.invalidSize)
        case .hopping(let size, let advance):
            try Self.check(size, WindowError.invalidSize)
            guard advance > 0 else { throw .invalidAdvance(advance) }
            guard advance <= size else { throw .advanceExceedsSize(advance: advance, size: size) }
        case .session(let gap):
            try Self.check(gap, WindowError.invalidGap)
        }
    }

    private static func check(_ duration: Int64, _ error: (Int64) -> WindowError) throws(WindowError) {
        guard duration > 0, duration <= maximumDuration else { throw error(duration) }
    }

    /// The windows of `tumbling` and `hopping` that contain `timestamp`, oldest first; empty for
    /// `sliding` and `session` (whose windows depend on other records), for an invalid
    /// definition and for a timestamp outside `0...maximumTimestamp`. For documentation, tests
    /// and tools; the aggregation walks the same windows without building an array.
    public func timeWindows(containing timestamp: Int64) -> [Window] {
        guard timestamp >= 0, timestamp <= Self.maximumTimestamp,
              let geometry = try? WindowGeometry(self, grace: 0), geometry.kind == .fixed
        else { return [] }
        var windows: [Window] = []
        var start = geometry.firstFixedStart(containing: timestamp)
        while start <= timestamp {
            windows.append(Window(start: start, end: start + geometry.size))
            start += geometry.advance
        }
        return windows
    }
}
