/// Where a group member starts reading a partition that has no committed offset (or whose
/// committed offset is no longer in the log): Kafka's `auto.offset.reset`.
public enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
    /// The oldest record still in the log.
    case earliest
    /// The end of the log: only records produced from now on (Kafka's default). A new group
    /// with `latest` misses everything produced before it first joined.
    case latest
    /// Refuse: `poll` throws `ConsumerError.noOffset` (Kafka's NoOffsetForPartitionException).
    case none
}

/// A consumer's settings, named after Kafka's consumer configs.
public struct ConsumerConfiguration: Sendable {
    /// `group.id`: required for `subscribe` and for commits tied to a group.
    public var groupId: String?
    /// `group.instance.id`: a static member (KIP-345) keeps its partitions across a restart
    /// within the session timeout, without a rebalance.
    public var groupInstanceId: String?
    /// `client.id`, shown by `groups describe`.
    public var clientId: String = "sluice"
    /// `auto.offset.reset`; Kafka's default is `latest`.
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `enable.auto.commit`: commit the positions `poll` handed out every
    /// `autoCommitIntervalMs`, whether or not they were processed (Kafka's semantics: a crash
    /// mid-processing can skip records). Off by default, as in Spring Kafka: `ackMode` decides.
    public var enableAutoCommit = false
    /// `auto.commit.interval.ms`.
    public var autoCommitIntervalMs = 5_000
    /// When offsets are committed by `run` and the async sequences (Spring Kafka's AckMode).
    public var ackMode: AckMode = .batch
    /// Whether the AckMode's commits wait until the commit is durable (Spring Kafka's
    /// `syncCommits`, default true). When false, each AckMode commit is handed to a background
    /// queue and processing goes on; the commits still land in the order they were made, and
    /// every other commit (`commit()`, commit-on-revoke, `close()`) waits for those before
    /// it. What a crash can then repeat grows by the commit in flight, never more: an offset is
    /// committed only for records already processed, so nothing is skipped. A failed
    /// background commit is rethrown by the next call that commits.
    public var syncCommits = true
    /// `session.timeout.ms` (Kafka's default since 3.0: 45 s).
    public var sessionTimeoutMs: Int32 = 45_000
    /// `heartbeat.interval.ms`.
    public var heartbeatIntervalMs = 3_000
    /// `max.poll.interval.ms`: a member that does not poll for this long leaves the group (its
    /// partitions go to others; its later commits are rejected).
    public var maxPollIntervalMs: Int32 = 300_000
    /// `max.poll.records`: a poll stops adding batches once it holds this many records (stored
    /// batches are never split, so one poll may hold more).
    public var maxPollRecords = 500
    /// `fetch.max.bytes` and `max.partition.fetch.bytes`.
    public var fetchMaxBytes = 52_428_800
    public var maxPartitionFetchBytes = 1_048_576
    /// `partition.assignment.strategy`, in order of preference. Cooperative-sticky first: members
    /// keep their partitions through a rebalance and only moved partitions pause.
    public var partitionAssignmentStrategy: [String] = ["cooperative-sticky", "range"]

    public init(groupId: String? = nil) {
        self.groupId = groupId
    }
}
