@_spi(Testing) public import Sluice
import Foundation

/// Runs a pipeline for a unit test, deterministically, on the caller's thread.
///
/// ```swift
/// let driver = try PipelineTestDriver(pipeline, partitions: 3)
/// try driver.pipe(orders, key: "o1", value: event, timestamp: 1_000, partition: 2)
/// try driver.process()
/// let payments = try driver.records(Topic<String, Payment>("payments"))
/// ```
///
/// **Same semantics as production.** The driver runs the real `PipelineInstance` on a real
/// embedded log in a data directory: real consumer groups (one per branch) with committed
/// offsets, real state stores restored from their compacted changelogs, real repartition topics,
/// the branches' AckModes and error policies. It only replaces the threads: `process()` steps
/// every instance (`step(pollTimeoutMs: 0)`) round-robin on the calling thread.
///
/// **Multi-partition.** Topics have as many partitions as the test says; records go to the
/// partition the test names, or by key as Kafka's producer would (murmur2), and several
/// instances (`addInstance`) share the partitions through the group protocol.
///
/// **Deterministic.** The same calls give the same records, offsets, commits and state, with no
/// dependence on timing, except where the runtime itself decides by chance or by the clock:
/// - records the pipeline writes *without a key* land on a random partition (Kafka's sticky
///   partitioner, which Sluice's producer follows);
/// - with several instances, which instance owns which partitions is random: the instances'
///   members have equal client ids, so the range assignor orders them by their member ids,
///   which the coordinator draws at random. What each partition holds does not depend on it;
/// - the runtime's producer cuts a step's writes into stored batches on a 5 ms linger timer,
///   and a poll never splits a stored batch. So with a bounded `Options.maxPollRecords`, where
///   the batches of a stage reading a repartition topic end (and with them its commit points
///   and how many coalesced updates its stores forward) varies from run to run; the records,
///   their order and every final value do not. Unbounded polls (the default) take all there
///   is and keep even that deterministic, up to 1 MB per partition per poll.
/// The driver's own input is exact: piped records are stored in one batch per partition per
/// flush, and records without a key go round-robin.
///
/// **Time.** The wall clock is the driver's (`wallClockTime`, ms), moved by
/// `advanceWallClock(by:)`: it times AckMode `time`/`countTime` commits and stamps piped
/// records given no timestamp. Event time is the records' timestamps, per task, as in
/// production: pipe a later record into a partition to move its stream time (and close its
/// windows), or move every task's stream time with `advanceStreamTime(to:)`. Group membership runs on a clock of its own that the driver moves only to let
/// rebalances finish, so members never time out: no session or poll-interval expiry, ever.
///
/// **Rebalances.** A starting group forms its first generation with every member the driver
/// started (a 3 s initial rebalance delay, Kafka's broker default, run on the membership
/// clock). When `addInstance` or `removeInstance` changes a live group, the members learn of it
/// from a heartbeat: the driver moves the membership clock by a heartbeat interval and sends
/// the heartbeats that made due itself, on its own thread, with every owned partition paused
/// until the groups are stable again, so no wall-clock wait is involved.
///
/// **Crashes.** `crashAndRestart` stops one branch dead in the middle of a batch and then
/// kills every instance, the way `kill -9` kills the process that runs them: outputs produced
/// before the crash point are written, nothing more is committed, no member
/// leaves its group, and the in-process group coordinator goes with them. The driver then
/// opens the directory again and starts as many instances: stores restore from their
/// changelogs, groups resume from their committed offsets, and the records after those offsets
/// are processed again (at-least-once). The log itself is closed cleanly: it survives a
/// process crash by its own guarantees, tested elsewhere. One deviation remains in the
/// runtime: the crash leaves the branch through the consumer's failure path, which commits
/// what was processed before the failed batch, so a branch with AckMode `time`, `count` or
/// `countTime` commits at the crash what a real `kill -9` would have left uncommitted (and
/// replays fewer records after it).
///
/// Not thread-safe: use a driver from one thread at a time.
public final class PipelineTestDriver {
    public let pipeline: Pipeline
    public let options: Options
    /// The data directory of the embedded log.
    public let directory: String
    private let ownsDirectory: Bool
    let wallClock: ManualClock
    let groupClock: GroupClock
    /// The open log and backend; nil once closed.
    var node: Node?
    /// Live instances, in the order they are stepped.
    var instances: [PipelineInstance] = []
    /// Whether the instances were created (they start at the first call that needs them).
    var started = false
    /// Counts of instances that were closed, removed or crashed, for `summary()`.
    var retired: [RunSummary] = []
    /// Records piped since the input was last flushed.
    var inputPending = false
    /// The next partition for keyless records, per topic (round-robin).
    var nextKeylessPartition: [String: Int32] = [:]
    /// Instances made so far; names them `i0`, `i1`, … so that client ids, and with them the
    /// order of members in every group, are the same on every run.
    var instancesMade = 0

