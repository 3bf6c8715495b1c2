import Foundation
import Synchronization

/// Settings of a `LogProducer`, with Kafka's producer names where one exists.
public struct ProducerConfiguration: Sendable {
    /// How long a batch may wait for more records before it is written (Kafka's `linger.ms`).
    public var lingerMs: Int = 5
    /// Uncompressed bytes that fill a batch (Kafka's `batch.size`). Larger than Kafka's 16 KiB
    /// default because zstd compresses 1 MiB batches far better, and one fsync covers more.
    public var batchSize: Int = 1 << 20
    /// Encoded bytes waiting to be written before `send` blocks (Kafka's `buffer.memory`).
    public var bufferMemory: Int = 64 << 20
    /// Keep each record's send time, for latency figures in the acknowledgement callback.
    public var recordSendTimes = false
    /// Called on the writer thread for every acknowledged batch.
    public var onAcknowledged: (@Sendable (ProducerAcknowledgement) -> Void)?

    public init() {}
}

/// One acknowledged batch: where it landed and when.
public struct ProducerAcknowledgement: Sendable {
    public var topic: String
    public var partition: Int32
    public var baseOffset: Int64
    public var recordCount: Int
    /// Monotonic send time of each record (empty unless `recordSendTimes`).
    public var sendTimesNanos: [UInt64]
    public var acknowledgedAtNanos: UInt64
}

/// Batches records per partition and appends them to the log, pipelined: callers fill and
/// compress batches while one writer thread appends and fsyncs the previous ones, so a caller
/// sending one record at a time still produces full compressed batches and shares fsyncs.
///
/// Partitioning is Kafka's: an explicit partition wins; a keyed record goes to
/// `murmur2(key) % partitions`; records without a key stick to one partition until its batch is
/// full, then move on (sticky partitioning, KIP-480).
///
/// Durability: a record counts as written when `flush()` returns without throwing (or when its
/// batch's acknowledgement callback runs): then it is acknowledged under its topic's durability
/// mode (fsynced in `strict`).
///
/// Thread-safety: `send`, `flush` and `close` may be called from any threads. Call `close()`
/// when done: it stops the writer thread (which keeps the producer alive until then).
public final class LogProducer: @unchecked Sendable {  // all mutable state is guarded by `condition`
    private let log: LogManager
    private let configuration: ProducerConfiguration
    private let condition = NSCondition()
    private let encoders = EncoderPool()

    private struct PartitionKey: Hashable {
        var topic: String
        var partition: Int32
    }

    private struct Accumulator {
        var builder: RecordBatchBuilder
        var createdNanos: UInt64
        var sendTimes: [UInt64] = []
    }

    private struct TopicEntry {
        var partitions: [Partition?]
        var offline: [Int32: any Error]
        var compression: CompressionCodec
        var level: Int32
        var sticky: Int32
        var fetchedNanos: UInt64
    }

    private struct SealedBatch {
        var key: PartitionKey
        var accumulator: Accumulator
    }

    private struct EncodedBatch {
        var key: PartitionKey
        var partition: Partition
        var bytes: [UInt8]
        var recordCount: Int
        var sendTimes: [UInt64]
    }

    // Guarded by `condition`.
    private var open: [PartitionKey: Accumulator] = [:]
    private var topics: [String: TopicEntry] = [:]
    private var queue: [EncodedBatch] = []
    private var queuedBytes = 0
    private var inFlight = 0
    private var firstError: (any Error)?
    private var closed = false
    private var writerDone = false
    private var stickyCounter: UInt32 = 0

    public init(log: LogManager, configuration: ProducerConfiguration = ProducerConfiguration()) {
        self.log = log
        self.configuration = configuration
        let thread = Thread { [self] in writerLoop() }
        thread.name = "sluice-producer-writer"
        thread.start()
    }

