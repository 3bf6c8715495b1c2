/// One thing an aggregation reports about a window of one key, appended to the caller's array.
public struct WindowedResult<Key, Aggregate> {
    /// What happened to the window.
    public enum Kind: Hashable, Sendable {
        /// The window's aggregate changed (created or updated); `aggregate` is the new value.
        /// Only in `EmitMode.onUpdate`.
        case updated
        /// The window no longer exists because a record merged it into a larger session;
        /// `aggregate` is its last value (Kafka's old value), so a downstream table can retract
        /// it. Kafka forwards this as a tombstone for the old windowed key. Only for session
        /// windows in `EmitMode.onUpdate`; always followed by the `.updated` merged session.
        case removed
        /// Stream time closed the window; `aggregate` is final and the window is evicted. Only in
        /// `EmitMode.onClose`, exactly once per window.
        case final
    }

    public var kind: Kind
    public var key: Key
    public var window: Window
    public var aggregate: Aggregate

    @inlinable
    public init(kind: Kind, key: Key, window: Window, aggregate: Aggregate) {
        self.kind = kind
        self.key = key
        self.window = window
        self.aggregate = aggregate
    }
}

extension WindowedResult: Sendable where Key: Sendable, Aggregate: Sendable {}
extension WindowedResult: Equatable where Key: Equatable, Aggregate: Equatable {}
extension WindowedResult: Hashable where Key: Hashable, Aggregate: Hashable {}
