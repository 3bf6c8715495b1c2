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
        let backend = try EmbeddedBackend(directory: options.dataDirectory)
        defer { try? backend.close() }
        return try PipelineRunner(pipeline: self, backend: backend, options: options).run()
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

/// Runs a pipeline's branches on one backend: one thread per branch (one consumer in the
/// branch's group), a shared producer, and the control loop (progress, idle detection, stop).
final class PipelineRunner: Sendable {
    let pipeline: Pipeline
    let backend: EmbeddedBackend
    let options: RunOptions
    let stop = Atomic<Bool>(false)

    init(pipeline: Pipeline, backend: EmbeddedBackend, options: RunOptions) {
        self.pipeline = pipeline
        self.backend = backend
        self.options = options
    }

    /// Checks the branches' source topics and creates what the pipeline writes: sink and
    /// dead-letter topics with the sources' partition count, repartition topics with the
    /// branch's, and compacted changelog topics, one partition per task.
    private func createTopics() throws {
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
            for topic in branch.outputs {
                try create(topic.resolved(in: scope), partitions: topic.isInternal ? partitions : sourcePartitions)
            }
            for store in branch.sink.plan.stores {
                try create(store.changelog.resolved(in: scope), partitions: partitions, configs: ["cleanup.policy": "compact"])
            }
        }
    }

    func run() throws -> RunSummary {
        try createTopics()
        if options.reset {
            for branch in pipeline.branches where backend.coordinator.describeGroup(branch.group).state != .dead {
                try backend.coordinator.deleteGroup(branch.group)
            }
        }
        ShutdownSignal.install()
        let producer = try Producer(backend: backend)
        let started = Date()
        let tasks = try pipeline.branches.map { try BranchTask(branch: $0, runner: self, producer: producer) }
        for task in tasks { task.start() }

        var idleChecks = 0
        var lastConsumed = 0
        var lastTime = Date()
        while true {
            Thread.sleep(forTimeInterval: 0.2)
            if ShutdownSignal.requested.load(ordering: .relaxed) { break }
            if tasks.contains(where: { $0.failure != nil }) { break }
            if options.untilIdle {
                idleChecks = tasks.allSatisfy(\.isIdle) ? idleChecks + 1 : 0
                if idleChecks >= 3 { break }
            }
            if options.progress {
                let consumed = tasks.reduce(0) { $0 + $1.metrics.consumed.load(ordering: .relaxed) }
                let now = Date()
                let rate = Double(consumed - lastConsumed) / now.timeIntervalSince(lastTime)
                (lastConsumed, lastTime) = (consumed, now)
                let lags = tasks.map { "\($0.branch.group) lag \($0.metrics.lag.load(ordering: .relaxed))" }.joined(separator: ", ")
                FileHandle.standardError.write(Data("\r\(pipeline.name): \(consumed) records, \(Int(rate))/s; \(lags)   ".utf8))
            }
        }
        if options.progress { FileHandle.standardError.write(Data("\n".utf8)) }
        stop.store(true, ordering: .relaxed)
        for task in tasks { task.wakeup() }
        for task in tasks { task.join() }
        try producer.close()
        if let failed = tasks.first(where: { $0.failure != nil }), let error = failed.failure {
            throw PipelineError.branchFailed(failed.branch.group, error)
        }
        return RunSummary(
            branches: tasks.map { task in
                RunSummary.BranchCounts(
                    group: task.branch.group, consumed: task.metrics.consumed.load(ordering: .relaxed),
                    produced: task.metrics.produced.load(ordering: .relaxed), skipped: task.metrics.skipped.load(ordering: .relaxed),
                    deadLettered: task.metrics.deadLettered.load(ordering: .relaxed), late: task.metrics.late.load(ordering: .relaxed))
            }, seconds: Date().timeIntervalSince(started))
    }
}
