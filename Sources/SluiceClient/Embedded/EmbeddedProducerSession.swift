import SluiceLog

/// On the embedded log a producer session is the log producer's own (`LogProducerSession`):
/// batches per partition held by the session's thread, sealed into the producer's compressor
/// and writer queue with one lock acquisition, and a `flush()` that waits for exactly the
/// session's batches. Its `send` and `flush` already have the protocol's shape.
extension LogProducerSession: ProducerSessionBackend {}
