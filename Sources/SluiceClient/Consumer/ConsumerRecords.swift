public import SluiceGroups
public import SluiceLog

/// One record as a consumer receives it, with its own copies of the key, value and headers.
public struct ConsumerRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The value of the last header named `key` (nil if there is none, or its value is null).
    public func header(_ key: String) -> [UInt8]? {
        headers.last { $0.key == key }?.value
    }
}

/// What one `poll` returned: for each partition, whole stored RecordBatch v2 batches, exactly as
/// the log holds them, decoded (and decompressed) only when iterated. This is the zero-copy path:
/// `forEach` hands out `RecordView`s pointing into one decompression buffer, so a consumer that
/// decodes values in place allocates nothing per record.
///
/// Guarantees: only records at or after the position each partition was polled from, in offset
/// order per partition; `nextOffset(for:)` is the position after this poll.
public struct ConsumerRecords: Sendable {
    /// One partition's share of a poll.
    public struct PartitionRecords: Sendable {
        public var partition: TopicPartition
        /// Concatenated stored batches; the first may start before `fromOffset`.
        public var batches: [UInt8]
        /// The position this partition was polled from.
        public var fromOffset: Int64
        /// The position after the last record handed out.
        public var nextOffset: Int64
        /// Records at or after `fromOffset` (from the batch headers).
        public var count: Int
        /// Whether every batch already passed its CRC-32C check where it was read (the embedded
        /// log checks each batch it serves, in this process): `forEachShared` then does not
        /// check it again. Bytes from anywhere else are checked.
        public var crcChecked: Bool

        public init(partition: TopicPartition, batches: [UInt8], fromOffset: Int64, nextOffset: Int64, count: Int, crcChecked: Bool = false) {
            self.partition = partition
            self.batches = batches
            self.fromOffset = fromOffset
            self.nextOffset = nextOffset
            self.count = count
            self.crcChecked = crcChecked
        }

        /// Visits this partition's records in offset order, without copying; `decoder` holds
        /// the decompression buffer (reuse one across calls). The views are valid only inside `body`.
        public func forEach(decoder: RecordBatchDecoder, _ body: (RecordView) throws -> Void) throws {
            guard count > 0 else { return }
            let from = fromOffset
            try batches.withUnsafeBytes { raw in
                _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                    guard header.lastOffset >= from else { return }
                    try decoder.forEachRecord(in: batch, header: header) { record in
                        if record.offset >= from { try body(record) }
                    }
                }
            }
        }
    }

    public var partitions: [PartitionRecords]

    public init(partitions: [PartitionRecords] = []) {
        self.partitions = partitions
    }

    public static let empty = ConsumerRecords()

    public var isEmpty: Bool { partitions.allSatisfy { $0.count == 0 } }
    /// Records in this poll.
    public var count: Int { partitions.reduce(0) { $0 + $1.count } }

    /// The position after this poll for every partition it touched: what committing "the
    /// whole batch is processed" commits.
    public var nextOffsets: [TopicPartition: Int64] {
        Dictionary(partitions.map { ($0.partition, $0.nextOffset) }, uniquingKeysWith: max)
    }

    /// Visits every record in partition order, then offset order, without copying.
    /// The views are valid only inside `body`.
    public func forEach(_ body: (TopicPartition, RecordView) throws -> Void) throws {
        guard !partitions.isEmpty else { return }
        let decoder = try RecordBatchDecoder()
        for part in partitions {
            let tp = part.partition
            try part.forEach(decoder: decoder) { try body(tp, $0) }
        }
    }

    /// Every record, copied out (convenient; `forEach` is the allocation-free path).
    public func records() throws -> [ConsumerRecord] {
        var result: [ConsumerRecord] = []
        result.reserveCapacity(count)
        try forEach { tp, view in
            result.append(
                ConsumerRecord(
                    topic: tp.topic, partition: tp.partition, offset: view.offset, timestamp: view.timestamp,
                    key: view.key.map { Array($0) }, value: view.value.map { Array($0) },
                    headers: view.headerCount == 0 ? [] : view.headers()))
        }
        return result
    }

    /// Counts the records of `batches` at or after `from`, stopping after the batch that reaches
    /// `maxRecords` (batches are never split), and finds the offset after the last batch kept:
    /// what a fetch advances the position to. Only batch headers are read (the log checked the
    /// CRCs when it read the batches, and readers check them again as they decode).
    /// - Returns: the records counted, the next offset, and how many leading bytes to keep.
    static func scan(_ batches: [UInt8], from: Int64, maxRecords: Int = .max) throws -> (count: Int, next: Int64, bytes: Int) {
        var count = 0
        var next = from
        var kept = 0
        try batches.withUnsafeBytes { raw in
            while count < maxRecords, raw.count - kept >= RecordBatchHeader.size {
                let header = try RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: raw[kept...]))
                try header.validateShape()
                guard kept + header.totalSize <= raw.count else { break }
                if header.baseOffset >= from {
                    count += Int(header.recordsCount)
                } else if header.lastOffset >= from {
                    count += Int(min(Int64(header.recordsCount), header.lastOffset - from + 1))
                }
                next = max(next, header.nextOffset)
                kept += header.totalSize
            }
        }
        return (count, next, kept)
    }
}
