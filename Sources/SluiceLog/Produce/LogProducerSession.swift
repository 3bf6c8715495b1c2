/// A thread-confined batching front end of a `LogProducer`: one per producing thread (a stream
/// thread, say), for the hot path from an operator to durable record batches.
///
/// `send` appends to an open batch this session holds per (topic, partition) — no lock, no
/// atomic, no wake-up per record. A full batch is sealed and handed to the producer's
/// compressor and writer threads with one lock acquisition; `flush()` seals the open batches
/// and waits for exactly this session's batches, not for other threads' records.
///
/// Partitioning is the producer's (Kafka's): an explicit partition wins; a keyed record goes to
/// `murmur2(key) % partitions` (`Partitioner`); a record without a key sticks to one partition
/// until the session's batch there is full, then moves on (sticky partitioning, KIP-480).
/// Partition counts are cached per topic and re-read at a `flush()` a second or more after the
/// last read, or when an explicit partition is beyond the cached count.
///
/// Ordering: records of one session to one partition are written in send order.
///
/// Durability: when `flush()` returns without throwing, every record this session sent before
/// it is in the log and acknowledged under its topic's durability mode (fsynced in `strict`).
/// Records are not written before a batch fills or `flush()` seals it — there is no linger
/// timer (no other thread may touch the open batches) — so flush at the end of each unit of
/// work. A session released with open batches hands them to the writer without waiting.
///
/// Backpressure: sealing blocks while the producer's `buffer.memory` is full of batches waiting
/// to be compressed or written. The open batches themselves (at most `batch.size` per partition
/// written to) are not counted.
///
/// Thread-confinement: not `Sendable`. Use a session from one thread at a time (hand it over
/// only with a happens-before edge, such as a join). Sessions of one producer on different
/// threads run independently; the producer must outlive its sessions' last `flush()`.
public final class LogProducerSession {
    /// A point in a session's stream of records: everything sent before `beginFlush()` made it.
    /// Points of one session are ordered; a later point covers an earlier one.
    public struct FlushPoint: Sendable, Hashable, Comparable {
        /// Batches the session had handed to the producer by then.
        let batches: UInt64

        public static func < (a: Self, b: Self) -> Bool { a.batches < b.batches }
    }

    private let producer: LogProducer
    private let tracker = FlushTracker()
    /// All mutable state in one value, behind a pointer this session allocates and frees.
    ///
    /// Why a pointer: a stored `var` of a class is checked for exclusive access at run time on
    /// every `send` (`swift_beginAccess`, ~120 instructions). The session is thread-confined,
    /// and no method of it runs while another one does.
    private let state: UnsafeMutablePointer<State>

    init(producer: LogProducer) {
        self.producer = producer
        state = .allocate(capacity: 1)
        state.initialize(to: State(builderCapacity: producer.sessionBuilderCapacity))
        producer.sessionOpened()
    }

    deinit {
        state.pointee.sealAll()
        _ = try? producer.submit(&state.pointee.sealed, tracker: tracker, spares: 0)
        producer.sessionClosed()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Appends one record to its partition's open batch; seals the batch when it is full.
    /// - Parameter timestamp: milliseconds since the epoch; now when nil.
    /// - Throws: `unknownTopicOrPartition` for a missing topic or partition, `messageTooLarge`
    ///   for a record no batch can hold, the offline partition's error, or (when sealing) that
    ///   the producer is closed. Write failures surface from `flush()`.
    public func send(
        topic: String, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        try state.pointee.send(
            topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp ?? wallClockMillis(),
            producer: producer)
        if !state.pointee.sealed.isEmpty { try submitSealed() }
    }

    /// `send` for byte arrays.
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        try withOptionalBytes(key) { key in
            try withOptionalBytes(value) { value in
                try send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
            }
        }
    }

    /// Seals every open batch of this session and waits until each batch it sealed since the
    /// last `flush()` is acknowledged (durable under its topic's durability mode) or failed.
    /// While waiting, compresses on this thread the batches that are ahead of its own.
    /// Returns at once when the session sent nothing since the last flush.
    /// - Throws: the first failure among those batches; their records may be missing from the log.
    public func flush() throws {
        let point = try beginFlush()
        guard state.pointee.outstanding else { return }
        producer.helpCompress(through: tracker)
        state.pointee.outstanding = false
        try producer.wait(for: tracker, through: point.batches)
    }

