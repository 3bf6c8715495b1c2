/// A stream grouped by key, ready to aggregate: `count`, `reduce`, `aggregate`, or `windowed`
/// first. Produced by `Stream.groupBy` and `Stream.groupByKey`.
///
/// Grouping by a new key repartitions: the records are written to an internal topic,
/// `<pipeline>-<group>-<name>-repartition`, partitioned by the new key, and the aggregation
/// reads them back, so all records of a key meet in one task however many instances of the
/// pipeline run (Kafka Streams' repartition topics). Each task keeps its aggregates in a state
/// store backed by a compacted changelog topic, `<pipeline>-<group>-<name>-changelog`, which a
/// restarted or reassigned task replays.
public struct GroupedStream<Key: Hashable & Sendable, Value>: Sendable {
    @usableFromInline let stream: Stream<Key, Value>
    @usableFromInline let keySerde: any Serde<Key>
    @usableFromInline let valueSerde: any Serde<Value>
    /// When grouping repartitions: the stream before the repartition topic, and that topic.
    /// Aggregations that can merge partial results use it to pre-aggregate per source partition
    /// and repartition the partials instead of every record (`WindowedStream`).
    @usableFromInline let repartition: (keyed: Stream<Key, Value>, topic: TopicName)?

    @usableFromInline
    init(
        stream: Stream<Key, Value>, keySerde: any Serde<Key>, valueSerde: any Serde<Value>,
        repartition: (keyed: Stream<Key, Value>, topic: TopicName)? = nil
    ) {
        self.stream = stream
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        self.repartition = repartition
    }

    /// The current aggregate of every key, forwarded once per batch for each key that changed
    /// (a table's changelog stream).
    public func aggregate<Aggregate>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, serde: some Serde<Aggregate>, named name: String? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Key, Aggregate> {
        let storeName = name ?? stream.plan.ownedName("aggregate")
        let plan = stream.plan.adding("aggregate[\(storeName)]").adding(store: StoreDescriptor(name: storeName, kind: "key-value"))
        let (keySerde, aggregateSerde) = (keySerde, serde as any Serde<Aggregate>)
        return stream.then(plan: plan) { context, downstream in
            let store = try KeyValueAggregateStore(
                name: storeName, initializer: initial, aggregator: aggregator, keySerde: keySerde, aggregateSerde: aggregateSerde,
                context: context, downstream: downstream)
            return { key, value, timestamp in try store.process(key: key, value: value, timestamp: timestamp) }
        }
    }

    /// `aggregate` with JSON for the aggregate's changelog.
    public func aggregate<Aggregate: Codable & Sendable>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, named name: String? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Key, Aggregate> {
        aggregate(initial(), serde: JSONSerde<Aggregate>(), named: name, aggregator)
    }

    /// How many records each key has had.
    public func count(named name: String? = nil) -> Stream<Key, Int> {
        aggregate(0, named: name ?? stream.plan.ownedName("count")) { count, _ in count += 1 }
    }

    /// Combines each key's values with `combine`, the first value as it is.
    public func reduce(named name: String? = nil, _ combine: @escaping @Sendable (Value, Value) -> Value) -> Stream<Key, Value> {
        aggregate(nil, serde: OptionalSerde(valueSerde), named: name ?? stream.plan.ownedName("reduce")) { current, value in
            current = current.map { combine($0, value) } ?? value
        }
        .compactMap { $0 }
    }
}

extension Stream {
    /// Groups by a key computed from each value, repartitioning through
    /// `<pipeline>-<group>-<name>-repartition` (`name` defaults to `groupBy-<position>`).
    /// The serdes encode the repartitioned records and the state stores' keys.
    @inlinable
    public func groupBy<K: Hashable & Sendable>(
        _ key: @escaping @Sendable (Value) throws -> K, keySerde: some Serde<K>, valueSerde: some Serde<Value>, named name: String? = nil
    ) -> GroupedStream<K, Value> {
        let keyed = then(plan: plan.adding("groupBy").changingKey()) { (_, downstream: @escaping Emit<K, Value>) in
            { _, value, timestamp in try downstream(try key(value), value, timestamp) }
        }
        return keyed.groupByKey(keySerde: keySerde, valueSerde: valueSerde, named: name ?? plan.ownedName("groupBy"))
    }

