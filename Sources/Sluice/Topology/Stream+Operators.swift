/// The stateless operators. Each runs synchronously on the task's thread, record by record
/// inside a batch; a thrown error goes to the branch's error policy with the source record.
extension Stream {
    @inlinable
    public func map<V2>(_ transform: @escaping @Sendable (Value) throws -> V2) -> Stream<Key, V2> {
        then("map") { _, downstream in
            { key, value, timestamp in try downstream(key, try transform(value), timestamp) }
        }
    }

    /// Maps and drops the records for which `transform` returns nil.
    @inlinable
    public func compactMap<V2>(_ transform: @escaping @Sendable (Value) throws -> V2?) -> Stream<Key, V2> {
        then("compactMap") { _, downstream in
            { key, value, timestamp in
                guard let mapped = try transform(value) else { return }
                try downstream(key, mapped, timestamp)
            }
        }
    }

    @inlinable
    public func filter(_ isIncluded: @escaping @Sendable (Value) throws -> Bool) -> Stream<Key, Value> {
        then("filter") { _, downstream in
            { key, value, timestamp in if try isIncluded(value) { try downstream(key, value, timestamp) } }
        }
    }

    /// One record in, any number out (same key and timestamp).
    @inlinable
    public func flatMap<S: Sequence>(_ transform: @escaping @Sendable (Value) throws -> S) -> Stream<Key, S.Element> {
        then("flatMap") { _, downstream in
            { key, value, timestamp in
                for element in try transform(value) { try downstream(key, element, timestamp) }
            }
        }
    }

    /// Looks at every record without changing it (logging, metrics).
    @inlinable
    public func peek(_ body: @escaping @Sendable (Key?, Value) throws -> Void) -> Stream<Key, Value> {
        then("peek") { _, downstream in
            { key, value, timestamp in
                try body(key, value)
                try downstream(key, value, timestamp)
            }
        }
    }

    /// Sets a new key computed from the record (Kafka Streams' `selectKey`).
    @inlinable
    public func selectKey<K2>(_ key: @escaping @Sendable (Key?, Value) throws -> K2) -> Stream<K2, Value> {
        then(plan: plan.adding("selectKey").changingKey()) { _, downstream in
            { oldKey, value, timestamp in try downstream(try key(oldKey, value), value, timestamp) }
        }
    }

    /// Transforms the key (records without a key stay without one).
    @inlinable
    public func mapKey<K2>(_ transform: @escaping @Sendable (Key) throws -> K2) -> Stream<K2, Value> {
        then(plan: plan.adding("mapKey").changingKey()) { _, downstream in
            { key, value, timestamp in try downstream(try key.map(transform), value, timestamp) }
        }
    }
}

extension Stream {
    /// Sets each record's event time from its value (a timestamp extractor): windows and
    /// stream time then follow `timestamp` instead of the time the record was produced.
    /// Milliseconds since the epoch.
    @inlinable
    public func timestamped(by timestamp: @escaping @Sendable (Value) throws -> Int64) -> Stream<Key, Value> {
        then("timestamped") { _, downstream in
            { key, value, _ in try downstream(key, value, try timestamp(value)) }
        }
    }

    /// Records of both streams, each in its own order (no order between the two). Both must be
    /// in the same sub-topology's partitions: a task processes partition `p` of every merged
    /// topic, so stateful operators after a merge see co-partitioned input (equal partition
    /// counts are checked when the pipeline starts).
    @inlinable
    public func merge(_ other: Stream<Key, Value>) -> Stream<Key, Value> {
        let (first, second) = (compose, other.compose)
        return Stream(plan: plan.merged(with: other.plan), sources: sources + other.sources, upstream: upstream + other.upstream) {
            context, downstream in
            try first(context, downstream).merging(try second(context, downstream)) { kept, _ in kept }
        }
    }

    /// `merge` with a topic's stream.
    @inlinable
    public func merge(_ topic: Topic<Key, Value>) -> Stream<Key, Value> { merge(Stream(topic)) }
}
