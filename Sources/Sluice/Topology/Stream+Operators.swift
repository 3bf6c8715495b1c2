/// The stateless operators. Each runs synchronously on the task's thread, record by record
/// inside a batch; a thrown error goes to the branch's error policy with the source record.
extension Stream {
    @inlinable
    public func map<V2>(_ transform: @escaping @Sendable (Value) throws -> V2) -> Stream<Key, V2> {
        then("map") { _, downstream in
            { record in
                let out = Record(key: record.key, value: try transform(record.value), timestamp: record.timestamp)
                try downstream(out)
            }
        }
    }

    /// Maps and drops the records for which `transform` returns nil.
    @inlinable
    public func compactMap<V2>(_ transform: @escaping @Sendable (Value) throws -> V2?) -> Stream<Key, V2> {
        then("compactMap") { _, downstream in
            { record in
                guard let value = try transform(record.value) else { return }
                let out = Record(key: record.key, value: value, timestamp: record.timestamp)
                try downstream(out)
            }
        }
    }

    @inlinable
    public func filter(_ isIncluded: @escaping @Sendable (Value) throws -> Bool) -> Stream<Key, Value> {
        then("filter") { _, downstream in
            { record in if try isIncluded(record.value) { try downstream(record) } }
        }
    }

    /// One record in, any number out (same key and timestamp).
    @inlinable
    public func flatMap<S: Sequence>(_ transform: @escaping @Sendable (Value) throws -> S) -> Stream<Key, S.Element> {
        then("flatMap") { _, downstream in
            { record in
                for value in try transform(record.value) {
                    let out = Record(key: record.key, value: value, timestamp: record.timestamp)
                    try downstream(out)
                }
            }
        }
    }

    /// Looks at every record without changing it (logging, metrics).
    @inlinable
    public func peek(_ body: @escaping @Sendable (Key?, Value) throws -> Void) -> Stream<Key, Value> {
        then("peek") { _, downstream in
            { record in
                try body(record.key, record.value)
                try downstream(record)
            }
        }
    }

    /// Sets a new key computed from the record (Kafka Streams' `selectKey`).
    @inlinable
    public func selectKey<K2>(_ key: @escaping @Sendable (Key?, Value) throws -> K2) -> Stream<K2, Value> {
        then(plan: plan.adding("selectKey").changingKey()) { _, downstream in
            { record in
                let out = Record(key: try key(record.key, record.value), value: record.value, timestamp: record.timestamp)
                try downstream(out)
            }
        }
    }

    /// Transforms the key (records without a key stay without one).
    @inlinable
    public func mapKey<K2>(_ transform: @escaping @Sendable (Key) throws -> K2) -> Stream<K2, Value> {
        then(plan: plan.adding("mapKey").changingKey()) { _, downstream in
            { record in
                let out = Record(key: try record.key.map(transform), value: record.value, timestamp: record.timestamp)
                try downstream(out)
            }
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
            { record in
                var stamped = record
                stamped.timestamp = try timestamp(record.value)
                try downstream(stamped)
            }
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
