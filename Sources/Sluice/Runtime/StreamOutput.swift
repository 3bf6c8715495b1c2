import SluiceClient

/// The producer session of one stream thread: every branch member on the thread, and every
/// task of those members, sends through it (`TaskContext.send`, dead letters), and each member
/// flushes it before its consumer commits. A flush waits for what this thread sent — every
/// member's outputs so far, a superset of the committing member's — never for other threads'.
///
/// Thread-confinement: used only by the thread that steps its `StreamThread` (the thread's own
/// in production, the caller of `PipelineInstance.step` in tests); the instance flushes it once
/// that thread is joined or stopped stepping. `@unchecked Sendable` only so that the `Sendable`
/// runtime types can hold it.
final class StreamOutput: @unchecked Sendable {  // confined to one thread at a time, see above
    let session: ProducerSession

    init(producer: Producer) throws { session = try producer.makeSession() }

    /// Makes every record this thread sent durable.
    /// - Throws: the first write failure among them since the last flush.
    func flush() throws { try session.flush() }
}
