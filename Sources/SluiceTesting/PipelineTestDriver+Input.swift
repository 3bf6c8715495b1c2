public import Sluice
public import SluiceLog

/// Input: topics and the records piped into them. Piped records are sent at once and become
/// durable before the next poll (`process()`) or read.
extension PipelineTestDriver {
    /// Creates `name` with `partitions` partitions (and, say, `["cleanup.policy": "compact"]`).
    /// Source topics nothing was piped to are otherwise created with `options.partitions` when
    /// the instances start; create a topic before that to give it another count.
    public func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) throws {
        guard partitions > 0 else { throw PipelineTestDriverError.invalidArgument("a topic needs at least 1 partition, not \(partitions)") }
        _ = try openNode().log.createTopic(name, partitions: partitions, configs: configs)
    }

    /// Sends one record to `topic`, encoded with the topic's serdes.
    /// - Parameters:
    ///   - timestamp: the record's timestamp (event time), ms; the wall clock if nil.
    ///   - partition: where it goes; if nil, keyed records go to `murmur2(key) % partitions`
    ///     (Kafka's default partitioner) and records without a key round-robin over the
    ///     partitions (deterministically, where Kafka's sticky partitioner is random).
    /// The topic is created with `options.partitions` partitions if it does not exist.
    public func pipe<Key, Value>(
        _ topic: Topic<Key, Value>, key: Key?, value: Value, timestamp: Int64? = nil, partition: Int32? = nil, headers: [RecordHeader] = []
    ) throws {
        var keyBytes: [UInt8]?
        if let key {
            var bytes: [UInt8] = []
            try topic.keySerde.encode(key, into: &bytes)
            keyBytes = bytes
        }
        var valueBytes: [UInt8] = []
        try topic.valueSerde.encode(value, into: &valueBytes)
        try pipeRaw(topic: topic.name, key: keyBytes, value: valueBytes, timestamp: timestamp, partition: partition, headers: headers)
    }

    /// Sends `records` in order, as `pipe(_:key:value:timestamp:partition:headers:)` would one by one.
    public func pipe<Key, Value>(_ topic: Topic<Key, Value>, _ records: [Sluice.Record<Key, Value>], partition: Int32? = nil) throws {
        for record in records {
            try pipe(topic, key: record.key, value: record.value, timestamp: record.timestamp, partition: partition)
        }
    }

    /// Sends bytes as they are: records no serde would produce (poison pills), tombstones
    /// (`value: nil`), or topics without a typed `Topic`. Partitioning as in `pipe`.
    public func pipeRaw(
        topic: String, key: [UInt8]?, value: [UInt8]?, timestamp: Int64? = nil, partition: Int32? = nil, headers: [RecordHeader] = []
    ) throws {
        let node = try openNode()
        let target = try targetPartition(topic: topic, key: key, requested: partition, node: node)
        try node.input.send(topic: topic, partition: target, key: key, value: value, headers: headers, timestamp: timestamp ?? wallClock.now)
        inputPending = true
    }

    private func targetPartition(topic: String, key: [UInt8]?, requested: Int32?, node: Node) throws -> Int32 {
        let count: Int
        if let existing = node.partitionCount(of: topic) {
            count = existing
        } else {
            count = options.partitions
            _ = try node.log.createTopic(topic, partitions: count)
        }
        if let requested {
            guard requested >= 0, Int(requested) < count else {
                throw PipelineTestDriverError.invalidArgument("topic \(topic) has partitions 0..<\(count); there is no partition \(requested)")
            }
            return requested
        }
        if let key { return Partitioner.partition(forKey: key, partitionCount: count) }
        let next = nextKeylessPartition[topic, default: 0] % Int32(count)
        nextKeylessPartition[topic] = next + 1
        return next
    }
}
