import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import Synchronization

/// One branch at work: a consumer in the branch's group on its own thread, pushing each polled
/// batch through the operator chain, making the outputs durable, then committing per the
/// branch's AckMode. At-least-once: offsets never run ahead of durable outputs.
final class BranchTask: Sendable {
    let branch: Branch
    let metrics = BranchMetrics()
    private let consumer: Consumer
    private let producer: Producer
    private let runner: PipelineRunner
    private let done = DispatchSemaphore(value: 0)
    private let tasks: BranchTasks
    private let state = Mutex<(failure: (any Error)?, idle: Bool)>((nil, false))

    init(branch: Branch, runner: PipelineRunner, producer: Producer) throws {
        self.branch = branch
        self.runner = runner
        self.producer = producer
        var configuration = ConsumerConfiguration(groupId: branch.group)
        configuration.clientId = "\(runner.pipeline.name)-\(branch.group)"
        configuration.ackMode = branch.ackMode == .record ? .manual : branch.ackMode
        configuration.autoOffsetReset = runner.options.autoOffsetReset == .earliest ? .earliest : .latest
        configuration.maxPollRecords = 5_000
        let scope = TopologyScope(pipeline: runner.pipeline.name, group: branch.group)
        let (metrics, log) = (metrics, runner.backend.log)
        tasks = BranchTasks(subTopologies: branch.sink.subTopologies, scope: scope) { partition in
            TaskContext(partition: partition, scope: scope, producer: producer, log: log, metrics: metrics)
        }
        // Range puts partition p of every topic at one member, which a merge's tasks need.
        if tasks.needsCopartitioning { configuration.partitionAssignmentStrategy = ["range"] }
        consumer = try Consumer(backend: runner.backend, configuration: configuration)
    }

    var failure: (any Error)? { state.withLock { $0.failure } }
    var isIdle: Bool { state.withLock { $0.idle } }

    func start() {
        let thread = Thread { [self] in
            do {
                let tasks = tasks
                try consumer.subscribe(
                    tasks.topics, listener: RebalanceListener(onRevoked: { tasks.drop($0) }, onLost: { tasks.drop($0) }))
                try work()
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

    private func work() throws {
        let decoder = try RecordBatchDecoder()
        let perRecord = branch.ackMode == .record
        try consumer.runBatches(pollTimeoutMs: 100, until: { [self] in
            updateLag()
            return runner.stop.load(ordering: .relaxed)
        }) { records, ack in
            for part in records.partitions {
                let handler = try tasks.handler(for: part.partition)
                try part.forEach(decoder: decoder) { view in
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
            try tasks.endBatch()
            try producer.flush()  // outputs, repartitions and changelogs are durable before the AckMode commits
            if branch.ackMode == .record || branch.ackMode.isManual == false { return }
            try ack.acknowledge()
        }
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
    private func updateLag() {
        let owned = consumer.assignment
        var lag: Int64 = 0
        for tp in owned {
            guard let position = try? consumer.position(tp), let partition = try? runner.backend.log.partition(tp.topic, tp.partition)
            else { continue }
            lag += max(0, partition.highWatermark - position)
        }
        metrics.lag.store(lag, ordering: .relaxed)
        state.withLock { $0.idle = !owned.isEmpty && lag == 0 }
    }
}
