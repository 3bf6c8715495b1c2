/// What one task's state store holds at one moment, with its types erased, for a test driver
/// (`SluiceTesting`) to cast back to the types the test names.
///
/// Key-value stores list each key with its aggregate; window stores list each open window as a
/// `Windowed<Key>` with its aggregate (the buffered records of sliding windows are left out).
@_spi(Testing)
public struct StateStoreContents {
    public enum Kind: Sendable, Hashable {
        case keyValue
        case window
    }

    /// The branch (consumer group) whose task holds the store.
    public let branch: String
    /// The task's partition.
    public let partition: Int32
    /// The store's name (`aggregate-3`, or the `named:` given to the operator).
    public let name: String
    public let kind: Kind
    /// The type of `entries`' keys: the grouping key, or `Windowed<Key>` for a window store.
    public let keyType: Any.Type
    /// The type of `entries`' values: the aggregate.
    public let valueType: Any.Type
    /// The largest timestamp the store has seen (window stores), as restoring would take it back.
    public let streamTime: Int64?
    /// `(key, aggregate)` pairs, of `keyType` and `valueType`.
    public let entries: [(key: Any, value: Any)]
}

/// A state store that can list its contents (every store kind the DSL creates).
protocol InspectableStateStore: StateStoreView {
    func contents(branch: String, partition: Int32) -> StateStoreContents
}

extension KeyValueAggregateStore: InspectableStateStore {
    func contents(branch: String, partition: Int32) -> StateStoreContents {
        StateStoreContents(
            branch: branch, partition: partition, name: name, kind: .keyValue, keyType: Key.self, valueType: Aggregate.self, streamTime: nil,
            entries: aggregates.map { ($0.key, $0.aggregate) })
    }
}

extension WindowAggregateStore: InspectableStateStore {
    func contents(branch: String, partition: Int32) -> StateStoreContents {
        let snapshot = snapshot()
        return StateStoreContents(
            branch: branch, partition: partition, name: name, kind: .window, keyType: Windowed<Key>.self, valueType: Aggregate.self,
            streamTime: snapshot.streamTime,
            entries: snapshot.windows.map { (Windowed(key: $0.key, window: $0.window), $0.aggregate) })
    }
}

extension WindowPartialStore: InspectableStateStore {
    func contents(branch: String, partition: Int32) -> StateStoreContents {
        StateStoreContents(
            branch: branch, partition: partition, name: name, kind: .window, keyType: Windowed<Key>.self, valueType: Aggregate.self,
            streamTime: live.pointee.streamTime == .min ? nil : live.pointee.streamTime, entries: windowsByKey().map { ($0.0, $0.1) })
    }
}

extension WindowCombineStore: InspectableStateStore {
    func contents(branch: String, partition: Int32) -> StateStoreContents {
        StateStoreContents(
            branch: branch, partition: partition, name: name, kind: .window, keyType: Windowed<Key>.self, valueType: Aggregate.self,
            streamTime: streamTime, entries: totals().map { ($0.0, $0.1) })
    }
}
