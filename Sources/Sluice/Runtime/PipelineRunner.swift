import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import Synchronization

extension Pipeline {
    /// Runs every branch on the embedded log until SIGINT/SIGTERM (or, with
    /// `options.untilIdle`, until all have caught up), then stops them gracefully: each
    /// finishes the batch in hand, flushes its outputs, commits and leaves its group.
    @discardableResult
    public func run(_ options: RunOptions = RunOptions()) throws -> RunSummary {
        try validate()
        // Kafka's `group.initial.rebalance.delay.ms`, short: the instance's stream threads join
        // each group within a few milliseconds of each other, and waiting for all of them
        // spares the first one a rebalance after it took every partition. Every branch's group
        // gets one member per stream thread, so once that many are in, the first generation
        // forms at once; the delay (extended by each join, as in Kafka, so about 40 ms with the
        // fine timer) only covers a thread that is late.
        var coordinator = GroupCoordinator.Configuration()
        coordinator.initialRebalanceDelayMs = 20
        coordinator.initialRebalanceMembers = max(1, options.threads)
        coordinator.timerIntervalMs = 10
        let backend = try EmbeddedBackend(directory: options.dataDirectory, coordinator: coordinator)
        defer { try? backend.close() }
        let instance = try PipelineInstance(pipeline: self, backend: backend, options: options)
        return try PipelineRunner(instance: instance).run()
    }
}

/// Stop requests from SIGINT/SIGTERM, shared by every running pipeline in the process.
enum ShutdownSignal {
    static let requested = Atomic<Bool>(false)

    static func install() {
        signal(SIGINT) { _ in ShutdownSignal.requested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in ShutdownSignal.requested.store(true, ordering: .relaxed) }
        var stop = sigset_t()
        sigemptyset(&stop)
        sigaddset(&stop, SIGINT)
        sigaddset(&stop, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stop, nil)
    }
}

/// Runs an instance's branches each on a thread of its own, plus the control loop: progress,
/// idle detection (`untilIdle`), SIGINT/SIGTERM, and the graceful stop (every branch finishes
/// the batch in hand, flushes, commits and leaves its group).
final class PipelineRunner: Sendable {
    let instance: PipelineInstance
    let stop = Atomic<Bool>(false)

    init(instance: PipelineInstance) { self.instance = instance }

    func run() throws -> RunSummary {
        let (pipeline, options, threads) = (instance.pipeline, instance.options, instance.threads)
        ShutdownSignal.install()
        let started = Date()
        for thread in threads { thread.start { [self] in stop.load(ordering: .relaxed) } }

        // `untilIdle` checks often, so that a run ends (and is timed) close to when the last
        // branch caught up: `idleSince` is the first of the checks that found it caught up.
        var idleSince: Date?
        var idleChecks = 0
        var lastConsumed = 0
        var lastTime = Date()
        while true {
            Thread.sleep(forTimeInterval: options.untilIdle ? 0.005 : 0.2)
            if ShutdownSignal.requested.load(ordering: .relaxed) { break }
            // A failure that is not one branch's (outputs could not be written) stops the
            // run; a stopped branch stops only itself, unless none is left.
            if threads.contains(where: { $0.error != nil }) { break }
            if instance.metrics.allSatisfy({ $0.metrics.stopped.load(ordering: .acquiring) }) { break }
            if options.untilIdle {
                if instance.isCaughtUp() {
                    idleSince = idleSince ?? Date()
                    idleChecks += 1
                } else {
                    (idleSince, idleChecks) = (nil, 0)
                }
                if idleChecks >= 2 { break }
            }
            if options.progress, Date().timeIntervalSince(lastTime) >= 0.2 {
                let consumed = instance.metrics.reduce(0) { $0 + $1.metrics.consumed.load(ordering: .relaxed) }
                let now = Date()
                let rate = Double(consumed - lastConsumed) / now.timeIntervalSince(lastTime)
                (lastConsumed, lastTime) = (consumed, now)
                let lags = instance.pipeline.branches.map { branch in
                    instance.hasStopped(branch.group) ? "\(branch.group) stopped" : "\(branch.group) lag \(instance.lag(of: branch.group))"
                }.joined(separator: ", ")
                FileHandle.standardError.write(Data("\r\(pipeline.name): \(consumed) records, \(Int(rate))/s; \(lags)   ".utf8))
            }
        }
        if options.progress { FileHandle.standardError.write(Data("\n".utf8)) }
        stop.store(true, ordering: .relaxed)
        for thread in threads { thread.wakeup() }
        for thread in threads { thread.join() }
        try instance.flushOutputs()
        try instance.producer.close()
        if let error = threads.lazy.compactMap(\.error).first {
            if error is PipelineError { throw error }
            throw PipelineError.invalid("\(error)")
        }
        if let (group, error) = instance.firstBranchFailure { throw PipelineError.branchFailed(group, error) }
        return instance.summary(seconds: (idleSince ?? Date()).timeIntervalSince(started))
    }
}

