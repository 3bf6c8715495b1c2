public import SluiceGroups
public import SluiceLog

/// Recently decoded batches of the partitions several consumers on one thread read, so that a
/// consumer a poll behind another finds each batch already decompressed and parsed.
///
/// Consumers of different groups reading one partition do not poll the same ranges: one
/// also reads a repartition topic, which takes part of its `max.poll.records`; another joined
/// a step later. `ConsumerRecords.forEachShared` shares a batch they hold in the same step;
/// this cache shares the batches one of them reaches a step later.
///
/// Bounded in bytes: the oldest batches go first. A batch is identified by its partition,
/// offsets and CRC, so a batch rewritten in the meantime (compaction) is decoded afresh.
/// Single owner (a stream thread): not thread-safe.
public final class BatchCache {
    private struct Key: Hashable {
        var partition: TopicPartition
        var baseOffset: Int64
        var lastOffsetDelta: Int32
        var crc: UInt32
    }

    private var batches: [Key: DecodedBatch] = [:]
    /// Insertion order, for eviction.
    private var order: [Key] = []
    private var oldest = 0
    private var bytes = 0
    /// The bound on the bytes held.
    public let byteLimit: Int

    public init(byteLimit: Int) {
        self.byteLimit = byteLimit
    }

    /// The decoded batch `bytes` (validated, with this `header`) of partition `tp`: from the
    /// cache, or decoded now and kept.
    public func batch(
        _ tp: TopicPartition, header: RecordBatchHeader, bytes batch: UnsafeRawBufferPointer, decoder: RecordBatchDecoder
    ) throws -> DecodedBatch {
        let key = Key(partition: tp, baseOffset: header.baseOffset, lastOffsetDelta: header.lastOffsetDelta, crc: header.crc)
        if let hit = batches[key] { return hit }
        let decoded = try decoder.decode(batch, header: header)
        batches[key] = decoded
        order.append(key)
        bytes += decoded.byteCount
        while bytes > byteLimit, oldest < order.count - 1 {
            if let evicted = batches.removeValue(forKey: order[oldest]) { bytes -= evicted.byteCount }
            oldest += 1
        }
        if oldest > 64, oldest * 2 > order.count {
            order.removeFirst(oldest)
            oldest = 0
        }
        return decoded
    }
}
