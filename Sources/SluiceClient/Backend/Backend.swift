public import SluiceGroups
public import SluiceLog

/// What the client API runs on: the embedded log in a data directory now, a Kafka cluster (over
/// librdkafka) later. Shaped after Kafka's client interfaces so that a librdkafka backend maps
/// one to one: the consumer side is librdkafka's high-level consumer (group membership, fetch
/// positions and commits live in the backend); everything above it — AckModes, commit-on-revoke,
/// the async sequences, the DSL — is shared code.
public protocol Backend: Sendable {
    func makeConsumer(_ configuration: ConsumerConfiguration) throws -> any ConsumerBackend
    func makeProducer(_ configuration: ProducerConfiguration) throws -> any ProducerBackend
    /// Partitions of `topic` (Metadata).
    func partitionCount(of topic: String) throws -> Int
}

/// A rebalance step the backend reports from inside `poll`, on the polling thread.
public enum RebalanceEvent: Sendable, Hashable {
    /// These partitions are about to go; their offsets can still be committed.
    case revoked([TopicPartition])
    /// These partitions are now this consumer's.
    case assigned([TopicPartition])
    /// These partitions were taken away without a chance to commit (session or poll timeout).
    case lost([TopicPartition])
}

/// Where to move a partition's position.
public enum SeekPosition: Sendable, Hashable {
    case offset(Int64)
    case beginning
    case end
    /// The first offset whose timestamp is at or after this (ms since the epoch); the end if none.
    case timestamp(Int64)
}

/// The group a consumer belongs to, as commits must identify it.
public struct ConsumerGroupMetadata: Sendable, Hashable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
}

/// The consumer half of a backend: Kafka's `Consumer` interface minus what the shared layer does.
///
/// Threading: like Kafka's consumer, one thread polls; `wakeup()` may be called from any thread.
public protocol ConsumerBackend: AnyObject, Sendable {
    /// Joins the group and follows `topics`; `onRebalance` is called inside `poll`.
    func subscribe(_ topics: [String], onRebalance: @escaping @Sendable (RebalanceEvent) throws -> Void) throws
    /// Reads exactly these partitions from now on, without group membership: replaces the
    /// assignment (partitions kept keep their positions), or changes nothing if it throws.
    func assign(_ partitions: [TopicPartition]) throws
    /// Fetches what is available, waiting up to `timeoutMs` for data; also drives the group
    /// protocol (joins, rebalances), which is when `onRebalance` runs.
    func poll(timeoutMs: Int) throws -> ConsumerRecords
    /// Durably commits these offsets (the next offset to read) for the group.
    func commit(_ offsets: [TopicPartition: Int64]) throws
    func committed(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64]
    func seek(_ partition: TopicPartition, to position: SeekPosition) throws
    func position(_ partition: TopicPartition) throws -> Int64
    func pause(_ partitions: [TopicPartition])
    func resume(_ partitions: [TopicPartition])
    var paused: Set<TopicPartition> { get }
    var assignment: Set<TopicPartition> { get }
    var groupMetadata: ConsumerGroupMetadata? { get }
    /// Ends a `poll` that is waiting, from any thread.
    func wakeup()
    /// Leaves the group (after `onRebalance(.revoked)` for everything owned).
    func close() throws
}

/// The producer half of a backend.
public protocol ProducerBackend: AnyObject, Sendable {
    /// Queues a record; `completion` runs once it is durably acknowledged (or failed).
    func send(
        topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader],
        timestamp: Int64?, completion: (@Sendable (Result<RecordMetadata, any Error>) -> Void)?
    ) throws
    func flush() throws
    func close() throws
    /// A thread-confined batching front end for one producing thread (see `ProducerSession`).
    /// The default forwards to `send` and `flush`, which is correct but waits for every
    /// thread's records; a backend that can count one thread's outstanding records does better
    /// (librdkafka: a delivery-report opaque per session, `flush` waiting for its count to
    /// reach zero; the embedded log: `LogProducerSession`).
    func makeSession() throws -> any ProducerSessionBackend
}

extension ProducerBackend {
    public func makeSession() throws -> any ProducerSessionBackend { ForwardingProducerSession(producer: self) }
}

/// The backend half of a `ProducerSession`: records sent without a per-record handle, batched
/// by the session, made durable by `flush()`.
///
/// Thread-confinement: not `Sendable`; one thread at a time calls it.
public protocol ProducerSessionBackend: AnyObject {
    /// Queues a record; failures to write it surface from `flush()`.
    func send(
        topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader],
        timestamp: Int64?
    ) throws
    /// Returns once every record this session sent is durably acknowledged.
    /// - Throws: the first failure among them since the previous flush.
    func flush() throws
}

/// A session over a backend without one of its own: `send` and `flush` of the shared producer.
final class ForwardingProducerSession: ProducerSessionBackend {
    private let producer: any ProducerBackend

    init(producer: any ProducerBackend) { self.producer = producer }

    func send(
        topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader],
        timestamp: Int64?
    ) throws {
        try producer.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp, completion: nil)
    }

    func flush() throws { try producer.flush() }
}

/// Where an acknowledged record landed.
public struct RecordMetadata: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}
