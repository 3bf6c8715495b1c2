public import Sluice
import SluiceGroups
import SluiceLog

/// Output: what the topics hold, typed or as bytes, and what the groups committed. Reads see
/// every record written so far (outputs are durable once a step returns).
extension PipelineTestDriver {
    /// Every record of `topic`, decoded with its serdes, partition by partition, each in offset
    /// order.
    public func records<Key, Value>(_ topic: Topic<Key, Value>) throws -> [Sluice.Record<Key, Value>] {
        try typedRecords(topic, partitions: nil).map(\.record)
    }

    /// The records of one partition of `topic`, in offset order.
    public func records<Key, Value>(_ topic: Topic<Key, Value>, partition: Int32) throws -> [Sluice.Record<Key, Value>] {
        try typedRecords(topic, partitions: [partition]).map(\.record)
    }

    /// The latest value of every key of `topic` (a record without a value deletes its key), as
    /// a table read of a changelog stream would see it.
    /// - Throws: for a record without a key, or a key found in several partitions.
    public func table<Key: Hashable, Value>(_ topic: Topic<Key, Value>) throws -> [Key: Value] {
        var table: [Key: Value] = [:]
        var partitionOf: [Key: Int32] = [:]
        try forEachRecord(of: topic.name, partitions: nil) { view, partition in
            guard let keyBytes = view.key else {
                throw PipelineTestDriverError.recordWithoutKey(topic: topic.name, partition: partition, offset: view.offset)
            }
            let key = try decode(topic.name, partition, view.offset) { try topic.keySerde.decode(keyBytes) }
            if let earlier = partitionOf.updateValue(partition, forKey: key), earlier != partition {
                throw PipelineTestDriverError.keyInSeveralPartitions(topic: topic.name, key: "\(key)", partitions: [earlier, partition])
            }
            guard let valueBytes = view.value else {
                table[key] = nil
                return
            }
            table[key] = try decode(topic.name, partition, view.offset) { try topic.valueSerde.decode(valueBytes) }
        }
        return table
    }

    /// Every record of `topic` as stored (bytes and headers), partition by partition.
    public func rawRecords(_ topic: String) throws -> [RawRecord] {
        try rawRecords(topic, partitions: nil)
    }

    /// The records of one partition of `topic` as stored.
    public func rawRecords(_ topic: String, partition: Int32) throws -> [RawRecord] {
        try rawRecords(topic, partitions: [partition])
    }

    /// The offsets `group` (a branch) has committed: the next offset to read, per partition.
    public func committedOffsets(group: String) throws -> [TopicPartition: Int64] {
        try openNode().coordinator.committedOffsets(groupId: group).mapValues(\.offset)
    }

    /// The log end (high watermark) of every partition of `topic`: committed offsets equal to
    /// these mean the group has committed everything.
    public func endOffsets(_ topic: String) throws -> [TopicPartition: Int64] { try offsets(of: topic, \.highWatermark) }

    /// The log start offset of every partition of `topic`: where its oldest readable record
    /// is, after retention and purges (`Options.purgesRepartitionTopics`).
    public func startOffsets(_ topic: String) throws -> [TopicPartition: Int64] { try offsets(of: topic, \.logStartOffset) }

    /// `offset` of every partition of `topic`, once the piped input is in the log.
    private func offsets(of topic: String, _ offset: KeyPath<Partition, Int64>) throws -> [TopicPartition: Int64] {
        try flushInput()
        let log = try openNode().log
        var offsets: [TopicPartition: Int64] = [:]
        for partition in try partitions(of: topic) { offsets[TopicPartition(topic, partition)] = try log.partition(topic, partition)[keyPath: offset] }
        return offsets
    }

    // MARK: Reading

    private func rawRecords(_ topic: String, partitions: [Int32]?) throws -> [RawRecord] {
        var records: [RawRecord] = []
        try forEachRecord(of: topic, partitions: partitions) { view, partition in
            records.append(
                RawRecord(
                    topic: topic, partition: partition, offset: view.offset, timestamp: view.timestamp, key: view.key.map { Array($0) },
                    value: view.value.map { Array($0) }, headers: view.headerCount == 0 ? [] : view.headers()))
        }
        return records
    }

    private func typedRecords<Key, Value>(
        _ topic: Topic<Key, Value>, partitions: [Int32]?
    ) throws -> [(partition: Int32, record: Sluice.Record<Key, Value>)] {
        var records: [(partition: Int32, record: Sluice.Record<Key, Value>)] = []
        try forEachRecord(of: topic.name, partitions: partitions) { view, partition in
            guard let valueBytes = view.value else {
                throw PipelineTestDriverError.tombstone(topic: topic.name, partition: partition, offset: view.offset)
            }
            let record = try decode(topic.name, partition, view.offset) {
                Sluice.Record(key: try view.key.map { try topic.keySerde.decode($0) }, value: try topic.valueSerde.decode(valueBytes), timestamp: view.timestamp)
            }
            records.append((partition, record))
        }
        return records
    }

    /// Visits the records of `partitions` of `topic` (all if nil), partition by partition.
    private func forEachRecord(of topic: String, partitions requested: [Int32]?, _ body: (RecordView, Int32) throws -> Void) throws {
        try flushInput()
        let log = try openNode().log
        let all = try partitions(of: topic)
        for partition in requested ?? all {
            guard all.contains(partition) else {
                throw PipelineTestDriverError.invalidArgument("topic \(topic) has partitions 0..<\(all.count); there is no partition \(partition)")
            }
            let stored = try log.partition(topic, partition)
            try stored.forEachRecord(from: stored.logStartOffset) { view in try body(view, partition) }
        }
    }

    private func partitions(of topic: String) throws -> [Int32] {
        guard let count = try openNode().partitionCount(of: topic) else { throw PipelineTestDriverError.unknownTopic(topic) }
        return (0..<Int32(count)).map { $0 }
    }

    private func decode<T>(_ topic: String, _ partition: Int32, _ offset: Int64, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw PipelineTestDriverError.undecodable(topic: topic, partition: partition, offset: offset, error)
        }
    }
}