    /// A driver on a fresh temporary directory that it deletes when it goes.
    /// - Parameters:
    ///   - partitions: partitions of the source topics the driver creates (on the first `pipe`
    ///     to a topic, or at start for topics nothing was piped to).
    ///   - instances: pipeline instances to start with.
    public convenience init(_ pipeline: Pipeline, partitions: Int = 1, instances: Int = 1) throws {
        var options = Options()
        options.partitions = partitions
        options.instances = instances
        try self.init(pipeline, options: options)
    }

    public init(_ pipeline: Pipeline, options: Options) throws {
        try pipeline.validate()
        guard options.partitions > 0 else { throw PipelineTestDriverError.invalidArgument("partitions must be at least 1, not \(options.partitions)") }
        guard options.instances >= 0 else { throw PipelineTestDriverError.invalidArgument("instances must not be negative") }
        guard options.threads > 0 else { throw PipelineTestDriverError.invalidArgument("threads must be at least 1, not \(options.threads)") }
        self.pipeline = pipeline
        self.options = options
        if let directory = options.directory {
            self.directory = directory
            ownsDirectory = false
        } else {
            directory = NSTemporaryDirectory() + "/sluice-testing-\(UUID().uuidString)"
            ownsDirectory = true
        }
        wallClock = ManualClock(start: options.startTime)
        groupClock = GroupClock(start: options.startTime)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            node = try Node(directory: directory, wallClock: wallClock, groupClock: groupClock)
        } catch {
            if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
            throw error
        }
    }

    deinit {
        try? close()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The wall clock, in milliseconds since the epoch.
    public var wallClockTime: Int64 { wallClock.now }

    /// Moves the wall clock forward. Commits of AckMode `time` and `countTime` that this makes
    /// due happen at the next poll (`process()`), as in a running pipeline.
    public func advanceWallClock(by duration: Duration) {
        wallClock.advance(by: max(0, duration.wholeMilliseconds))
    }

    /// Instances running now.
    public var instanceCount: Int { started ? instances.count : options.instances }

    /// Per-branch counts over every instance the driver has run, including instances since
    /// removed or crashed: work redone after a crash is counted again.
    public func summary() -> RunSummary {
        RunSummary.combining(retired + instances.map { $0.summary() })
    }

    /// Stops every instance gracefully (each flushes, commits and leaves its groups) and closes
    /// the log. Later calls throw `PipelineTestDriverError.closed`; the directory stays until
    /// the driver goes (if the driver created it).
    public func close() throws {
        guard let node else { return }
        self.node = nil
        var failure: (any Error)?
        for instance in instances {
            do { try instance.close() } catch { failure = failure ?? error }
            retired.append(instance.summary())
        }
        instances = []
        do { try node.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    // MARK: Shared by the extensions

    /// The open node, or `closed`.
    func openNode() throws -> Node {
        guard let node else { throw PipelineTestDriverError.closed }
        return node
    }

    /// Creates the instances on first use: source topics nothing was piped to get
    /// `options.partitions` partitions, then each instance creates what it writes and joins
    /// its groups (the first `process()` forms them).
    func start() throws {
        let node = try openNode()
        guard !started else { return }
        for topic in pipeline.inputTopics where node.partitionCount(of: topic) == nil {
            _ = try node.log.createTopic(topic, partitions: options.partitions)
        }
        instances = try (0..<options.instances).map { _ in try makeInstance(on: node) }
        started = true
    }

    func makeInstance(on node: Node) throws -> PipelineInstance {
        var run = RunOptions()
        run.dataDirectory = directory
        run.progress = false
        run.threads = options.threads
        run.maxPollRecords = options.maxPollRecords
        run.autoOffsetReset = options.autoOffsetReset
        run.repartitionPurgeIntervalMs = options.purgesRepartitionTopics ? 0 : nil
        let instance = try PipelineInstance(
            pipeline: pipeline, backend: node.backend, options: run, clock: wallClock.read, name: "i\(instancesMade)")
        instancesMade += 1
        try instance.subscribe()
        return instance
    }

    /// Makes every piped record durable, so the next poll sees it.
    func flushInput() throws {
        guard inputPending else { return }
        try openNode().input.flush()
        inputPending = false
    }

    var groups: [String] { pipeline.branches.map(\.group) }

    func checkBranch(_ group: String) throws {
        guard groups.contains(group) else { throw PipelineTestDriverError.unknownBranch(group, known: groups) }
    }

    func checkInstance(_ index: Int) throws {
        guard instances.indices.contains(index) else { throw PipelineTestDriverError.noSuchInstance(index, count: instances.count) }
    }
}
