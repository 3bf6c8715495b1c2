/// The state of a non-windowed `count` / `reduce` / `aggregate` for one task: the current
/// aggregate of every key, as a table (Kafka Streams' KTable over a key-value store).
///
/// Updates are coalesced per batch, as Kafka Streams' record cache coalesces them per commit:
/// at the end of a batch each key that changed is forwarded once, with its latest aggregate,
/// in the order keys first changed, and its changelog record is written. The runtime then
/// flushes and commits, so the changelog never lags the committed input.
///
/// Each source record is applied once: a replayed copy (after a crash, or duplicated through a
/// repartition topic) is recognised by its origin and skipped (`RecordOrigin`).
final class KeyValueAggregateStore<Key: Hashable, Value, Aggregate>: StateStoreView {
    let name: String
    private let initializer: @Sendable () -> Aggregate
    private let aggregator: @Sendable (inout Aggregate, Value) -> Void
    private let keySerde: any Serde<Key>
    private let aggregateSerde: any Serde<Aggregate>
    private let changelog: Changelog
    private let context: TaskContext
    private let downstream: Emit<Key, Aggregate>

    private var table: [Key: (aggregate: Aggregate, timestamp: Int64)] = [:]
    private var applied = AppliedOrigins<Key>()
    private var changed: [Key] = []
    private var changedSet: Set<Key> = []
    private var changelogKey: [UInt8] = []
    private var changelogValue: [UInt8] = []

    init(
        name: String, initializer: @escaping @Sendable () -> Aggregate, aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void,
        keySerde: any Serde<Key>, aggregateSerde: any Serde<Aggregate>, context: TaskContext, downstream: @escaping Emit<Key, Aggregate>
    ) throws {
        self.name = name
        self.initializer = initializer
        self.aggregator = aggregator
        self.keySerde = keySerde
        self.aggregateSerde = aggregateSerde
        self.context = context
        self.downstream = downstream
        changelog = Changelog(store: name, context: context)
        try restore()
        context.attach(store: self) { [unowned self] in try endBatch() }
    }

    var entryCount: Int { table.count }

    /// The current aggregate of `key`, if it has one.
    func aggregate(for key: Key) -> Aggregate? { table[key]?.aggregate }

    /// Every key with its current aggregate, in no particular order (for tests and tools).
    var aggregates: [(key: Key, aggregate: Aggregate)] { table.map { ($0.key, $0.value.aggregate) } }

    func process(key: Key?, value: Value, timestamp: Int64) throws {
        guard let key else { throw SerdeError("a record without a key cannot be aggregated (group it by a key first)") }
        // A replayed copy is not applied again, but the key's value is forwarded again: a crash
        // can lose the output of a batch whose changelog already holds its records.
        if applied.markApplied(key, context.origin) {
            // One hash lookup, and the aggregate is mutated in place (no copy-on-write).
            Self.fold(&table[key, default: (initializer(), timestamp)], value, timestamp, aggregator)
        } else if table[key] == nil {
            return
        }
        if changedSet.insert(key).inserted { changed.append(key) }
    }

    private static func fold(
        _ entry: inout (aggregate: Aggregate, timestamp: Int64), _ value: Value, _ timestamp: Int64,
        _ aggregator: (inout Aggregate, Value) -> Void
    ) {
        aggregator(&entry.aggregate, value)
        entry.timestamp = max(entry.timestamp, timestamp)
    }

    private func endBatch() throws {
        guard !changed.isEmpty else { return }
        for key in changed {
            guard let entry = table[key] else { continue }
            changelogKey.removeAll(keepingCapacity: true)
            try keySerde.encode(key, into: &changelogKey)
            changelogValue.removeAll(keepingCapacity: true)
            try aggregateSerde.encode(entry.aggregate, into: &changelogValue)
            try changelog.write(
                key: changelogKey, value: changelogValue, applied: applied.headerValue(for: key), timestamp: entry.timestamp, context: context)
            try downstream(key, entry.aggregate, entry.timestamp)
        }
        changed.removeAll(keepingCapacity: true)
        changedSet.removeAll(keepingCapacity: true)
    }

    private func restore() throws {
        let (entries, latest) = try changelog.replay(from: context.log)
        for (keyBytes, entry) in entries {
            do {
                let key = try keyBytes.withUnsafeBytes { try keySerde.decode($0) }
                let aggregate = try entry.value.withUnsafeBytes { try aggregateSerde.decode($0) }
                table[key] = (aggregate, latest ?? 0)
                try applied.restore(key, from: entry.applied, store: name)
            } catch let error as StateStoreError {
                throw error
            } catch {
                throw StateStoreError.invalidState(store: name, error)
            }
        }
    }
}
