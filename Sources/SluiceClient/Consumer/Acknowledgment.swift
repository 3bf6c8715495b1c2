import SluiceGroups

/// Handed to the handler in the manual AckModes (Spring Kafka's `Acknowledgment`): calling
/// `acknowledge()` marks the record (or, for a batch handler, the whole batch) processed.
/// In `manualImmediate` it also commits at once; in `manual` the commit follows the batch.
public struct Acknowledgment: Sendable {
    let consumer: Consumer
    let offsets: [TopicPartition: Int64]

    public func acknowledge() throws {
        consumer.markProcessed(offsets)
        if consumer.configuration.ackMode == .manualImmediate { try consumer.commit() }
    }
}
