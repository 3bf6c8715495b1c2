import Foundation
import Synchronization

/// Settings of a `LogProducer`, with Kafka's producer names where one exists.
public struct LogProducerConfiguration: Sendable {
    /// How long a batch may wait for more records before it is written (Kafka's `linger.ms`).
    public var lingerMs: Int = 5
    /// Uncompressed bytes that fill a batch (Kafka's `batch.size`). Larger than Kafka's 16 KiB
    /// default because zstd compresses 1 MiB batches far better, and one fsync covers more.
    public var batchSize: Int = 1 << 20
    /// Encoded bytes waiting to be written before `send` blocks (Kafka's `buffer.memory`).
    public var bufferMemory: Int = 32 << 20
    /// Background threads that compress full batches, so `send` returns to the caller at once.
    /// When they fall behind, callers compress too, so every core can work on compression.
    public var compressionThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Keep each record's send time, for latency figures in the acknowledgement callback.
    public var recordSendTimes = false
    /// Called on the writer thread for every acknowledged batch.
    public var onAcknowledged: (@Sendable (ProducerAcknowledgement) -> Void)?
    /// Called on the writer thread for each batch that could not be written (its records are
    /// not in the log). `flush()` also reports the first such error.
    public var onFailed: (@Sendable (ProducerFailure) -> Void)?

    public init() {}
}

/// One acknowledged batch: where it landed and when.
public struct ProducerAcknowledgement: Sendable {
    public var topic: String
    public var partition: Int32
    /// The `SendReceipt.batchId` of the records in this batch.
    public var batchId: UInt64
    public var baseOffset: Int64
    public var recordCount: Int
    /// Monotonic send time of each record (empty unless `recordSendTimes`).
    public var sendTimesNanos: [UInt64]
    public var acknowledgedAtNanos: UInt64
}

/// One batch that was not written: its records are lost unless sent again.
public struct ProducerFailure: Sendable {
    public var topic: String
    public var partition: Int32
    public var batchId: UInt64
    public var error: any Error
}

/// Where `send` put a record: its partition, its batch, and its place in that batch. Once the
/// batch is acknowledged (`ProducerAcknowledgement.batchId`), the record's offset is the
/// batch's base offset plus `index`.
public struct SendReceipt: Sendable, Hashable {
    public var partition: Int32
    public var batchId: UInt64
    public var index: Int32
}

/// Where one record landed, for its completion callback.
public struct RecordAcknowledgement: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// Called once per record sent with a completion: with its offset once its batch is
/// acknowledged, or with the error that kept the batch out of the log.
public typealias RecordCompletion = @Sendable (Result<RecordAcknowledgement, any Error>) -> Void

/// Batches records per partition and appends them to the log, pipelined: callers fill batches,
/// compressor threads (helped by callers when they fall behind) compress full ones, and one
/// writer thread appends and fsyncs them in order. A caller sending one record at a time still
/// produces full compressed batches and shares fsyncs.
///
/// Once there are as many sessions as cores, each session compresses its own batches on its
/// thread instead (see `compressesOnSubmittingThread`).
///
/// Partitioning is Kafka's: an explicit partition wins; a keyed record goes to
/// `murmur2(key) % partitions`; records without a key stick to one partition until its batch is
/// full, then move on (sticky partitioning, KIP-480).
///
/// Durability: a record counts as written when `flush()` returns without throwing (or when its
/// batch's acknowledgement callback runs): then it is acknowledged under its topic's durability
/// mode (fsynced in `strict`).
///
/// Thread-safety: `send`, `flush` and `close` may be called from any threads; each `send` takes
/// the producer's lock. A thread that sends many records should use a session of its own
/// (`makeSession()`): it batches without the lock and its `flush()` waits only for its own
/// batches. `flush()` and `close()` do not cover records still open in a session. Call
/// `close()` when done: it stops the writer thread (which keeps the producer alive until then).
public final class LogProducer: @unchecked Sendable {  // all mutable state is guarded by `condition`
    private let log: LogManager
    private let configuration: LogProducerConfiguration
    private let condition = NSCondition()
    private let encoders = EncoderPool()

