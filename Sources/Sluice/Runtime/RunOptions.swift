import Foundation

/// How `Pipeline.run` runs: where the log is, whether to start over, when to stop.
public struct RunOptions: Sendable {
    /// The embedded log's data directory (`$SLUICE_DATA_DIR`, else `./sluice-data`).
    public var dataDirectory = ProcessInfo.processInfo.environment["SLUICE_DATA_DIR"] ?? "./sluice-data"
    /// Start every branch over: forget its committed offsets and its state (the changelog and
    /// repartition topics), so it replays its sources from the beginning.
    public var reset = false
    /// Start just these branches (by group) over, as `reset` does for all.
    public var resetBranches: Set<String> = []
    /// Run only these branches (by group); nil runs every branch. The others are not started
    /// (their groups keep their offsets), so a branch can be stopped, replayed alone (with
    /// `reset`, which then applies to the running branches only) or run in another process.
    public var branches: Set<String>?
    /// Stop once every branch has caught up with its source (else run until SIGINT/SIGTERM).
    public var untilIdle = false
    /// Print a progress line (records/s, lag per branch) to standard error.
    public var progress = isatty(2) != 0
    /// Where offsets of groups without commits start (Kafka Streams' default: earliest).
    public var autoOffsetReset: AutoOffsetResetPolicy = .earliest

    /// Stream threads per group of branches (Kafka Streams' `num.stream.threads`): each is a
    /// member of every branch's consumer group, so a branch's partitions are spread over them.
    /// Default: one per core.
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Records one poll hands a branch at most (`max.poll.records`): the batch size, after
    /// which its outputs are flushed and its offsets committed. Larger than Kafka's default
    /// (500): each batch costs a flush (an fsync per output partition) and a commit, and on the
    /// order-events benchmark 10,000 ran 5–12 % faster than 5,000. A crash repeats at most the
    /// three newest batches of each branch on each stream thread: the one in hand, the one whose
    /// outputs are being synced, and the one whose commit is landing.
    public var maxPollRecords = 10_000
    /// Records of a partition one branch processes before the next branch on its stream
    /// thread takes the same records (the branches of a thread decode each record once and
    /// share it). Long enough that each branch's code stays in the instruction cache for the
    /// run (handing each record to every branch in turn ran all their code per record: 6 %
    /// slower on the order-events benchmark), short enough that the run's decoded records stay
    /// in the data cache. Within a batch, a thread's branches are at most a run apart: a crash
    /// of one finds the others up to this many records ahead of it.
    public var branchRunLength = 128
    /// How often each stream thread deletes the records of its repartition topics that their
    /// branch has committed (Kafka Streams' `repartition.purge.interval.ms`): those topics keep
    /// no history, so they stay about one commit interval long instead of growing forever.
    /// 0 purges after every step; nil never purges.
    public var repartitionPurgeIntervalMs: Int? = 30_000

    public enum AutoOffsetResetPolicy: Sendable { case earliest, latest }

    public init() {}
}

/// What a run did, per branch.
public struct RunSummary: Sendable, CustomStringConvertible {
    public struct BranchCounts: Sendable {
        public var group: String
        public var consumed: Int
        public var produced: Int
        public var skipped: Int
        public var deadLettered: Int
        /// Records dropped (or routed to a late-records topic) because their windows had closed.
        public var late: Int
    }

    public var branches: [BranchCounts]
    /// Wall time from the start of the run until it stopped processing: with `untilIdle`, until
    /// every branch had caught up (to within 20 ms), leaving out the shutdown after it.
    public var seconds: Double

    public var description: String {
        var lines = [String(format: "ran %.2f s", seconds)]
        for b in branches {
            lines.append(
                "  \(b.group): \(b.consumed) consumed, \(b.produced) produced, \(b.skipped) skipped, \(b.deadLettered) dead-lettered"
                    + (b.late > 0 ? ", \(b.late) late" : ""))
        }
        return lines.joined(separator: "\n")
    }
}