    /// `groupBy` to a string key, JSON values in the repartition topic.
    @inlinable
    public func groupBy(_ key: @escaping @Sendable (Value) throws -> String, named name: String? = nil) -> GroupedStream<String, Value>
    where Value: Codable & Sendable {
        groupBy(key, keySerde: StringSerde(), valueSerde: JSONSerde<Value>(), named: name)
    }

    /// `groupBy` to a `Codable` key, JSON keys and values in the repartition topic.
    @inlinable
    public func groupBy<K: Hashable & Codable & Sendable>(_ key: @escaping @Sendable (Value) throws -> K, named name: String? = nil)
        -> GroupedStream<K, Value> where Value: Codable & Sendable
    {
        groupBy(key, keySerde: JSONSerde<K>(), valueSerde: JSONSerde<Value>(), named: name)
    }

    /// Groups by the records' current keys. Repartitions only when an operator changed the key
    /// since the source (`selectKey`, `mapKey`), as Kafka Streams does; otherwise the source
    /// partitioning already puts equal keys together (if producers partitioned by key).
    /// Records without a key go to the branch's error policy.
    @inlinable
    public func groupByKey(keySerde: some Serde<Key>, valueSerde: some Serde<Value>, named name: String? = nil) -> GroupedStream<Key, Value>
    where Key: Hashable & Sendable {
        guard plan.keyChanged else {
            return GroupedStream(stream: self, keySerde: keySerde, valueSerde: valueSerde)
        }
        let topic = TopicName.owned(suffix: "\(name ?? plan.ownedName("groupByKey"))-repartition")
        let sink = finish(plan: plan.adding("repartition(\(topic))").adding(output: topic)) { context in
            let writer = TopicWriter(
                topic: topic.resolved(in: context.scope), keySerde: keySerde, valueSerde: valueSerde, context: context, carriesOrigin: true)
            return { key, value, timestamp in
                guard key != nil else { throw SerdeError("a record without a key cannot be grouped") }
                try writer.write(key: key, value: value, timestamp: timestamp)
            }
        }
        var plan = sink.plan
        plan.keyChanged = false
        let repartitioned = Stream(source: topic, keySerde: keySerde, valueSerde: valueSerde, plan: plan, upstream: sink.subTopologies)
        return GroupedStream(stream: repartitioned, keySerde: keySerde, valueSerde: valueSerde, repartition: (self, topic))
    }

    /// `groupByKey` for string keys and JSON values.
    @inlinable
    public func groupByKey(named name: String? = nil) -> GroupedStream<String, Value> where Key == String, Value: Codable & Sendable {
        groupByKey(keySerde: StringSerde(), valueSerde: JSONSerde<Value>(), named: name)
    }
}

/// An optional value: a `0` byte for `nil`, else `1` and the wrapped serde's bytes.
struct OptionalSerde<Wrapped>: Serde {
    let wrapped: any Serde<Wrapped>

    init(_ wrapped: any Serde<Wrapped>) { self.wrapped = wrapped }

    func encode(_ value: Wrapped?, into bytes: inout [UInt8]) throws {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        try wrapped.encode(value, into: &bytes)
    }

    func decode(_ bytes: UnsafeRawBufferPointer) throws -> Wrapped? {
        guard let tag = bytes.first else { throw SerdeError("an optional value needs a tag byte") }
        switch tag {
        case 0: return nil
        case 1: return try wrapped.decode(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))
        default: throw SerdeError("an optional value's tag must be 0 or 1, got \(tag)")
        }
    }
}