    private struct PartitionKey: Hashable {
        var topic: String
        var partition: Int32
    }

    private struct Accumulator {
        var builder: RecordBatchBuilder
        var id: UInt64
        var createdNanos: UInt64
        var sendTimes: [UInt64] = []
        /// Per-record completions (index in the batch), for senders that asked for one.
        var completions: [(index: Int32, completion: RecordCompletion)] = []
    }

    /// A topic's partitions and their open batches. Refreshed from the log once a second, so
    /// partition increases are picked up.
    private struct TopicEntry {
        var name: String
        var partitions: [Partition?]
        var offline: [Int32: any Error]
        var accumulators: [Accumulator?]
        var compression: CompressionCodec
        var level: Int32
        var sticky: Int32
        var fetchedNanos: UInt64
        /// Uncompressed bytes a batch may reach: `batch.size`, but never so much that the stored
        /// batch could exceed the topic's `max.message.bytes`.
        var batchLimit: Int
        var maxMessageBytes: Int

        /// Appends to partition `p`'s open batch; returns whether it is now full.
        mutating func append(
            to p: Int, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader], timestamp: Int64,
            sendTime: UInt64?
        ) -> Bool {
            guard var accumulator = accumulators[p] else { return false }
            accumulators[p] = nil  // keep the builder's buffer uniquely referenced while appending
            accumulator.builder.append(key: key, value: value, headers: headers, timestamp: timestamp)
            if let sendTime { accumulator.sendTimes.append(sendTime) }
            let full = accumulator.builder.estimatedSize >= batchLimit
            accumulators[p] = accumulator
            return full
        }
    }

    private struct SealedBatch {
        /// Its place in the write order, reserved when it was sealed.
        var slot: UInt64
        var key: PartitionKey
        var accumulator: Accumulator
        var compression: CompressionCodec
        var level: Int32
        /// The session that sealed it, whose `flush()` waits for it; nil for `send`'s batches.
        var tracker: FlushTracker?
    }

    private struct EncodedBatch {
        var key: PartitionKey
        var partition: Partition
        var bytes: [UInt8]
        var recordCount: Int
        var sendTimes: [UInt64]
        var id: UInt64
        var completions: [(index: Int32, completion: RecordCompletion)]
        var tracker: FlushTracker?
    }

    // Guarded by `condition`.
    private var topicIndex: [String: Int] = [:]
    private var topicTable: [TopicEntry] = []
    /// The last topic sent to: most producers write one topic, so this skips the hash lookup.
    private var lastTopic: (name: String, index: Int)?
    private var openBatches = 0
    /// Batches in the order they were sealed. Compression happens outside the lock on whichever
    /// thread sealed the batch, so a later batch may be ready first; the writer only takes the
    /// ready prefix, which keeps every partition's batches in send order.
    private var queue: [(slot: UInt64, batch: EncodedBatch?)] = []
    private var nextSlot: UInt64 = 0
    private var nextBatchId: UInt64 = 0
    private var queuedBytes = 0
    private var inFlight = 0
    private var firstError: (any Error)?
    private var closed = false
    private var writerDone = false
    /// Sealed batches waiting to be compressed, oldest first.
    private var pendingCompression: [SealedBatch] = []
    /// Uncompressed bytes in `pendingCompression`; counts toward `buffer.memory`.
    private var pendingBytes = 0
    private var compressorsRunning = 0
    /// Open sessions (`LogProducerSession`s not yet deinitialized).
    private var openSessions = 0
    private let cores = ProcessInfo.processInfo.activeProcessorCount
    private var stickyCounter: UInt32 = 0
    /// Emptied builders and batch buffers, reused so that steady-state producing allocates (and
    /// page-faults in) no new megabyte buffers.
    private var freeBuilders: [RecordBatchBuilder] = []
    private var freeBuffers: [[UInt8]] = []
    private static let poolLimit = 8

    public init(log: LogManager, configuration: LogProducerConfiguration = LogProducerConfiguration()) {
        self.log = log
        self.configuration = configuration
        let thread = Thread { [self] in writerLoop() }
        thread.name = "sluice-producer-writer"
        thread.start()
        compressorsRunning = max(1, configuration.compressionThreads)
        for i in 0..<compressorsRunning {
            let compressor = Thread { [self] in compressorLoop() }
            compressor.name = "sluice-producer-compressor-\(i)"
            compressor.start()
        }
    }

    /// Queues one record. Returns at once unless `buffer.memory` is full.
    /// - Parameter timestamp: milliseconds since the epoch; now when nil.
    /// - Returns: where the record went, to match it with its batch's acknowledgement.
    /// - Throws: `unknownTopicOrPartition` for a missing topic or partition; an earlier write
    ///   failure is reported by `flush()`.
    @discardableResult
    public func send(
        topic: String, partition explicitPartition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil, completion: RecordCompletion? = nil
    ) throws -> SendReceipt {
        let timestamp = timestamp ?? wallClockMillis()
        let sendTime = configuration.recordSendTimes ? monotonicNanos() : 0
        var help: SealedBatch?
        condition.lock()
        defer {
            condition.unlock()
            if let help { encodeAndQueue(help) }
        }
        while queuedBytes + pendingBytes >= configuration.bufferMemory && !closed { condition.wait() }
        guard !closed else { throw LogError(.storage, "producer is closed") }
        let t = try topicSlot(topic)
        let count = topicTable[t].partitions.count
        let partition = try Partitioner.choose(explicit: explicitPartition, key: key, sticky: topicTable[t].sticky, count: count, topic: topic)
        guard topicTable[t].partitions[Int(partition)] != nil else {
            throw topicTable[t].offline[partition] ?? LogError(.corruptLog, "partition \(topic)-\(partition) is offline")
        }
        var p = Int(partition)
        // Kafka's RecordTooLargeException: a record that cannot fit any batch is refused at once.
        let approximateSize = RecordBatchHeader.size + 32 + (key?.count ?? 0) + (value?.count ?? 0)
            + headers.reduce(0) { $0 + 10 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        if approximateSize > topicTable[t].maxMessageBytes {
            throw LogError(
                .messageTooLarge,
                "a record of about \(approximateSize) bytes exceeds max.message.bytes=\(topicTable[t].maxMessageBytes) of topic \(topic)")
        }
        // A record that would push the open batch past the limit starts a new one.
        if let open = topicTable[t].accumulators[p], !open.builder.isEmpty,
            open.builder.estimatedSize + approximateSize > topicTable[t].batchLimit
        {
            takeBatch(t, p)
            // A record without a key moves on to the next sticky partition (KIP-480).
            if key == nil && explicitPartition == nil && count > 1 {
                stickyCounter &+= 1
                p = (p + 1 + Int(stickyCounter % UInt32(count - 1))) % count
                topicTable[t].sticky = Int32(p)
                guard topicTable[t].partitions[p] != nil else {
                    throw topicTable[t].offline[Int32(p)] ?? LogError(.corruptLog, "partition \(topic)-\(p) is offline")
                }
                if let open = topicTable[t].accumulators[p], !open.builder.isEmpty,
                    open.builder.estimatedSize + approximateSize > topicTable[t].batchLimit
                {
                    takeBatch(t, p)
                }
            }
        }
        if topicTable[t].accumulators[p] == nil {
            topicTable[t].accumulators[p] = Accumulator(
                builder: freeBuilders.popLast() ?? RecordBatchBuilder(capacity: configuration.batchSize + configuration.batchSize / 8),
                id: nextBatchId, createdNanos: monotonicNanos())
            nextBatchId += 1
            openBatches += 1
            // The writer sleeps long when nothing is open; wake it so linger.ms is kept.
            if openBatches == 1 { condition.broadcast() }
        }
        let receipt = SendReceipt(
            partition: Int32(p), batchId: topicTable[t].accumulators[p]?.id ?? 0,
            index: topicTable[t].accumulators[p]?.builder.recordCount ?? 0)
        if let completion { topicTable[t].accumulators[p]?.completions.append((receipt.index, completion)) }
        let full = topicTable[t].append(
            to: p, key: key, value: value, headers: headers, timestamp: timestamp, sendTime: configuration.recordSendTimes ? sendTime : nil)
        guard full else { return receipt }
        takeBatch(t, p)
        // Compressors behind: this caller compresses the oldest waiting batch itself.
        if pendingCompression.count > compressorsRunning { help = popPendingCompression() }
        if key == nil && explicitPartition == nil && count > 1 {
            stickyCounter &+= 1
            topicTable[t].sticky = Int32((p + 1 + Int(stickyCounter % UInt32(count - 1))) % count)
        }
        return receipt
    }

    @discardableResult
    public func send(topic: String, partition: Int32? = nil, record: Record, completion: RecordCompletion? = nil) throws -> SendReceipt {
        try withOptionalBytes(record.key) { key in
            try withOptionalBytes(record.value) { value in
                try send(
                    topic: topic, partition: partition, key: key, value: value, headers: record.headers, timestamp: record.timestamp,
                    completion: completion)
            }
        }
    }

    /// Writes every record sent so far and waits until all are acknowledged.
    /// - Throws: the first append failure since the previous `flush`.
    public func flush() throws {
        condition.lock()
        takeBatches()
        condition.unlock()
        while let batch = nextPendingCompression() { encodeAndQueue(batch) }
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
        while !writerDone || compressorsRunning > 0 { condition.wait() }
        condition.unlock()
        if let flushError { throw flushError }
    }

    // MARK: Internals

    /// Index of the topic in `topicTable`, loading or refreshing it. Under `condition`.
    private func topicSlot(_ topic: String) throws -> Int {
        let now = monotonicNanos()
        if let last = lastTopic, last.name == topic, now &- topicTable[last.index].fetchedNanos < 1_000_000_000 {
            return last.index
        }
        let existing = topicIndex[topic]
        if let existing, now &- topicTable[existing].fetchedNanos < 1_000_000_000 {
            lastTopic = (topic, existing)
            return existing
        }
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
        var entry = TopicEntry(
            name: topic, partitions: partitions, offline: offline, accumulators: Array(repeating: nil, count: count),
            compression: config.compression == .uncompressed ? .none : .zstd, level: config.zstdLevel,
            sticky: Int32.random(in: 0..<Int32(count)), fetchedNanos: now,
            batchLimit: max(1, min(configuration.batchSize, config.maxMessageBytes - RecordBatchHeader.size - 8192)),
            maxMessageBytes: config.maxMessageBytes)
        let index: Int
        if let existing {
            let old = topicTable[existing]
            for (p, accumulator) in old.accumulators.enumerated() where p < count { entry.accumulators[p] = accumulator }
            entry.sticky = old.sticky < count ? old.sticky : entry.sticky
            topicTable[existing] = entry
            index = existing
        } else {
            index = topicTable.count
            topicTable.append(entry)
            topicIndex[topic] = index
        }
        lastTopic = (topic, index)
        return index
    }

    /// Seals the open batch of a partition: reserves its place in the write order and hands it
    /// to the compressors. Under `condition`.
    private func takeBatch(_ t: Int, _ p: Int) {
        guard let accumulator = topicTable[t].accumulators[p] else { return }
        topicTable[t].accumulators[p] = nil
        openBatches -= 1
        inFlight += 1
        let slot = nextSlot
        nextSlot += 1
        queue.append((slot, nil))
        let entry = topicTable[t]
        pendingBytes += accumulator.builder.recordByteCount
        pendingCompression.append(
            SealedBatch(
                slot: slot, key: PartitionKey(topic: entry.name, partition: Int32(p)), accumulator: accumulator,
                compression: entry.compression, level: entry.level, tracker: nil))
        condition.broadcast()
    }

    /// Seals every open batch (all of them, or those older than `olderThan`). Under `condition`.
    private func takeBatches(olderThan cutoff: UInt64? = nil) {
        guard openBatches > 0 else { return }
        for t in topicTable.indices {
            for p in topicTable[t].accumulators.indices {
                guard let accumulator = topicTable[t].accumulators[p] else { continue }
                if let cutoff, accumulator.createdNanos > cutoff { continue }
                takeBatch(t, p)
            }
        }
    }

    private func nextPendingCompression() -> SealedBatch? {
        condition.lock()
        defer { condition.unlock() }
        return popPendingCompression()
    }

    /// Under `condition`.
    private func popPendingCompression() -> SealedBatch? {
        guard !pendingCompression.isEmpty else { return nil }
        let batch = pendingCompression.removeFirst()
        pendingBytes -= batch.accumulator.builder.recordByteCount
        return batch
    }

    private func compressorLoop() {
        condition.lock()
        while true {
            if let batch = popPendingCompression() {
                condition.unlock()
                encodeAndQueue(batch)
                condition.lock()
            } else if closed {
                break
            } else {
                condition.wait()
            }
        }
        compressorsRunning -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Compresses a sealed batch on the calling thread and queues it for the writer.
    private func encodeAndQueue(_ batch: SealedBatch) {
        var encoded: EncodedBatch?
        var failure: (any Error)?
        condition.lock()
        var bytes = freeBuffers.popLast() ?? []
        condition.unlock()
        do {
            try encoders.with(batch.compression, batch.level) { try $0.encode(batch.accumulator.builder, into: &bytes) }
            let partition = try log.partition(batch.key.topic, batch.key.partition)
            encoded = EncodedBatch(
                key: batch.key, partition: partition, bytes: bytes, recordCount: Int(batch.accumulator.builder.recordCount),
                sendTimes: batch.accumulator.sendTimes, id: batch.accumulator.id, completions: batch.accumulator.completions,
                tracker: batch.tracker)
        } catch {
            failure = error
        }
        var builder = batch.accumulator.builder
        builder.reset()
        condition.lock()
        if freeBuilders.count < Self.poolLimit { freeBuilders.append(builder) }
        if let index = queue.lastIndex(where: { $0.slot == batch.slot }) {
            if let encoded {
                queue[index].batch = encoded
                queuedBytes += encoded.bytes.count
            } else {
                queue.remove(at: index)
                if let tracker = batch.tracker {
                    tracker.complete(failure)
                } else {
                    firstError = firstError ?? failure
                }
                inFlight -= 1
            }
        }
        condition.broadcast()
        if encoded == nil, let failure {
            condition.unlock()
            configuration.onFailed?(ProducerFailure(topic: batch.key.topic, partition: batch.key.partition, batchId: batch.accumulator.id, error: failure))
            for (_, completion) in batch.accumulator.completions { completion(.failure(failure)) }
            condition.lock()
        }
        condition.unlock()
    }

    /// How long the writer holds written-to-be batches while later ones are still being
    /// compressed, so that one round (and one parallel fsync per partition) covers them all:
    /// a flush seals a dozen batches at once, and they finish compressing one by one.
    private static let roundGatherNanos: UInt64 = 2_000_000
    /// Batches one round gathers at most before it is written anyway.
    private static let roundGatherLimit = 32

    private func writerLoop() {
        let lingerNanos = UInt64(max(configuration.lingerMs, 0)) * 1_000_000
        var taken: [EncodedBatch] = []
        var takenSince: UInt64 = 0
        condition.lock()
        while true {
            let now = monotonicNanos()
            takeBatches(olderThan: now &- min(now, lingerNanos))
            let ready = queue.prefix { $0.batch != nil }.count
            if ready > 0 {
                if taken.isEmpty { takenSince = now }
                taken += queue.prefix(ready).compactMap(\.batch)
                queue.removeFirst(ready)
            }
            if taken.isEmpty {
                if closed && openBatches == 0 && inFlight == 0 { break }
                let oldest = topicTable.lazy.flatMap { $0.accumulators.lazy.compactMap { $0?.createdNanos } }.min()
                let wait = oldest.map { lingerNanos &- min(lingerNanos, now &- $0) } ?? 100_000_000
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(max(wait, 200_000)) / 1e9))
                continue
            }
            // Later batches are still compressing: gather them into this round (bounded).
            let gatherUntil = takenSince &+ Self.roundGatherNanos
            if !queue.isEmpty && now < gatherUntil && taken.count < Self.roundGatherLimit {
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(gatherUntil - now) / 1e9))
                continue
            }
            var work = taken
            taken = []
            condition.unlock()

            let (failure, acknowledged, failed, sessionFailures) = write(work)

            let written = work.count
            condition.lock()
            for (index, batch) in work.enumerated() { batch.tracker?.complete(sessionFailures[index]) }
            queuedBytes -= work.reduce(0) { $0 + $1.bytes.count }
            while freeBuffers.count < Self.poolLimit, var buffer = work.popLast()?.bytes {
                buffer.removeAll(keepingCapacity: true)
                freeBuffers.append(buffer)
            }
            inFlight -= written
            if let failure { firstError = firstError ?? failure }
            condition.broadcast()
            if !acknowledged.isEmpty || !failed.isEmpty {
                condition.unlock()
                if let callback = configuration.onAcknowledged { for ack in acknowledged { callback(ack) } }
                if let callback = configuration.onFailed { for failure in failed { callback(failure) } }
                condition.lock()
            }
        }
        writerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Appends the batches, then acknowledges each partition once (one fsync per partition
    /// covers every batch written to it in this round).
    /// - Returns: the first failure of a batch `send` sealed (for `flush`), the acknowledged and
    ///   the failed batches (for the callbacks), and the failures of session batches by their
    ///   index in `work` (for their sessions' `flush`).
    private func write(
        _ work: [EncodedBatch]
    ) -> ((any Error)?, [ProducerAcknowledgement], [ProducerFailure], [Int: any Error]) {
        var failure: (any Error)?
        var sessionFailures: [Int: any Error] = [:]
        var results: [(index: Int, batch: EncodedBatch, result: AppendResult)] = []
        var ends: [ObjectIdentifier: (Partition, Int64)] = [:]
        var failures: [ProducerFailure] = []
        for (index, batch) in work.enumerated() {
            do {
                let result = try batch.partition.write(batch.bytes)
                results.append((index, batch, result))
                ends[ObjectIdentifier(batch.partition)] = (batch.partition, result.nextOffset)
            } catch {
                if batch.tracker == nil { failure = failure ?? error } else { sessionFailures[index] = error }
                failures.append(ProducerFailure(topic: batch.key.topic, partition: batch.key.partition, batchId: batch.id, error: error))
                for (_, completion) in batch.completions { completion(.failure(error)) }
            }
        }
        // One fsync per partition, all at once (`SyncPool`).
        let syncFailures = Mutex<[ObjectIdentifier: any Error]>([:])
        SyncPool.shared.run(
            ends.map { id, end in
                {
                    do { try end.0.acknowledge(upTo: end.1) } catch { syncFailures.withLock { $0[id] = error } }
                }
            })
        let failed = syncFailures.withLock { $0 }
        let now = monotonicNanos()
        var acknowledged: [ProducerAcknowledgement] = []
        for (index, batch, result) in results {
            if let error = failed[ObjectIdentifier(batch.partition)] {
                if batch.tracker == nil { failure = failure ?? error } else { sessionFailures[index] = error }
                failures.append(ProducerFailure(topic: batch.key.topic, partition: batch.key.partition, batchId: batch.id, error: error))
                for (_, completion) in batch.completions { completion(.failure(error)) }
            } else {
                for (index, completion) in batch.completions {
                    completion(.success(RecordAcknowledgement(topic: batch.key.topic, partition: batch.key.partition, offset: result.baseOffset + Int64(index))))
                }
                acknowledged.append(
                    ProducerAcknowledgement(
                        topic: batch.key.topic, partition: batch.key.partition, batchId: batch.id, baseOffset: result.baseOffset,
                        recordCount: result.recordCount, sendTimesNanos: batch.sendTimes, acknowledgedAtNanos: now))
            }
        }
        return (failure, acknowledged, failures, sessionFailures)
    }
}

