public import Sluice

extension PipelineTestDriver {
    /// How a driver sets up the log and the instances. The defaults suit most tests.
    public struct Options: Sendable {
        /// Partitions of the source topics the driver creates.
        public var partitions = 1
        /// Pipeline instances at start, all on one log and one group coordinator.
        public var instances = 1
        /// Stream threads per instance (`RunOptions.threads`): each is a member of every
        /// branch's group, so two threads share a branch's partitions as two instances would.
        public var threads = 1
        /// Records one poll hands a member at most (`RunOptions.maxPollRecords`): the batch
        /// size, and so how far apart commits and changelog writes are. Unbounded by default, so
        /// that every poll takes all there is (up to 1 MB per partition): see "Deterministic"
        /// in `PipelineTestDriver` for why a bound makes batches of repartition topics depend
        /// on timing.
        public var maxPollRecords = Int.max
        /// Whether the instances purge their repartition topics after every step, as a running
        /// pipeline does every `RunOptions.repartitionPurgeIntervalMs`: records their branch
        /// committed past are deleted. Off by default, so that a test can read everything a
        /// branch repartitioned (`records(_:)`); on, a test sees what the purge leaves.
        public var purgesRepartitionTopics = false
        /// Where groups without committed offsets start.
        public var autoOffsetReset: RunOptions.AutoOffsetResetPolicy = .earliest
        /// The wall clock at start, ms since the epoch.
        public var startTime: Int64 = 0
        /// An existing or new data directory, kept afterwards; nil for a temporary one that the
        /// driver deletes when it goes.
        public var directory: String?
        /// Rounds (every instance stepped once) `process()` may take before it gives up.
        public var maxRounds = 10_000
        /// How long, in real time, the groups may take to settle after a membership change
        /// (waiting for the backend's heartbeat thread) before `process()` gives up.
        public var rebalanceTimeout: Duration = .seconds(10)

        public init() {}
    }
}
