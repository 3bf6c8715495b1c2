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

    func run() throws -> RunSummary {
        let log = backend.log
        var sourcePartitions = 1
        for branch in pipeline.branches {
            guard let count = try? log.partitionCount(branch.source) else {
                throw PipelineError.missingTopic(branch.source, branch: branch.group)
            }
            sourcePartitions = max(sourcePartitions, count)
        }
        for topic in Set(pipeline.branches.flatMap(\.outputs)) where !log.topicNames(includeInternal: true).contains(topic) {
            _ = try log.createTopic(topic, partitions: sourcePartitions)
        }
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
                    deadLettered: task.metrics.deadLettered.load(ordering: .relaxed))
            }, seconds: Date().timeIntervalSince(started))
    }
}
