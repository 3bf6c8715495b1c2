/// A producer's settings, named after Kafka's producer configs.
public struct ProducerConfiguration: Sendable {
    /// `linger.ms`: how long a batch waits for more records before it is written.
    public var lingerMs = 5
    /// `batch.size` in bytes (uncompressed).
    public var batchSize = 1 << 20
    /// `buffer.memory`: sends block while this much is waiting to be written.
    public var bufferMemory = 32 << 20

    public init() {}
}