// MARK: Sessions

extension LogProducer {
    /// A thread-confined front end that batches without taking this producer's lock per record;
    /// see `LogProducerSession`.
    public func makeSession() -> LogProducerSession { LogProducerSession(producer: self) }

    /// What a session needs to know about a topic to partition and batch for it.
    struct TopicLayout {
        var name: String
        var partitionCount: Int
        /// Per partition, why it cannot be written to (nil: it can).
        var offline: [(any Error)?]
        var compression: CompressionCodec
        var level: Int32
        /// Uncompressed bytes a batch may reach (see `TopicEntry.batchLimit`).
        var batchLimit: Int
        var maxMessageBytes: Int
    }

    /// Reads `topic`'s layout from the log (no producer lock).
    func layout(of topic: String) throws -> TopicLayout {
        let count = try log.partitionCount(topic)
        var offline: [(any Error)?] = []
        offline.reserveCapacity(count)
        for id in 0..<Int32(count) {
            do {
                _ = try log.partition(topic, id)
                offline.append(nil)
            } catch {
                offline.append(error)
            }
        }
        let config = try log.describeTopic(topic).config
        return TopicLayout(
            name: topic, partitionCount: count, offline: offline,
            compression: config.compression == .uncompressed ? .none : .zstd, level: config.zstdLevel,
            batchLimit: max(1, min(configuration.batchSize, config.maxMessageBytes - RecordBatchHeader.size - 8192)),
            maxMessageBytes: config.maxMessageBytes)
    }

