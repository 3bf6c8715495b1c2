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

    /// Strings over 32767 UTF-8 bytes are cut to that length (`truncatingString`).
    public func encoded() -> [UInt8] {
        var out = KafkaPrimitiveWriter(what: "key")
        switch self {
        case .offsetCommit(let group, let topic, let partition):
            out.int16(1)
            out.truncatingString(group)
            out.truncatingString(topic)
            out.int32(partition)
        case .groupMetadata(let group):
            out.int16(2)
            out.truncatingString(group)
        }
        return out.bytes
    }

    /// Throws `LogError` (`corruptMessage`) for bytes that are not a key of a known version.
    public init(decoding bytes: [UInt8]) throws {
        do throws(KafkaEncodingError) {
            var reader = KafkaPrimitiveReader(bytes, what: "key")
            switch try reader.int16("version") {
            case 0, 1:
                self = .offsetCommit(
                    group: try reader.lossyString("group"), topic: try reader.lossyString("topic"), partition: try reader.int32("partition"))
            case 2:
                self = .groupMetadata(group: try reader.lossyString("group"))
            case let version:
                throw KafkaEncodingError(.unsupportedVersion, "key has unknown version \(version)")
            }
        } catch {
            throw LogError(malformedRecord: error)
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
    /// Metadata over 32767 UTF-8 bytes is cut to that length (`truncatingString`).
    public func encoded() -> [UInt8] {
        var out = KafkaPrimitiveWriter(what: "offset commit value")
        out.int16(3)
        out.int64(offset)
        out.int32(leaderEpoch)
        out.truncatingString(metadata)
        out.int64(commitTimestamp)
        return out.bytes
    }

    /// Reads versions 0–3 (version 4, flexible, is not written by Kafka for classic groups).
    /// Throws `LogError` (`corruptMessage`) for anything else.
    public init(decoding bytes: [UInt8]) throws {
        do throws(KafkaEncodingError) {
            var reader = KafkaPrimitiveReader(bytes, what: "offset commit value")
            let version = try reader.int16("version")
            guard (0...3).contains(version) else {
                throw KafkaEncodingError(.unsupportedVersion, "offset commit value has unsupported version \(version)")
            }
            offset = try reader.int64("offset")
            leaderEpoch = version >= 3 ? try reader.int32("leader_epoch") : -1
            metadata = try reader.lossyString("metadata")
            commitTimestamp = try reader.int64("commit_timestamp")
            expireTimestamp = version == 1 ? try reader.int64("expire_timestamp") : -1
        } catch {
            throw LogError(malformedRecord: error)
        }
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

extension LogError {
    /// A `__consumer_offsets` record that does not decode is a damaged log to replay, so it is
    /// reported as `corruptMessage` (Kafka's CORRUPT_MESSAGE) rather than as the codec's error.
    fileprivate init(malformedRecord error: KafkaEncodingError) {
        self.init(.corruptMessage, "malformed record in \(OffsetsTopic.name): \(error.message)")
    }
}