    /// `flush()` without the wait: seals every open batch and hands it to the compressors and
    /// the writer, and returns the point that covers every record sent so far. The caller goes
    /// on working (sending more, even) while those records are written and synced, and asks
    /// `isDurable(_:)` or `waitUntilDurable(_:)` before it acts on them being durable — before
    /// committing the offsets that produced them, say.
    /// - Throws: when sealing fails (the producer is closed); write failures surface from the
    ///   durability checks.
    public func beginFlush() throws -> FlushPoint {
        state.pointee.sealAll()
        try submitSealed()
        state.pointee.refreshIfStale(producer)
        return FlushPoint(batches: producer.submittedCount(tracker))
    }

    /// Whether every record sent before `point` was made is acknowledged, without waiting.
    /// - Throws: a write failure among this session's batches not reported before (reported
    ///   once): records before `point` may be missing from the log.
    public func isDurable(_ point: FlushPoint) throws -> Bool {
        try producer.isDone(tracker, through: point.batches)
    }

    /// Waits until every record sent before `point` was made is acknowledged.
    /// - Throws: as `isDurable(_:)`.
    public func waitUntilDurable(_ point: FlushPoint) throws {
        try producer.wait(for: tracker, through: point.batches)
    }

    private func submitSealed() throws {
        guard !state.pointee.sealed.isEmpty else { return }
        state.pointee.outstanding = true
        let wanted = State.spareLimit - state.pointee.spares.count
        let spares = try producer.submit(&state.pointee.sealed, tracker: tracker, spares: wanted)
        if !spares.isEmpty { state.pointee.spares += spares }
    }
}

extension LogProducerSession {
    /// A topic as a session writes it: its layout and an open batch per partition.
    struct OpenTopic {
        var layout: LogProducer.TopicLayout
        /// Per partition; an empty builder is no open batch.
        var builders: [RecordBatchBuilder]
        var sticky: Int32
        var fetchedNanos: UInt64
    }

    struct State {
        static let spareLimit = 4
        let builderCapacity: Int
        var topics: [OpenTopic] = []
        /// Index in `topics` of the last topic sent to.
        var last = 0
        /// Sealed batches not yet handed to the producer.
        var sealed: [SessionBatch] = []
        /// Emptied builders from the producer's pool, for the next batches.
        var spares: [RecordBatchBuilder] = []
        /// Whether batches were handed over since the last flush waited.
        var outstanding = false
        var stickyCounter: UInt32 = 0

        init(builderCapacity: Int) { self.builderCapacity = builderCapacity }

        mutating func send(
            topic: String, partition explicit: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader],
            timestamp: Int64, producer: LogProducer
        ) throws {
            let t = try index(of: topic, producer)
            let (partition, count) = try self.partition(explicit, key: key, topic: t, producer)
            var p = Int(partition)
            // Kafka's RecordTooLargeException: a record that cannot fit any batch is refused at once.
            let size = Self.estimatedSize(key: key, valueCount: value?.count ?? 0, headers: headers)
            let limit = topics[t].layout.batchLimit
            if size > topics[t].layout.maxMessageBytes {
                throw LogError(
                    .messageTooLarge,
                    "a record of about \(size) bytes exceeds max.message.bytes=\(topics[t].layout.maxMessageBytes) of topic \(topic)")
            }
            let sticky = key == nil && explicit == nil && count > 1
            if !topics[t].builders[p].isEmpty && topics[t].builders[p].estimatedSize + size > limit {
                // A record that would push the open batch past the limit starts a new one; a
                // record without a key moves on to the next sticky partition (KIP-480).
                seal(t, p)
                if sticky {
                    p = nextSticky(t, after: p, count)
                    if !topics[t].builders[p].isEmpty && topics[t].builders[p].estimatedSize + size > limit { seal(t, p) }
                }
            }
            if let offline = topics[t].layout.offline[p] { throw offline }
            openBuilder(t, p)
            topics[t].builders[p].append(key: key, value: value, headers: headers, timestamp: timestamp)
            sealIfFull(t, p, sticky: sticky, count)
        }