    /// Queues one record. Returns at once unless `buffer.memory` is full.
    /// - Throws: `unknownTopicOrPartition` for a missing topic or partition; an earlier write
    ///   failure is reported by `flush()`.
    public func send(
        topic: String, partition explicitPartition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        let now = DispatchTime.now().uptimeNanoseconds
        let timestamp = timestamp ?? LogManager.systemClock()
        var sealed: SealedBatch?
        var compression = CompressionCodec.zstd
        var level: Int32 = 1
        condition.lock()
        do {
            defer { condition.unlock() }
            while queuedBytes >= configuration.bufferMemory && !closed { condition.wait() }
            guard !closed else { throw LogError(.storage, "producer is closed") }
            var entry = try topicEntry(topic, now: now)
            compression = entry.compression
            level = entry.level
            let count = entry.partitions.count
            let partition: Int32
            if let explicitPartition {
                partition = explicitPartition
            } else if let key {
                partition = Partitioner.partition(forKey: key, partitionCount: count)
            } else {
                partition = entry.sticky
            }
            guard partition >= 0, Int(partition) < count else {
                throw LogError(.unknownTopicOrPartition, "topic '\(topic)' has partitions 0…\(count - 1); there is no partition \(partition)")
            }
            if entry.partitions[Int(partition)] == nil {
                throw entry.offline[partition] ?? LogError(.corruptLog, "partition \(topic)-\(partition) is offline")
            }
            let slot = PartitionKey(topic: topic, partition: partition)
            let full: Bool = {
                if open[slot] == nil {
                    open[slot] = Accumulator(builder: RecordBatchBuilder(capacity: configuration.batchSize + 4096), createdNanos: now)
                }
                open[slot]!.builder.append(key: key, value: value, headers: headers, timestamp: timestamp)
                if configuration.recordSendTimes { open[slot]!.sendTimes.append(now) }
                return open[slot]!.builder.estimatedSize >= configuration.batchSize
            }()
            if full, let accumulator = open.removeValue(forKey: slot) {
                sealed = SealedBatch(key: slot, accumulator: accumulator)
                inFlight += 1
                if key == nil && explicitPartition == nil && count > 1 {
                    stickyCounter &+= 1
                    entry.sticky = Int32((Int(entry.sticky) + 1 + Int(stickyCounter % UInt32(count - 1))) % count)
                    topics[topic] = entry
                }
            }
        }
        if let sealed {
            try encodeAndQueue([sealed], compression: compression, level: level)
        }
    }

