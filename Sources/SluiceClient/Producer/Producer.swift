public import SluiceLog
import Synchronization

/// Sends records to topics. Records are batched per partition (`linger.ms`, `batch.size`),
/// compressed with the topic's codec and written with one fsync per batch group.
///
/// Guarantees: a record's `SendHandle` completes with its partition and offset only once the
/// record is durably acknowledged (fsynced under the topic's default `strict` durability), or
/// with the error that kept it out of the log; `flush()` returns once every record sent before
/// it is acknowledged. Records with the same key go to the same partition (murmur2, as Kafka's
/// Java client), in send order.
///
/// Thread-safety: any threads. A thread that sends many records (a stream thread) should send
/// through its own `makeSession()` instead: no lock or atomic per record, and a flush that waits
/// only for that thread's records. `flush()` and `close()` here do not cover records still
/// open in a session.
public final class Producer: Sendable {
    let backend: any ProducerBackend

    public init(backend: any Backend, configuration: ProducerConfiguration = ProducerConfiguration()) throws {
        self.backend = try backend.makeProducer(configuration)
    }

    /// Queues a record and returns at once (unless `buffer.memory` is full).
    /// - Returns: a handle that completes when the record is durable.
    @discardableResult
    public func send(
        topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws -> SendHandle {
        let handle = SendHandle()
        try withOptionalBytes(key) { key in
            try withOptionalBytes(value) { value in
                try backend.send(
                    topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp,
                    completion: handle.complete)
            }
        }
        return handle
    }

    /// Queues a record without a handle: the allocation-free path for bulk sends. Errors
    /// surface from `flush()`.
    public func send(
        topic: String, partition: Int32? = nil, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) throws {
        try backend.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp, completion: nil)
    }

    /// Waits until every record sent so far is acknowledged.
    /// - Throws: the first write failure since the previous flush.
    public func flush() throws { try backend.flush() }

    /// Flushes, then releases the producer's threads.
    public func close() throws { try backend.close() }
}

/// The outcome of one `send`: completes once, with where the record landed or why it did not.
public final class SendHandle: Sendable {
    private let state = Mutex<State>(State())

    private struct State {
        var result: Result<RecordMetadata, any Error>?
        var waiters: [CheckedContinuation<RecordMetadata, any Error>] = []
        var callbacks: [@Sendable (Result<RecordMetadata, any Error>) -> Void] = []
    }

    init() {}

    var complete: @Sendable (Result<RecordMetadata, any Error>) -> Void {
        { [self] result in
            let (waiters, callbacks) = state.withLock { s in
                s.result = result
                defer {
                    s.waiters = []
                    s.callbacks = []
                }
                return (s.waiters, s.callbacks)
            }
            for waiter in waiters { waiter.resume(with: result) }
            for callback in callbacks { callback(result) }
        }
    }

    /// The result if the record is already acknowledged or failed.
    public var result: Result<RecordMetadata, any Error>? { state.withLock { $0.result } }

    /// Waits for the acknowledgement.
    public var metadata: RecordMetadata {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let done = state.withLock { s -> Result<RecordMetadata, any Error>? in
                    if s.result == nil { s.waiters.append(continuation) }
                    return s.result
                }
                if let done { continuation.resume(with: done) }
            }
        }
    }

    /// Calls `body` when the record is acknowledged or failed (at once if it already is), on
    /// the producer's writer thread: keep it short.
    public func onCompletion(_ body: @escaping @Sendable (Result<RecordMetadata, any Error>) -> Void) {
        let done = state.withLock { s -> Result<RecordMetadata, any Error>? in
            if s.result == nil { s.callbacks.append(body) }
            return s.result
        }
        if let done { body(done) }
    }
}

func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}
