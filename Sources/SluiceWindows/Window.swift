/// One window: the half-open time interval `[start, end)` in epoch milliseconds.
///
/// Every window kind uses the same half-open form, so `contains`, ordering and the close rule
/// (`WindowedAggregation`) are one rule, not four. Kafka prints sliding and session windows with
/// an inclusive end; that end is `last` here:
/// - tumbling / hopping: `[start, start + size)`, as Kafka's `TimeWindow`;
/// - sliding (time difference `d`): Kafka's inclusive `[s, s + d]` is `[s, s + d + 1)`;
/// - session: Kafka's `[first, last]` (first and last record timestamps) is `[first, last + 1)`.
public struct Window: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first millisecond inside the window. May be negative for windows near the epoch
    /// (a hopping or sliding window reaching back before 0).
    public var start: Int64
    /// The first millisecond after the window.
    public var end: Int64

    @inlinable
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// The last millisecond inside the window: Kafka's inclusive end for sliding and session
    /// windows (a session's last record timestamp).
    @inlinable public var last: Int64 { end - 1 }

    /// Whether `timestamp` lies in `[start, end)`.
    @inlinable public func contains(_ timestamp: Int64) -> Bool { start <= timestamp && timestamp < end }

    /// Ordered by start, then end.
    public static func < (lhs: Window, rhs: Window) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    public var description: String { "[\(start), \(end))" }
}