    public func send(topic: String, partition: Int32? = nil, record: Record) throws {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(topic: topic, partition: partition, key: key, value: value, headers: record.headers, timestamp: record.timestamp)
            }
        }
    }

    /// Writes every record sent so far and waits until all are acknowledged.
    /// - Throws: the first append failure since the previous `flush`.
    public func flush() throws {
        let sealed = sealAll()
        try encodeAndQueueGrouped(sealed)
        condition.lock()
        defer { condition.unlock() }
        while inFlight > 0 { condition.wait() }
        if let error = firstError {
            firstError = nil
            throw error
        }
    }

    /// Flushes, then stops the writer thread.
    public func close() throws {
        var flushError: (any Error)?
        do { try flush() } catch { flushError = error }
        condition.lock()
        closed = true
        condition.broadcast()
        while !writerDone { condition.wait() }
        condition.unlock()
        if let flushError { throw flushError }
    }

    // MARK: Internals

    private func topicEntry(_ topic: String, now: UInt64) throws -> TopicEntry {
        if let entry = topics[topic], now &- entry.fetchedNanos < 1_000_000_000 { return entry }
        let count = try log.partitionCount(topic)
        var partitions: [Partition?] = []
        var offline: [Int32: any Error] = [:]
        for id in 0..<Int32(count) {
            do { partitions.append(try log.partition(topic, id)) } catch {
                partitions.append(nil)
                offline[id] = error
            }
        }
        let config = try log.describeTopic(topic).config
        let entry = TopicEntry(
            partitions: partitions, offline: offline, compression: config.compression == .uncompressed ? .none : .zstd,
            level: config.zstdLevel, sticky: topics[topic]?.sticky ?? Int32.random(in: 0..<Int32(count)), fetchedNanos: now)
        topics[topic] = entry
        return entry
    }

    private func sealAll() -> [SealedBatch] {
        condition.lock()
        defer { condition.unlock() }
        let sealed = open.map { SealedBatch(key: $0.key, accumulator: $0.value) }
        open.removeAll()
        inFlight += sealed.count
        return sealed
    }

    private func encodeAndQueueGrouped(_ sealed: [SealedBatch]) throws {
        for batch in sealed {
            let (codec, level) = codecOf(batch.key.topic)
            try encodeAndQueue([batch], compression: codec, level: level)
        }
    }

    private func codecOf(_ topic: String) -> (CompressionCodec, Int32) {
        condition.lock()
        defer { condition.unlock() }
        return topics[topic].map { ($0.compression, $0.level) } ?? (.zstd, 1)
    }

    private func encodeAndQueue(_ sealed: [SealedBatch], compression: CompressionCodec, level: Int32) throws {
        var encoded: [EncodedBatch] = []
        var failure: (any Error)?
        for batch in sealed {
            do {
                let bytes = try encoders.with(compression, level) { try $0.encode(batch.accumulator.builder) }
                let partition = try log.partition(batch.key.topic, batch.key.partition)
                encoded.append(
                    EncodedBatch(
                        key: batch.key, partition: partition, bytes: bytes, recordCount: Int(batch.accumulator.builder.recordCount),
                        sendTimes: batch.accumulator.sendTimes))
            } catch {
                failure = failure ?? error
            }
        }
        condition.lock()
        for batch in encoded {
            queue.append(batch)
            queuedBytes += batch.bytes.count
        }
        if let failure {
            firstError = firstError ?? failure
            inFlight -= sealed.count - encoded.count
        }
        condition.broadcast()
        condition.unlock()
    }

    private func writerLoop() {
        let lingerNanos = UInt64(max(configuration.lingerMs, 0)) * 1_000_000
        condition.lock()
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var expired: [SealedBatch] = []
            for (key, accumulator) in open where now &- accumulator.createdNanos >= lingerNanos {
                expired.append(SealedBatch(key: key, accumulator: accumulator))
            }
            for batch in expired { open[batch.key] = nil }
            inFlight += expired.count
            if queue.isEmpty && expired.isEmpty {
                if closed && open.isEmpty && inFlight == 0 { break }
                let oldest = open.values.map(\.createdNanos).min()
                let wait = oldest.map { lingerNanos &- min(lingerNanos, now &- $0) } ?? 100_000_000
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(max(wait, 200_000)) / 1e9))
                continue
            }
            let work = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            if !expired.isEmpty { try? encodeAndQueueGrouped(expired) }
            let (failure, acknowledged) = write(work)

            condition.lock()
            queuedBytes -= work.reduce(0) { $0 + $1.bytes.count }
            inFlight -= work.count
            if let failure { firstError = firstError ?? failure }
            condition.broadcast()
            if let callback = configuration.onAcknowledged, !acknowledged.isEmpty {
                condition.unlock()
                for ack in acknowledged { callback(ack) }
                condition.lock()
            }
        }
        writerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Appends the batches, then acknowledges each partition once (one fsync per partition
    /// covers every batch written to it in this round).
    private func write(_ work: [EncodedBatch]) -> ((any Error)?, [ProducerAcknowledgement]) {
        var failure: (any Error)?
        var results: [(EncodedBatch, AppendResult)] = []
        var ends: [ObjectIdentifier: (Partition, Int64)] = [:]
        for batch in work {
            do {
                let result = try batch.partition.write(batch.bytes)
                results.append((batch, result))
                ends[ObjectIdentifier(batch.partition)] = (batch.partition, result.nextOffset)
            } catch {
                failure = failure ?? error
            }
        }
        var failed = Set<ObjectIdentifier>()
        for (id, (partition, end)) in ends {
            do { try partition.acknowledge(upTo: end) } catch {
                failure = failure ?? error
                failed.insert(id)
            }
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let acknowledged = results.filter { !failed.contains(ObjectIdentifier($0.0.partition)) }.map { batch, result in
            ProducerAcknowledgement(
                topic: batch.key.topic, partition: batch.key.partition, baseOffset: result.baseOffset, recordCount: result.recordCount,
                sendTimesNanos: batch.sendTimes, acknowledgedAtNanos: now)
        }
        return (failure, acknowledged)
    }
}

/// Reusable encoders (each owns a zstd context), handed out one caller at a time.
final class EncoderPool: Sendable {
    private struct Key: Hashable {
        var codec: Int16
        var level: Int32
    }

    private struct Box: @unchecked Sendable {  // encoders are only used by the caller that took them
        var free: [Key: [RecordBatchEncoder]] = [:]
    }

    private let pool = Mutex(Box())

    func with<R>(_ codec: CompressionCodec, _ level: Int32, _ body: (RecordBatchEncoder) throws -> R) throws -> R {
        let key = Key(codec: codec.rawValue, level: level)
        let taken = pool.withLock { $0.free[key]?.popLast() }
        let encoder = try taken ?? RecordBatchEncoder(compression: codec, level: level)
        defer {
            let box = EncoderBox(encoder: encoder)
            pool.withLock { $0.free[key, default: []].append(box.encoder) }
        }
        return try body(encoder)
    }
}

private struct EncoderBox: @unchecked Sendable {
    let encoder: RecordBatchEncoder
}