        /// The partition of a record to topic `t` and the topic's partition count: `explicit`
        /// when given, else murmur2 of the key, else the sticky one.
        @inline(__always)
        mutating func partition(_ explicit: Int32?, key: UnsafeRawBufferPointer?, topic t: Int, _ producer: LogProducer) throws -> (Int32, Int) {
            if let explicit, explicit >= topics[t].layout.partitionCount, explicit >= 0 {
                try reload(t, producer)  // the topic may have grown since it was cached
            }
            let count = topics[t].layout.partitionCount
            let partition = try Partitioner.choose(
                explicit: explicit, key: key, sticky: topics[t].sticky, count: count, topic: topics[t].layout.name)
            return (partition, count)
        }

        /// What a record takes in a batch at most, for the size checks (`max.message.bytes`,
        /// the batch limit): a batch header, room for its varints, its key, value and headers.
        @inline(__always)
        static func estimatedSize(key: UnsafeRawBufferPointer?, valueCount: Int, headers: [RecordHeader]) -> Int {
            var size = RecordBatchHeader.size + 32 + (key?.count ?? 0) + valueCount
            for header in headers { size += 10 + header.key.utf8.count + (header.value?.count ?? 0) }
            return size
        }

        /// Gives partition `p` of topic `t` a builder with a buffer if it has none yet.
        @inline(__always)
        mutating func openBuilder(_ t: Int, _ p: Int) {
            if topics[t].builders[p].isEmpty && topics[t].builders[p].reservedBytes == 0 {
                topics[t].builders[p] = spares.popLast() ?? RecordBatchBuilder(capacity: builderCapacity)
            }
        }

        /// Seals partition `p`'s batch once it reached the limit; a record without a key then
        /// moves on to the next sticky partition.
        @inline(__always)
        mutating func sealIfFull(_ t: Int, _ p: Int, sticky: Bool, _ count: Int) {
            guard topics[t].builders[p].estimatedSize >= topics[t].layout.batchLimit else { return }
            seal(t, p)
            if sticky { _ = nextSticky(t, after: p, count) }
        }

        /// Moves topic `t`'s sticky partition on from `p` to another one.
        mutating func nextSticky(_ t: Int, after p: Int, _ count: Int) -> Int {
            stickyCounter &+= 1
            let next = (p + 1 + Int(stickyCounter % UInt32(count - 1))) % count
            topics[t].sticky = Int32(next)
            return next
        }

        /// Moves partition `p`'s open batch of topic `t` to `sealed`.
        mutating func seal(_ t: Int, _ p: Int) {
            var builder = RecordBatchBuilder()
            swap(&builder, &topics[t].builders[p])
            sealed.append(
                SessionBatch(
                    topic: topics[t].layout.name, partition: Int32(p), builder: builder, compression: topics[t].layout.compression,
                    level: topics[t].layout.level))
        }

        /// Seals every open batch.
        mutating func sealAll() {
            for t in topics.indices {
                for p in topics[t].builders.indices where !topics[t].builders[p].isEmpty { seal(t, p) }
            }
        }

        @inline(__always)
        mutating func index(of topic: String, _ producer: LogProducer) throws -> Int {
            if last < topics.count && topics[last].layout.name == topic { return last }
            if let found = topics.firstIndex(where: { $0.layout.name == topic }) {
                last = found
                return found
            }
            let layout = try producer.layout(of: topic)
            topics.append(
                OpenTopic(
                    layout: layout, builders: Array(repeating: RecordBatchBuilder(), count: layout.partitionCount),
                    sticky: Int32.random(in: 0..<Int32(max(1, layout.partitionCount))), fetchedNanos: monotonicNanos()))
            last = topics.count - 1
            return last
        }

        /// Re-reads topic `t`'s layout, keeping its open batches.
        mutating func reload(_ t: Int, _ producer: LogProducer) throws {
            let layout = try producer.layout(of: topics[t].layout.name)
            let count = layout.partitionCount
            if count > topics[t].builders.count {
                topics[t].builders += Array(repeating: RecordBatchBuilder(), count: count - topics[t].builders.count)
            }
            topics[t].layout = layout
            if topics[t].sticky >= count { topics[t].sticky = Int32.random(in: 0..<Int32(max(1, count))) }
            topics[t].fetchedNanos = monotonicNanos()
        }

        /// Re-reads the layouts read a second or more ago. Called with no batch open.
        mutating func refreshIfStale(_ producer: LogProducer) {
            guard !topics.isEmpty else { return }
            let now = monotonicNanos()
            for t in topics.indices where now &- topics[t].fetchedNanos >= 1_000_000_000 {
                // A topic that went away keeps its old layout; the next send to it fails at the writer.
                try? reload(t, producer)
            }
        }
    }
}
