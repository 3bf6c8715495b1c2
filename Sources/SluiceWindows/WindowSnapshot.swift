/// Everything a `WindowedAggregation` holds, as plain values: what a changelog or state store
/// persists and what `WindowedAggregation.restore(_:)` rebuilds from.
///
/// It holds only open windows (closed ones are evicted as they close) and, for sliding windows,
/// the records that windows created later may still need. Keys appear in the order they first
/// claimed a state slot; each key's windows in start order; records in arrival order.
///
/// A changelog can be kept two ways: write the whole snapshot at each commit (what Kafka's
/// caching store effectively does), or, in `.onUpdate` mode, write the results as they come
/// (`.updated` puts `(key, window)`, `.removed` deletes it) and let windows expire by their
/// close time, as Kafka's windowed changelogs do through retention.
public struct WindowSnapshot<Key: Hashable, Value, Aggregate> {
    /// One open window of one key.
    public struct OpenWindow {
        public var key: Key
        public var window: Window
        public var aggregate: Aggregate

        public init(key: Key, window: Window, aggregate: Aggregate) {
            self.key = key
            self.window = window
            self.aggregate = aggregate
        }
    }

    /// A sliding-window record kept for windows not yet created (Kafka instead copies the
    /// aggregate of a neighbouring window, which needs closed windows kept around; Sluice keeps
    /// the few records that can still matter, so closed windows can be evicted at once).
    public struct PendingRecord {
        public var key: Key
        public var timestamp: Int64
        public var value: Value

        public init(key: Key, timestamp: Int64, value: Value) {
            self.key = key
            self.timestamp = timestamp
            self.value = value
        }
    }

    /// The largest timestamp seen (or advanced to); `nil` before the first record.
    public var streamTime: Int64?
    public var windows: [OpenWindow]
    /// Empty unless the windows are sliding.
    public var pendingRecords: [PendingRecord]

    public init(streamTime: Int64?, windows: [OpenWindow], pendingRecords: [PendingRecord] = []) {
        self.streamTime = streamTime
        self.windows = windows
        self.pendingRecords = pendingRecords
    }
}

extension WindowSnapshot: Sendable where Key: Sendable, Value: Sendable, Aggregate: Sendable {}
extension WindowSnapshot.OpenWindow: Sendable where Key: Sendable, Aggregate: Sendable {}
extension WindowSnapshot.PendingRecord: Sendable where Key: Sendable, Value: Sendable {}
extension WindowSnapshot: Equatable where Key: Equatable, Value: Equatable, Aggregate: Equatable {}
extension WindowSnapshot.OpenWindow: Equatable where Key: Equatable, Aggregate: Equatable {}
extension WindowSnapshot.PendingRecord: Equatable where Key: Equatable, Value: Equatable {}