/// One instance of a pipeline on a backend: its topics checked and created, a consumer per
/// branch (each in the branch's group), one producer shared by all. Several instances on one
/// backend share the branches' partitions, as several processes would.
///
/// The production runtime (`Pipeline.run`) drives an instance with a thread per branch; a
/// deterministic test driver drives it with `step`.
@_spi(Testing)
public final class PipelineInstance: Sendable {
    public let pipeline: Pipeline
    let backend: EmbeddedBackend
    let options: RunOptions
    let producer: Producer
    /// Each stream thread's producer session, in `threads` order.
    let outputs: [StreamOutput]
    /// Per branch, shared by its members on every thread.
    let metrics: [(group: String, metrics: BranchMetrics)]
    let threads: [StreamThread]
    /// Every branch member on every thread.
    var members: [BranchTask] { threads.flatMap(\.members) }

    /// Resets the branches `options` asks to replay, creates the pipeline's topics, then the
    /// stream threads: `options.threads` shared by the branches without side
    /// effects, and as many again for each branch with a `forEach`. `clock` (ms) times the
    /// AckModes' commit intervals. `name` prefixes the instance's client ids (default: random),
    /// which order its members in every group alike: the range assignor then gives each thread
    /// the same partitions in every branch, and one instance's threads stay together.
    public init(
        pipeline: Pipeline, backend: EmbeddedBackend, options: RunOptions, clock: (@Sendable () -> Int64)? = nil, name: String? = nil
    ) throws {
        try pipeline.validate()
        let whole = pipeline
        let pipeline = try pipeline.selecting(options.branches)
        let notRunning = options.resetBranches.subtracting(pipeline.branches.map(\.group))
        guard notRunning.isEmpty else {
            throw PipelineError.invalid(
                "cannot reset \(notRunning.sorted().joined(separator: ", ")) of pipeline \(whole.name): "
                    + (whole.branches.contains { notRunning.contains($0.group) } ? "not among the branches that run" : "no such branch"))
        }
        try Self.reset(pipeline.branches.filter { options.reset || options.resetBranches.contains($0.group) }, of: pipeline, backend)
        // Topics are made for the whole pipeline, so running part of it first gives every
        // topic the partition count a full run would.
        try Self.createTopics(whole, backend)
        self.pipeline = pipeline
        self.backend = backend
        self.options = options
        let producer = try Producer(backend: backend)
        self.producer = producer
        let metrics = pipeline.branches.map { (group: $0.group, metrics: BranchMetrics()) }
        self.metrics = metrics
        let shared = pipeline.branches.indices.filter { !pipeline.branches[$0].sink.plan.hasSideEffects }
        let dedicated = pipeline.branches.indices.filter { pipeline.branches[$0].sink.plan.hasSideEffects }
        let instance = name ?? String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let groups = (shared.isEmpty ? [] : [(name: "\(pipeline.name)-\(instance)", branches: shared)])
            + dedicated.map { (name: "\(pipeline.name)-\(instance)-\(pipeline.branches[$0].group)", branches: [$0]) }
        var threads: [StreamThread] = []
        var outputs: [StreamOutput] = []
        for group in groups {
            for t in 0..<max(1, options.threads) {
                // Members of a thread share decoding while within two polls of each other.
                let readers = group.branches.flatMap { pipeline.branches[$0].externalInputs }
                let sharedTopics = Set(readers.filter { topic in readers.count { $0 == topic } > 1 })
                let cache = DecodedRecordCache(sharedCapacity: 2 * min(options.maxPollRecords, 8_192), sharedTopics: sharedTopics)
                let output = try StreamOutput(producer: producer)
                outputs.append(output)
                let wakeups = DataSignal()
                let members = try group.branches.map { index in
                    try BranchTask(
                        branch: pipeline.branches[index], pipelineName: pipeline.name, thread: t, clientPrefix: group.name, backend: backend,
                        options: options, output: output, metrics: metrics[index].metrics, decodedRecords: cache, wakeups: wakeups, clock: clock)
                }
                threads.append(
                    try StreamThread(
                        name: "\(group.name)-t\(t)", members: members, wakeups: wakeups, output: output, sharedTopics: sharedTopics,
                        sharingDistance: cache.sharedCapacity, runLength: min(options.branchRunLength, cache.sharedCapacity),
                        repartitionPurgeIntervalMs: options.repartitionPurgeIntervalMs))
            }
        }
        self.threads = threads
        self.outputs = outputs
    }

