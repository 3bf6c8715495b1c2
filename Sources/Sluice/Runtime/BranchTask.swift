import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import Synchronization

/// One branch at work: a consumer in the branch's group, pushing each polled batch through
/// the branch's tasks, making the outputs durable, then committing per the branch's AckMode.
/// At-least-once: offsets never run ahead of durable outputs.
///
/// `step` is one poll and its processing; `start` runs steps on a thread of the branch's own
/// until asked to stop (the production runtime), while a test driver calls `step` itself.
final class BranchTask: Sendable {
    let branch: Branch
    let metrics = BranchMetrics()
    private let consumer: Consumer
    private let producer: Producer
    private let log: LogManager
    private let done = DispatchSemaphore(value: 0)
    private let tasks: BranchTasks
    /// Only the stepping thread uses it; the lock is uncontended and taken once per poll.
    private let decoder: Mutex<RecordBatchDecoder>
    private let state = Mutex<(failure: (any Error)?, idle: Bool)>((nil, false))
    /// Records left before a simulated crash; negative when none is planned.
    private let crashCountdown = Atomic<Int>(-1)

    init(
        branch: Branch, pipelineName: String, backend: EmbeddedBackend, options: RunOptions, producer: Producer,
        clock: (@Sendable () -> Int64)? = nil
    ) throws {
        self.branch = branch
        self.producer = producer
        self.log = backend.log
        var configuration = ConsumerConfiguration(groupId: branch.group)
        configuration.clientId = "\(pipelineName)-\(branch.group)"
        configuration.ackMode = branch.ackMode == .record ? .manual : branch.ackMode
        configuration.autoOffsetReset = options.autoOffsetReset == .earliest ? .earliest : .latest
        configuration.maxPollRecords = 5_000
        let scope = TopologyScope(pipeline: pipelineName, group: branch.group)
        let (metrics, log) = (metrics, backend.log)
        tasks = BranchTasks(subTopologies: branch.sink.subTopologies, scope: scope) { partition in
            TaskContext(partition: partition, scope: scope, producer: producer, log: log, metrics: metrics)
        }
        // Range puts partition p of every topic at one member, which a merge's tasks need.
        if tasks.needsCopartitioning { configuration.partitionAssignmentStrategy = ["range"] }
        if let clock {
            consumer = try Consumer(backend: backend, configuration: configuration, clock: clock)
        } else {
            consumer = try Consumer(backend: backend, configuration: configuration)
        }
        decoder = Mutex(try RecordBatchDecoder())
    }

    var failure: (any Error)? { state.withLock { $0.failure } }
    var isIdle: Bool { state.withLock { $0.idle } }

    /// Joins the branch's group on its topics; tasks of revoked or lost partitions are dropped.
    func subscribe() throws {
        let tasks = tasks
        try consumer.subscribe(tasks.topics, listener: RebalanceListener(onRevoked: { tasks.drop($0) }, onLost: { tasks.drop($0) }))
    }

    /// Runs the branch on a thread of its own until `shouldStop` (checked between batches),
    /// then commits and leaves the group. A failure is kept in `failure`.
    func start(shouldStop: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in
            do {
                try subscribe()
                while !shouldStop() {
                    updateLag()
                    try step(pollTimeoutMs: 100)
                }
                try consumer.close()
            } catch {
                state.withLock { $0.failure = error }
                try? consumer.close()
            }
            done.signal()
        }
        thread.name = "sluice-\(branch.group)"
        thread.start()
    }

    func wakeup() { consumer.wakeup() }
    func join() { done.wait() }

    /// Commits what was processed and leaves the group.
    func close() throws { try consumer.close() }

    /// The running tasks' state stores.
    func stores() -> [(partition: Int32, store: any StateStoreView)] { tasks.stores() }

    /// Makes a later `step` stop dead after `records` more records, as a `kill -9` would:
    /// outputs so far may be written, nothing more is committed (for the test driver).
    func crash(afterRecords records: Int) { crashCountdown.store(max(0, records), ordering: .relaxed) }

    /// One poll, its records through the tasks, outputs flushed, then the AckMode's commit.
    /// - Returns: the records consumed.
    @discardableResult
    func step(pollTimeoutMs: Int) throws -> Int {
        let perRecord = branch.ackMode == .record
        return try consumer.runOnce(pollTimeoutMs: pollTimeoutMs) { records, ack in
            try decoder.withLock { decoder in try process(records, decoder: decoder, perRecord: perRecord) }
            try tasks.endBatch()
            try producer.flush()  // outputs, repartitions and changelogs are durable before the AckMode commits
            if branch.ackMode == .record || branch.ackMode.isManual == false { return }
            try ack.acknowledge()
        }
    }

    private func process(_ records: ConsumerRecords, decoder: RecordBatchDecoder, perRecord: Bool) throws {
        for part in records.partitions {
            let handler = try tasks.handler(for: part.partition)
            try part.forEach(decoder: decoder) { view in
                try countDownToCrash()
                metrics.consumed.add(1, ordering: .relaxed)
                do {
                    try handler(SourceRecord(partition: part.partition.partition, view: view))
                } catch {
                    try handleFailure(error, view, part.partition)
                }
                if perRecord {
                    try tasks.endBatch()
                    try producer.flush()
                    consumer.markProcessed([part.partition: view.offset + 1])
                    try consumer.commit()
                }
            }
        }
    }

    @inline(__always)
    private func countDownToCrash() throws {
        let left = crashCountdown.load(ordering: .relaxed)
        guard left >= 0 else { return }
        if left == 0 { throw SimulatedCrash(branch: branch.group) }
        crashCountdown.store(left - 1, ordering: .relaxed)
    }

    private func handleFailure(_ error: any Error, _ view: RecordView, _ tp: TopicPartition) throws {
        switch branch.onError {
        case .fail:
            throw error
        case .skip:
            metrics.skipped.add(1, ordering: .relaxed)
            FileHandle.standardError.write(Data("\(branch.group): skipped \(tp)@\(view.offset): \(error)\n".utf8))
        case .deadLetter(let topic):
            var headers = view.headerCount == 0 ? [] : view.headers()
            headers += [
                RecordHeader(key: "sluice.error", value: Array("\(error)".utf8)),
                RecordHeader(key: "sluice.branch", value: Array(branch.group.utf8)),
                RecordHeader(key: "sluice.source.topic", value: Array(tp.topic.utf8)),
                RecordHeader(key: "sluice.source.partition", value: Array("\(tp.partition)".utf8)),
                RecordHeader(key: "sluice.source.offset", value: Array("\(view.offset)".utf8)),
            ]
            try producer.send(topic: topic, key: view.key, value: view.value, headers: headers, timestamp: view.timestamp)
            metrics.deadLettered.add(1, ordering: .relaxed)
        }
    }

    /// Lag = log end − position over the owned partitions; idle when it is 0.
    func updateLag() {
        let owned = consumer.assignment
        var lag: Int64 = 0
        for tp in owned {
            guard let position = try? consumer.position(tp), let partition = try? log.partition(tp.topic, tp.partition)
            else { continue }
            lag += max(0, partition.highWatermark - position)
        }
        metrics.lag.store(lag, ordering: .relaxed)
        state.withLock { $0.idle = !owned.isEmpty && lag == 0 }
    }
}

/// Thrown inside a branch that a test asked to crash: processing stops where it is.
struct SimulatedCrash: Error, CustomStringConvertible {
    var branch: String
    var description: String { "branch \(branch) crashed (simulated)" }
}
