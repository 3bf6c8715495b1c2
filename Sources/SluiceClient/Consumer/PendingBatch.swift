import SluiceGroups

/// A poll's records whose processing ends after the handler returned
/// (`Consumer.runOnce(pollTimeoutMs:completingLater:)`): what `Consumer.complete(_:)` marks
/// processed once that work is done and durable. Until then none of it is committed.
public struct PendingBatch: Sendable {
    /// The next offset to read per partition, past the batch.
    public let offsets: [TopicPartition: Int64]
    /// Records in the batch.
    public let count: Int
}
