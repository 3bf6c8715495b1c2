public import SluiceGroups

/// The application's hooks into rebalances (Kafka's `ConsumerRebalanceListener`). They run on
/// the polling thread, inside `poll`, between batches.
///
/// Before `onRevoked` returns, the consumer has not yet committed: finish or hand off in-flight
/// work there, mark it processed, and the commit-on-revoke that follows includes it.
public struct RebalanceListener: Sendable {
    public var onRevoked: @Sendable ([TopicPartition]) throws -> Void
    public var onAssigned: @Sendable ([TopicPartition]) throws -> Void
    /// Partitions taken away without a chance to commit (the member timed out or was fenced):
    /// whatever was not committed will be read again by the new owner.
    public var onLost: @Sendable ([TopicPartition]) throws -> Void

    public init(
        onRevoked: @escaping @Sendable ([TopicPartition]) throws -> Void = { _ in },
        onAssigned: @escaping @Sendable ([TopicPartition]) throws -> Void = { _ in },
        onLost: @escaping @Sendable ([TopicPartition]) throws -> Void = { _ in }
    ) {
        self.onRevoked = onRevoked
        self.onAssigned = onAssigned
        self.onLost = onLost
    }
}