    /// Joins every branch's group (the first `step`s complete the joins).
    public func subscribe() throws {
        for thread in threads { try thread.subscribe() }
    }

    /// One step of every stream thread, in order, on the caller's thread: a poll of each
    /// member, processed and committed per AckMode.
    ///
    /// With `overlapping`, each thread steps as the production loop does: it does not wait
    /// for this step's outputs to become durable, and commits what earlier steps made durable
    /// (`StreamThread.step(pollTimeoutMs:overlapping:)`). Without it, a step ends with all it
    /// processed durable and committed, which is what deterministic tests want.
    /// - Returns: records consumed, per branch group.
    @discardableResult
    public func step(pollTimeoutMs: Int = 0, overlapping: Bool = false) throws -> [String: Int] {
        var consumed: [String: Int] = [:]
        for thread in threads {
            consumed.merge(try thread.step(pollTimeoutMs: pollTimeoutMs, overlapping: overlapping), uniquingKeysWith: +)
        }
        return consumed
    }

    /// Whether every member has joined its group and consumed everything it owns.
    public var isIdle: Bool {
        members.allSatisfy { member in
            if member.hasStopped { return true }
            member.updateLag()
            return member.isIdle
        }
    }

    /// Whether `group`'s branch stopped on a failure (see `BranchMetrics.failure`).
    public func hasStopped(_ group: String) -> Bool {
        metrics.first { $0.group == group }?.metrics.stopped.load(ordering: .acquiring) ?? false
    }

    /// The first branch (in declaration order) that stopped on a failure, with its error.
    public var firstBranchFailure: (group: String, error: any Error)? {
        for (group, metrics) in metrics {
            if let error = metrics.failure.withLock({ $0 }) { return (group, error) }
        }
        return nil
    }

    /// Whether every branch has committed the end of every topic it reads (its sources and
    /// repartition topics): nothing is left to process, nothing processed is uncommitted. Read
    /// from the log and the group coordinator, not from the members' own lag, which a thread
    /// updates only between its steps (a stale "idle" could end a run while another thread
    /// still has records to pass on).
    ///
    /// A branch that commits every N records (`count`) may hold its last records uncommitted
    /// for good: it is judged by its members' lag instead, as before.
    func isCaughtUp() -> Bool {
        let log = backend.log
        for branch in pipeline.branches where !hasStopped(branch.group) {
            if case .count = branch.ackMode {
                guard members.allSatisfy({ $0.branch.group != branch.group || $0.isIdle }) else { return false }
                continue
            }
            let scope = TopologyScope(pipeline: pipeline.name, group: branch.group)
            var ends: [TopicPartition: Int64] = [:]
            for topic in Set(branch.inputs.map { $0.resolved(in: scope) }) {
                guard let count = try? log.partitionCount(topic) else { return false }
                for p in 0..<Int32(count) {
                    guard let partition = try? log.partition(topic, p) else { return false }
                    if partition.highWatermark > partition.logStartOffset { ends[TopicPartition(topic, p)] = partition.highWatermark }
                }
            }
            let committed = backend.coordinator.committedOffsets(groupId: branch.group, partitions: Array(ends.keys))
            for (tp, end) in ends where (committed[tp]?.offset ?? -1) < end { return false }
        }
        return true
    }

    /// Records not yet consumed by `group`'s members here (as of their last lag update).
    func lag(of group: String) -> Int64 {
        members.filter { $0.branch.group == group }.reduce(0) { $0 + $1.lag }
    }

    /// Moves the stream time of the windowed stores of every branch's sub-topology `index`
    /// (dataflow order) to `streamTime` without a record (closed windows forward their results
    /// and go), and makes what that wrote durable. Offsets do not move.
    public func advanceStreamTime(to streamTime: Int64, subTopology index: Int) throws {
        for member in members where !member.hasStopped { try member.tasks.advanceStreamTime(to: streamTime, subTopology: index) }
        try flushOutputs()
    }

    /// The most sub-topologies any branch has.
    public var subTopologyCount: Int { members.map(\.tasks.subTopologyCount).max() ?? 0 }

    /// Makes each of `group`'s members stop dead after `records` more records (a crash).
    public func crash(branch group: String, afterRecords records: Int) {
        for member in members where member.branch.group == group { member.crash(afterRecords: records) }
    }

    /// Graceful stop: flushes, commits and leaves every group.
    public func close() throws {
        try flushOutputs()
        for member in members { try member.close() }
        try producer.close()
    }

    /// A crash: the producer's buffered outputs are written (as the OS would keep what was
    /// handed to it), but no consumer commits or leaves; the backend is to be dropped with it.
    public func abandon() {
        for output in outputs { try? output.flush() }
        try? producer.close()
    }

