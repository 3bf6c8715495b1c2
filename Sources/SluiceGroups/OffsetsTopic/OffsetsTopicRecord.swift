import SluiceLog

/// A record of the internal topic `__consumer_offsets`, in Kafka's own encoding
/// (`OffsetCommitKey`/`OffsetCommitValue`, `GroupMetadataKey`/`GroupMetadataValue`), so Kafka's
/// tools can read the topic and the coordinator can rebuild its state by replaying it.
///
/// Keys start with an int16 version: 0 or 1 for an offset commit (group, topic, partition),
/// 2 for group metadata (group). A null value is a tombstone: compaction then drops the key.
public enum OffsetsTopicKey: Sendable, Hashable {
    case offsetCommit(group: String, topic: String, partition: Int32)
    case groupMetadata(group: String)

    public var group: String {
        switch self {
        case .offsetCommit(let group, _, _), .groupMetadata(let group): group
        }
    }

    public func encoded() -> [UInt8] {
        var out = KafkaWriter()
        switch self {
        case .offsetCommit(let group, let topic, let partition):
            out.int16(1)
            out.string(group)
            out.string(topic)
            out.int32(partition)
        case .groupMetadata(let group):
            out.int16(2)
            out.string(group)
        }
        return out.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var reader = KafkaReader(bytes, what: "key")
        switch try reader.int16() {
        case 0, 1:
            self = .offsetCommit(group: try reader.string(), topic: try reader.string(), partition: try reader.int32())
        case 2:
            self = .groupMetadata(group: try reader.string())
        case let version:
            throw reader.malformed("unknown key version \(version)")
        }
    }
}

/// A committed offset: the next offset the group will read in a partition (last processed + 1),
/// with the client's metadata string and the commit time. Kafka's `OffsetCommitValue`.
public struct OffsetCommitValue: Sendable, Hashable {
    public var offset: Int64
    /// The leader epoch of the record at `offset - 1`, or -1; Sluice's log uses epoch 0.
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64
    /// Only in version 1 records; -1 otherwise.
    public var expireTimestamp: Int64

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestamp: Int64, expireTimestamp: Int64 = -1) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }

    /// Version 3, what Kafka writes since 2.1 for non-flexible records.
    public func encoded() -> [UInt8] {
        var out = KafkaWriter()
        out.int16(3)
        out.int64(offset)
        out.int32(leaderEpoch)
        out.string(metadata)
        out.int64(commitTimestamp)
        return out.bytes
    }

    /// Reads versions 0–3 (version 4, flexible, is not written by Kafka for classic groups).
    public init(decoding bytes: [UInt8]) throws {
        var reader = KafkaReader(bytes, what: "offset commit")
        let version = try reader.int16()
        guard (0...3).contains(version) else { throw reader.malformed("unsupported value version \(version)") }
        offset = try reader.int64()
        leaderEpoch = version >= 3 ? try reader.int32() : -1
        metadata = try reader.string()
        commitTimestamp = try reader.int64()
        expireTimestamp = version == 1 ? try reader.int64() : -1
    }
}

/// Where a group's records live: `abs(javaHashCode(group)) % partitions`, as Kafka places them
/// (`GroupCoordinatorService.partitionFor`), so a group maps to the same partition everywhere.
public enum OffsetsTopic {
    public static let name = "__consumer_offsets"
    /// Kafka's `offsets.topic.num.partitions` default.
    public static let defaultPartitionCount: Int32 = 50

    public static func partition(forGroup group: String, partitionCount: Int32 = defaultPartitionCount) -> Int32 {
        let hash = javaHashCode(group)
        let positive = hash == Int32.min ? 0 : abs(hash)  // Kafka's Utils.abs
        return positive % partitionCount
    }

    /// Java's `String.hashCode`, which decides the placement.
    public static func javaHashCode(_ text: String) -> Int32 { JavaOrder.hashCode(text) }
}