    /// The batch size a session's builders start with: enough for a partial batch, growing
    /// to `batch.size` for a busy partition.
    var sessionBuilderCapacity: Int { min(configuration.batchSize + configuration.batchSize / 8, 64 << 10) }

    /// Hands a session's sealed batches to the compressors and the writer, in order, with one
    /// lock acquisition: reserves their write slots, counts them in `tracker` and toward
    /// `buffer.memory`. Blocks first while `buffer.memory` is full (backpressure). Compresses
    /// as many batches on the calling thread as it hands over when sessions fill the cores
    /// (`compressesOnSubmittingThread`), else one when the compressors are behind; the oldest
    /// waiting first, either way.
    /// - Returns: emptied builders from the pool for the session's next batches, `spares` at most.
    /// - Throws: when the producer is closed (the batches are dropped).
    func submit(_ batches: inout [SessionBatch], tracker: FlushTracker, spares: Int) throws -> [RecordBatchBuilder] {
        guard !batches.isEmpty else { return [] }
        var help: [SealedBatch] = []
        condition.lock()
        defer {
            condition.unlock()
            for batch in help { encodeAndQueue(batch) }
        }
        while queuedBytes + pendingBytes >= configuration.bufferMemory && !closed { condition.wait() }
        guard !closed else {
            batches.removeAll(keepingCapacity: true)
            throw LogError(.storage, "producer is closed")
        }
        for batch in batches {
            let slot = nextSlot
            nextSlot += 1
            queue.append((slot, nil))
            inFlight += 1
            tracker.submitted += 1
            tracker.lastSlot = slot
            pendingBytes += batch.builder.recordByteCount
            pendingCompression.append(
                SealedBatch(
                    slot: slot, key: PartitionKey(topic: batch.topic, partition: batch.partition),
                    accumulator: Accumulator(builder: batch.builder, id: nextBatchId, createdNanos: 0), compression: batch.compression,
                    level: batch.level, tracker: tracker))
            nextBatchId += 1
        }
        var taken: [RecordBatchBuilder] = []
        while taken.count < min(spares, batches.count), let builder = freeBuilders.popLast() { taken.append(builder) }
        if compressesOnSubmittingThread {
            while help.count < batches.count, let batch = popPendingCompression() { help.append(batch) }
            if !pendingCompression.isEmpty { condition.broadcast() }  // others' batches, for the compressors
        } else {
            condition.broadcast()
            if pendingCompression.count > compressorsRunning, let batch = popPendingCompression() { help.append(batch) }
        }
        batches.removeAll(keepingCapacity: true)
        return taken
    }