    /// Flushes every stream thread's session: from the thread that stepped them, or once
    /// their threads are joined.
    /// - Throws: the first failure, after flushing them all.
    func flushOutputs() throws {
        var failure: (any Error)?
        for output in outputs {
            do { try output.flush() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// Per-branch counts since the instance started.
    public func summary(seconds: Double = 0) -> RunSummary {
        RunSummary(
            branches: metrics.map { group, m in
                RunSummary.BranchCounts(
                    group: group, consumed: m.consumed.load(ordering: .relaxed), produced: m.produced.load(ordering: .relaxed),
                    skipped: m.skipped.load(ordering: .relaxed), deadLettered: m.deadLettered.load(ordering: .relaxed),
                    late: m.late.load(ordering: .relaxed))
            }, seconds: seconds)
    }

    /// The state stores this instance's tasks hold, for tests: `(branch group, partition, store)`.
    func stores() -> [(group: String, partition: Int32, store: any StateStoreView)] {
        members.flatMap { member in member.stores().map { (member.branch.group, $0.partition, $0.store) } }
    }

    /// Makes `branches` start over: their groups' committed offsets are deleted and their
    /// internal topics (repartition and changelog) with them, so a replay neither restores
    /// the state it is about to rebuild nor re-reads a repartitioned copy of its input (what
    /// Kafka's `kafka-streams-application-reset` does). User topics are left alone.
    private static func reset(_ branches: [Branch], of pipeline: Pipeline, _ backend: EmbeddedBackend) throws {
        let existing = Set(backend.log.topicNames(includeInternal: true))
        for branch in branches {
            if backend.coordinator.describeGroup(branch.group).state != .dead { try backend.coordinator.deleteGroup(branch.group) }
            let scope = TopologyScope(pipeline: pipeline.name, group: branch.group)
            let owned = branch.outputs.filter(\.isInternal) + branch.sink.plan.stores.map(\.changelog)
            for topic in owned.map({ $0.resolved(in: scope) }) where existing.contains(topic) {
                try backend.log.deleteTopic(topic)
            }
        }
    }

    /// Checks the branches' source topics and creates what the pipeline writes: sink and
    /// dead-letter topics with the sources' partition count, repartition topics with the
    /// branch's, and compacted changelog topics, one partition per task.
    private static func createTopics(_ pipeline: Pipeline, _ backend: EmbeddedBackend) throws {
        let log = backend.log
        var existing = Set(log.topicNames(includeInternal: true))
        func create(_ topic: String, partitions: Int, configs: [String: String] = [:]) throws {
            guard !existing.contains(topic) else { return }
            _ = try log.createTopic(topic, partitions: partitions, configs: configs)
            existing.insert(topic)
        }
        var branchPartitions: [String: Int] = [:]
        for branch in pipeline.branches {
            var counts: [String: Int] = [:]
            for topic in branch.externalInputs {
                guard let count = try? log.partitionCount(topic) else { throw PipelineError.missingTopic(topic, branch: branch.group) }
                counts[topic] = count
            }
            for sub in branch.sink.subTopologies where sub.sources.count > 1 {
                let merged = sub.sources.compactMap { if case .external(let name) = $0 { counts[name].map { (name, $0) } } else { nil } }
                if Set(merged.map(\.1)).count > 1 {
                    throw PipelineError.invalid(
                        "branch \(branch.group) merges topics with different partition counts (\(merged.map { "\($0.0): \($0.1)" }.joined(separator: ", "))); merged topics must be co-partitioned")
                }
            }
            branchPartitions[branch.group] = counts.values.max() ?? 1
        }
        let sourcePartitions = branchPartitions.values.max() ?? 1
        for branch in pipeline.branches {
            let scope = TopologyScope(pipeline: pipeline.name, group: branch.group)
            let partitions = branchPartitions[branch.group] ?? sourcePartitions
            // Outputs keep what the source keeps: records carry the source's timestamps, so a
            // shorter retention would delete a replay of old events as soon as a segment rolls.
            let sourceRetention = (try? log.describeTopic(branch.source).config.retentionMs) ?? -1
            for topic in branch.outputs {
                if topic.isInternal {
                    // As Kafka Streams makes them: kept until purged (`BranchTask.purgeRepartitionTopics`),
                    // in segments small and young enough for a purge to free them.
                    try create(
                        topic.resolved(in: scope), partitions: partitions,
                        configs: ["retention.ms": "-1", "segment.bytes": "\(50 << 20)", "segment.ms": "600000"])
                } else {
                    try create(topic.resolved(in: scope), partitions: sourcePartitions, configs: ["retention.ms": "\(sourceRetention)"])
                }
            }
            for store in branch.sink.plan.stores {
                try create(store.changelog.resolved(in: scope), partitions: partitions, configs: ["cleanup.policy": "compact"])
            }
        }
    }

}
