public import SluiceLog

/// A producer's batching front end for one thread: the cheap path from a hot loop (a stream
/// thread's operators) to durable record batches. Records are sent without a per-record handle;
/// `flush()` makes everything this session sent durable and reports the first failure.
///
/// On the embedded log a session holds an open batch per (topic, partition) and takes no lock,
/// atomic or wake-up per record: a full batch is handed to the producer's compressor and writer
/// threads with one lock acquisition, and `flush()` waits for this session's batches only.
/// Partitioning is the producer's (murmur2 of the key, sticky for records without one), and a
/// session's records to one partition are written in send order.
///
/// Durability: when `flush()` returns without throwing, every record sent through this session
/// before it is acknowledged under its topic's durability mode (fsynced in `strict`). Records
/// wait in the session until a batch fills or `flush()` — there is no linger timer — so flush
/// at the end of each unit of work (before committing the offsets that produced them).
/// Backpressure: sending blocks while the producer's `buffer.memory` is full.
///
/// Thread-confinement: not `Sendable`. One thread at a time uses a session (hand it over only
/// with a happens-before edge, such as joining the thread that used it). Make one per thread;
/// sessions of one producer run independently. Flush before closing the producer.
public final class ProducerSession {
    private let backend: any ProducerSessionBackend
    /// The backend when it is the embedded log's session, called directly (no witness table).
    private let logSession: LogProducerSession?
    /// `logSession` without reference counting, for the per-record `send`s: `backend` holds the
    /// session for as long as this one lives, and a strong reference is retained and released
    /// around every call made through it.
    private let logSessionPerRecord: Unmanaged<LogProducerSession>?

    init(backend: any ProducerSessionBackend) {
        self.backend = backend
        logSession = backend as? LogProducerSession
        logSessionPerRecord = logSession.map { Unmanaged.passUnretained($0) }
    }

    /// Queues a record: allocation-free, returns at once unless `buffer.memory` is full.
    /// - Throws: for a missing topic or partition or a record too large for any batch; write
    ///   failures surface from `flush()`.
    public func send(
        topic: String, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        if let logSessionPerRecord {
            return try logSessionPerRecord._withUnsafeGuaranteedRef {
                try $0.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
            }
        }
        try backend.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
    }

    /// `send` for byte arrays.
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        try withOptionalBytes(key) { key in
            try withOptionalBytes(value) { value in
                try backend.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
            }
        }
    }

    /// Waits until every record this session sent is durably acknowledged; does not wait for
    /// other sessions' or `Producer.send`'s records.
    /// - Throws: the first write failure among this session's records since the previous flush.
    public func flush() throws {
        if let logSession { return try logSession.flush() }
        try backend.flush()
    }

    /// A point in this session's records: everything sent before `beginFlush()` made it.
    public struct FlushPoint: Sendable {
        /// The embedded log's point; nil where `beginFlush()` flushed in full (other backends).
        let log: LogProducerSession.FlushPoint?
    }

    /// Starts making every record sent so far durable and returns at once (on the embedded
    /// log; other backends flush in full here): the caller goes on working while the records
    /// are written and synced, and checks `isDurable(_:)` or `waitUntilDurable(_:)` before it
    /// relies on them — before committing the offsets that produced them, say.
    /// - Throws: when the records cannot be handed over (the producer is closed).
    public func beginFlush() throws -> FlushPoint {
        if let logSession { return FlushPoint(log: try logSession.beginFlush()) }
        try backend.flush()
        return FlushPoint(log: nil)
    }

    /// Whether every record sent before `point` is durably acknowledged, without waiting.
    /// - Throws: a write failure among this session's records not reported before.
    public func isDurable(_ point: FlushPoint) throws -> Bool {
        guard let logSession, let log = point.log else { return true }
        return try logSession.isDurable(log)
    }

    /// Waits until every record sent before `point` is durably acknowledged.
    /// - Throws: as `isDurable(_:)`.
    public func waitUntilDurable(_ point: FlushPoint) throws {
        guard let logSession, let log = point.log else { return }
        try logSession.waitUntilDurable(log)
    }
}

extension Producer {
    /// A batching front end for the calling thread (see `ProducerSession`). Flush it before
    /// `close()`: records still open in a session are not part of the producer's `flush()`.
    public func makeSession() throws -> ProducerSession { ProducerSession(backend: try backend.makeSession()) }
}