    /// Whether sessions compress what they submit on their own thread: once there are as many
    /// sessions as cores. Why: those threads already keep every core busy, so a compressor
    /// thread only time-slices with one of them, and that one falls behind the others and
    /// finishes its share of the work last (measured on the order-events pipeline: its two
    /// stream threads ran at 86 % and 66 % of a core, and the run ended on the slower one).
    /// Compressing on the sending thread keeps each thread's work its own. Under `condition`.
    var compressesOnSubmittingThread: Bool {
        openSessions >= cores
    }

    /// `compressesOnSubmittingThread`, for tests.
    var sessionsCompressTheirOwnBatches: Bool {
        condition.lock()
        defer { condition.unlock() }
        return compressesOnSubmittingThread
    }

    /// Counts a session from its creation to its deinitialization.
    func sessionOpened() {
        condition.lock()
        openSessions += 1
        condition.unlock()
    }

    func sessionClosed() {
        condition.lock()
        openSessions -= 1
        condition.unlock()
    }

    /// Compresses, on the calling thread, waiting batches that were sealed no later than
    /// `tracker`'s last: the writer keeps the write order, so those hold up the session's own.
    func helpCompress(through tracker: FlushTracker) {
        while true {
            condition.lock()
            let batch = pendingCompression.first.flatMap { $0.slot <= tracker.lastSlot ? popPendingCompression() : nil }
            condition.unlock()
            guard let batch else { return }
            encodeAndQueue(batch)
        }
    }

