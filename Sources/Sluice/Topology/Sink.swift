import Dispatch
import Foundation
import Synchronization

/// The end of a branch: where its records go. Produced by `Stream.to(_:)` and
/// `Stream.forEach(_:)`; a branch's records are committed only once every sink is done with
/// them (written durably, or the side effect returned).
public struct Sink: Sendable {
    @usableFromInline let plan: StreamPlan
    /// The branch's sub-topologies, in dataflow order (the last one ends here).
    @usableFromInline let subTopologies: [SubTopology]

    @usableFromInline init(plan: StreamPlan, subTopologies: [SubTopology]) {
        self.plan = plan
        self.subTopologies = subTopologies
    }

    /// Topics this sink writes (created when missing, with the source's partition count).
    var outputs: [TopicName] { plan.outputs }
}

extension Stream {
    /// Writes every record to `topic`, whose key and value types must be this stream's.
    /// The runtime makes the writes durable before it commits the offsets that produced them.
    @inlinable
    public func to(_ topic: Topic<Key, Value>) -> Sink {
        finish(plan: plan.adding("to(\(topic.name))").adding(output: .external(topic.name))) { context in
            let writer = TopicWriter(topic: topic.name, keySerde: topic.keySerde, valueSerde: topic.valueSerde, context: context)
            return { key, value, timestamp in try writer.write(key: key, value: value, timestamp: timestamp) }
        }
    }

    /// Writes every record to `topic`, a nil value as a tombstone: a record with the key and no
    /// value, which deletes the key from a table read from the topic and, once compacted, from
    /// the topic itself (Kafka's `KTable#toStream().to(…)`). Such streams come from
    /// `WindowedStream.aggregateWithTombstones`.
    @inlinable
    public func to<Wrapped>(_ topic: Topic<Key, Wrapped>) -> Sink where Value == Wrapped? {
        finish(plan: plan.adding("to(\(topic.name))").adding(output: .external(topic.name))) { context in
            let writer = TopicWriter(topic: topic.name, keySerde: topic.keySerde, valueSerde: topic.valueSerde, context: context)
            return { key, value, timestamp in
                if let value {
                    try writer.write(key: key, value: value, timestamp: timestamp)
                } else {
                    try writer.writeTombstone(key: key, timestamp: timestamp)
                }
            }
        }
    }

    /// Runs a side effect for every record, such as a call to another service. The record's
    /// offset is committed only after `body` returned; a throw is retried per `retry`, then
    /// handed to the branch's error policy.
    @inlinable
    public func forEach(retry: RetryPolicy = .none, _ body: @escaping @Sendable (Record<Key, Value>) throws -> Void) -> Sink {
        var plan = plan.adding("forEach")
        plan.hasSideEffects = true
        return finish(plan: plan) { _ in
            { key, value, timestamp in
                let record = Record(key: key, value: value, timestamp: timestamp)
                try retry.run { try body(record) }
            }
        }
    }

    /// `forEach` for async side effects. Each call blocks the task's thread until `body`
    /// finishes, keeping records in order; `body` runs on threads of its own (not the
    /// cooperative pool). It must not wait for the actor of the thread that drives the
    /// pipeline: a test driving it from the main actor, with a body that awaits the main
    /// actor, would wait forever.
    public func forEach(retry: RetryPolicy = .none, _ body: @escaping @Sendable (Record<Key, Value>) async throws -> Void) -> Sink
    where Key: Sendable, Value: Sendable {
        forEach(retry: retry) { record in try blockingAwait { try await body(record) } }
    }
}

/// Encodes records with a topic's serdes and hands them to the producer: keyed records go to
/// `murmur2(key) % partitions`, as Kafka's default partitioner (which is what makes a
/// repartition topic group equal keys), unless `partition` is given.
///
/// Cost per record: key and value are each encoded where their serde chooses
/// (`Serde.withEncoded`): a `String` key is used as it is, a JSON value is written into stack
/// memory, other serdes use the task's reused buffers. The bytes are then copied once, into
/// the producer's open batch.
@usableFromInline
struct TopicWriter<Key, Value> {
    @usableFromInline let topic: String
    @usableFromInline let keySerde: any Serde<Key>
    @usableFromInline let valueSerde: any Serde<Value>
    @usableFromInline let context: TaskContext
    /// Repartition writes carry the record's origin (`RecordOrigin`).
    @usableFromInline let carriesOrigin: Bool

    @usableFromInline
    init(topic: String, keySerde: any Serde<Key>, valueSerde: any Serde<Value>, context: TaskContext, carriesOrigin: Bool = false) {
        self.topic = topic
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        self.context = context
        self.carriesOrigin = carriesOrigin
    }

    @inlinable
    func write(key: Key?, value: Value, timestamp: Int64, partition: Int32? = nil) throws {
        guard let key else {
            return try send(key: nil, value: value, partition: partition, withOrigin: false, timestamp: timestamp)
        }
        try keySerde.withEncoded(key, scratch: &context.keyScratch.pointer.pointee) { key in
            try send(key: key, value: value, partition: partition, withOrigin: carriesOrigin, timestamp: timestamp)
        }
    }

    /// A record with `key` and no value (a tombstone), partitioned as `write` would `key`.
    @inlinable
    func writeTombstone(key: Key?, timestamp: Int64) throws {
        var keyBytes: [UInt8]?
        if let key {
            var bytes: [UInt8] = []
            try keySerde.encode(key, into: &bytes)
            keyBytes = bytes
        }
        try context.send(topic: topic, key: keyBytes, value: nil, timestamp: timestamp)
    }

    @inlinable
    func send(key: UnsafeRawBufferPointer?, value: Value, partition: Int32?, withOrigin: Bool, timestamp: Int64) throws {
        // The serde is used where it is, never copied: a copy retains the serde's storage, which
        // every task on every stream thread shares, so each record would bounce that one
        // reference count between cores.
        try valueSerde.withEncoded(value, scratch: &context.valueScratch.pointer.pointee) { value in
            try context.send(topic: topic, partition: partition, key: key, value: value, withOrigin: withOrigin, timestamp: timestamp)
        }
    }
}

/// How often a failing side effect is tried again before the error policy decides.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var initialBackoffMs: Int
    public var maxBackoffMs: Int

    public static let none = RetryPolicy(attempts: 1, initialBackoffMs: 0, maxBackoffMs: 0)

    /// `attempts` tries in all, waiting `initialBackoffMs`, doubling up to `maxBackoffMs`.
    public static func exponential(attempts: Int, initialBackoffMs: Int = 100, maxBackoffMs: Int = 10_000) -> RetryPolicy {
        RetryPolicy(attempts: max(1, attempts), initialBackoffMs: initialBackoffMs, maxBackoffMs: maxBackoffMs)
    }

    @usableFromInline
    func run(_ body: () throws -> Void) throws {
        var backoff = initialBackoffMs
        for attempt in 1...max(1, attempts) {
            do {
                return try body()
            } catch {
                if attempt == attempts { throw error }
                if backoff > 0 { usleep(useconds_t(min(backoff, maxBackoffMs) * 1000)) }
                backoff = min(max(backoff * 2, 1), maxBackoffMs)
            }
        }
    }
}
