/// Kafka's default partitioner, bit-identical to the Java client (`Utils.murmur2`,
/// `BuiltInPartitioner.partitionForKey`): keyed records go to
/// `(murmur2(key) & 0x7fffffff) % partitions`, so the same key lands on the same partition
/// whichever of Sluice, Kafka Streams or kafka-python wrote it.
public enum Partitioner {
    /// MurmurHash2, 32-bit, seed 0x9747b28c, as Kafka computes it (returned as a signed int like Java).
    public static func murmur2(_ key: UnsafeRawBufferPointer) -> Int32 {
        let m: UInt32 = 0x5bd1_e995
        let length = key.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        let blocks = length / 4
        for i in 0..<blocks {
            var k = UInt32(littleEndian: key.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            k &*= m
            k ^= k >> 24
            k &*= m
            h &*= m
            h ^= k
        }
        let tail = blocks * 4
        switch length & 3 {
        case 3:
            h ^= UInt32(key[tail + 2]) << 16
            h ^= UInt32(key[tail + 1]) << 8
            h ^= UInt32(key[tail])
            h &*= m
        case 2:
            h ^= UInt32(key[tail + 1]) << 8
            h ^= UInt32(key[tail])
            h &*= m
        case 1:
            h ^= UInt32(key[tail])
            h &*= m
        default: break
        }
        h ^= h >> 13
        h &*= m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func murmur2(_ key: [UInt8]) -> Int32 {
        key.withUnsafeBytes { murmur2($0) }
    }

    /// The partition for a keyed record.
    public static func partition(forKey key: UnsafeRawBufferPointer, partitionCount: Int) -> Int32 {
        Int32((Int(murmur2(key)) & 0x7fff_ffff) % partitionCount)
    }

    public static func partition(forKey key: [UInt8], partitionCount: Int) -> Int32 {
        key.withUnsafeBytes { partition(forKey: $0, partitionCount: partitionCount) }
    }

    /// Where a producer sends a record, as Kafka's `DefaultPartitioner` does: the explicit
    /// partition if given, else murmur2 of the key, else the topic's current sticky partition.
    /// - Throws: `unknownTopicOrPartition` when the partition is not one of `0..<count`.
    @inline(__always)
    static func choose(explicit: Int32?, key: UnsafeRawBufferPointer?, sticky: Int32, count: Int, topic: String) throws(LogError) -> Int32 {
        let partition: Int32
        if let explicit {
            partition = explicit
        } else if let key {
            partition = Self.partition(forKey: key, partitionCount: count)
        } else {
            partition = sticky
        }
        guard partition >= 0, Int(partition) < count else {
            throw LogError(.unknownTopicOrPartition, "topic '\(topic)' has partitions 0…\(count - 1); there is no partition \(partition)")
        }
        return partition
    }
}
