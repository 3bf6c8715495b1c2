public import SluiceLog
import Synchronization

/// Committed offsets of every consumer group, stored durably in the compacted internal topic
/// `__consumer_offsets` (Kafka's records, Kafka's group placement) and cached in memory.
///
/// Guarantees:
/// - `commit` returns only once its records are acknowledged by the log (fsynced under the
///   topic's default `strict` durability): a committed offset survives `kill -9` and power loss.
/// - All offsets of one `commit` are one batch on one partition, so they are durable together.
/// - On open the topic is replayed (last record per key wins; a tombstone deletes), and a
///   committed offset beyond its partition's recovered log end is clamped to that end and
///   reported (the "offsets survived, records didn't" gap; invariant I8).
///
/// Thread-safety: any threads. The cache is behind a lock; appends go through the log's own.
public final class OffsetStore: Sendable {
    public let partitionCount: Int32
    private let log: LogManager
    private let cache: Mutex<[String: [TopicPartition: OffsetCommitValue]]>
    /// What replay found that an operator should know (clamped offsets).
    public let report: [String]

    /// Opens (creating when missing, unless the log is read-only) `__consumer_offsets` and
    /// replays it. A read-only open of a log without the topic sees no offsets.
    public init(log: LogManager, partitionCount: Int32 = OffsetsTopic.defaultPartitionCount) throws {
        self.log = log
        if !log.topicNames(includeInternal: true).contains(OffsetsTopic.name) {
            guard !log.isReadOnly else {
                self.partitionCount = partitionCount
                self.cache = Mutex([:])
                self.report = []
                return
            }
            try log.createTopic(
                OffsetsTopic.name, partitions: Int(partitionCount),
                configs: ["cleanup.policy": "compact", "segment.bytes": "104857600"])
        }
        self.partitionCount = Int32(try log.partitionCount(OffsetsTopic.name))
        var offsets: [String: [TopicPartition: OffsetCommitValue]] = [:]
        for id in 0..<self.partitionCount {
            let partition = try log.partition(OffsetsTopic.name, id)
            try partition.forEachRecord(from: partition.logStartOffset) { record in
                guard let key = record.key,
                    case .offsetCommit(let group, let topic, let p) = try OffsetsTopicKey(decoding: [UInt8](key))
                else { return }
                let tp = TopicPartition(topic, p)
                if let value = record.value {
                    offsets[group, default: [:]][tp] = try OffsetCommitValue(decoding: [UInt8](value))
                } else {
                    offsets[group]?[tp] = nil
                    if offsets[group]?.isEmpty == true { offsets[group] = nil }
                }
            }
        }
        var report: [String] = []
        for (group, committed) in offsets {
            for (tp, value) in committed {
                guard let partition = try? log.partition(tp.topic, tp.partition) else { continue }
                // A read-only open loaded this partition before the offsets; the writer may have
                // appended (and committed) since, so look again before calling it data loss.
                if log.isReadOnly { try? partition.refresh() }
                let end = partition.highWatermark
                guard value.offset > end else { continue }
                report.append(
                    "group \(group): committed offset \(value.offset) of \(tp) is past its log end \(end) (the log lost data); using \(end)")
                offsets[group]?[tp]?.offset = end
            }
        }
        cache = Mutex(offsets)
        self.report = report
    }

    /// Durably commits `offsets` (the next offset to read, per partition) for `group`.
    public func commit(group: String, offsets: [TopicPartition: OffsetCommitValue]) throws {
        guard !offsets.isEmpty else { return }
        var builder = RecordBatchBuilder()
        for (tp, value) in offsets.sorted(by: { $0.key < $1.key }) {
            let key = OffsetsTopicKey.offsetCommit(group: group, topic: tp.topic, partition: tp.partition).encoded()
            builder.append(Record(key: key, value: value.encoded(), timestamp: value.commitTimestamp))
        }
        try append(builder, group: group)
        cache.withLock { cache in
            for (tp, value) in offsets { cache[group, default: [:]][tp] = value }
        }
    }

    /// The committed offset of one partition, if any.
    public func committed(group: String, _ partition: TopicPartition) -> OffsetCommitValue? {
        cache.withLock { $0[group]?[partition] }
    }

    /// Every committed offset of `group`.
    public func committedOffsets(group: String) -> [TopicPartition: OffsetCommitValue] {
        cache.withLock { $0[group] ?? [:] }
    }

    /// Groups with committed offsets, sorted.
    public var groups: [String] { cache.withLock { $0.keys.sorted() } }

    /// Deletes the offsets of `partitions` (all of the group's when nil) with tombstones.
    public func delete(group: String, partitions: [TopicPartition]? = nil) throws {
        let doomed = partitions ?? Array(committedOffsets(group: group).keys)
        guard !doomed.isEmpty else { return }
        var builder = RecordBatchBuilder()
        for tp in doomed.sorted() {
            let key = OffsetsTopicKey.offsetCommit(group: group, topic: tp.topic, partition: tp.partition).encoded()
            builder.append(Record(key: key, value: nil, timestamp: wallClock()))
        }
        try append(builder, group: group)
        cache.withLock { cache in
            for tp in doomed { cache[group]?[tp] = nil }
            if cache[group]?.isEmpty == true { cache[group] = nil }
        }
    }

    private func append(_ builder: RecordBatchBuilder, group: String) throws {
        let partition = try log.partition(OffsetsTopic.name, OffsetsTopic.partition(forGroup: group, partitionCount: partitionCount))
        let encoder = try RecordBatchEncoder(compression: .zstd, level: 1)
        _ = try partition.append(encoder.encode(builder))
    }

    private func wallClock() -> Int64 { LogManager.systemClock() }
}