    /// How many batches `tracker`'s session has handed over so far.
    func submittedCount(_ tracker: FlushTracker) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return tracker.submitted
    }

    /// Waits until the first `through` batches counted in `tracker` are acknowledged or failed.
    /// - Throws: the first failure among the batches done so far (then forgotten).
    func wait(for tracker: FlushTracker, through: UInt64) throws {
        condition.lock()
        defer { condition.unlock() }
        while tracker.completed < through { condition.wait() }
        try tracker.throwFailure()
    }

    /// Whether the first `through` batches counted in `tracker` are acknowledged, without
    /// waiting.
    /// - Throws: the first failure among the batches done so far (then forgotten).
    func isDone(_ tracker: FlushTracker, through: UInt64) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        try tracker.throwFailure()
        return tracker.completed >= through
    }
}

/// One batch a session sealed, on its way to `LogProducer.submit`.
struct SessionBatch {
    var topic: String
    var partition: Int32
    var builder: RecordBatchBuilder
    var compression: CompressionCodec
    var level: Int32
}

/// The batches of one session: how many it handed to the producer and how many of those are
/// done (acknowledged or failed). Guarded by the producer's lock (`LogProducer.condition`); the
/// writer completes them.
///
/// Invariant: batches complete in the order they were submitted (the writer takes them in
/// slot order), except a batch that fails to compress, which completes at once — and that
/// failure is kept in `firstError`, which every wait reports before it counts. So, with no
/// failure reported, `completed >= n` means the session's first `n` batches are acknowledged.
final class FlushTracker: @unchecked Sendable {  // every field is read and written under the producer's lock
    var submitted: UInt64 = 0
    var completed: UInt64 = 0
    /// The write slot of the session's latest batch.
    var lastSlot: UInt64 = 0
    /// The first failure not yet reported to the session.
    var firstError: (any Error)?

    /// One batch done: acknowledged (`error` nil) or failed. Under the producer's lock.
    func complete(_ error: (any Error)?) {
        completed += 1
        if let error, firstError == nil { firstError = error }
    }

    /// Throws the failure not yet reported, and forgets it. Under the producer's lock.
    func throwFailure() throws {
        guard let error = firstError else { return }
        firstError = nil
        throw error
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

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic clock in nanoseconds (vDSO, no allocation).
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Wall-clock milliseconds since the epoch, Kafka's record timestamp.
@inline(__always)
func wallClockMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) &* 1000 &+ Int64(ts.tv_nsec / 1_000_000)
}
