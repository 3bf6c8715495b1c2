import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import Synchronization

/// One branch's member on one stream thread: a consumer in the branch's group and the tasks
/// of the partitions it owns. Its stream thread polls it, pushes the records through its tasks
/// (together with the other branches' members, see `StreamThread`), then `finishBatch` makes
/// the outputs durable before the consumer commits per the branch's AckMode. At-least-once:
/// offsets never run ahead of durable outputs.
final class BranchTask: Sendable {
    let branch: Branch
    /// Shared by the branch's members on every stream thread.
    let metrics: BranchMetrics
    let consumer: Consumer
    /// The stream thread's producer session, shared with the thread's other members.
    private let output: StreamOutput
    private let log: LogManager
    let tasks: BranchTasks
    private let state = Mutex<(idle: Bool, lag: Int64)>((false, 0))
    /// `ackMode == .record`, decided once (an enum comparison per record otherwise).
    private let commitsEveryRecord: Bool
    /// Records left before a simulated crash; negative when none is planned.
    private let crashCountdown = Atomic<Int>(-1)
    /// The repartition topics the branch writes and reads back (resolved names).
    private let repartitionTopics: Set<String>

    init(
        branch: Branch, pipelineName: String, thread: Int, clientPrefix: String, backend: EmbeddedBackend, options: RunOptions, output: StreamOutput,
        metrics: BranchMetrics, decodedRecords: DecodedRecordCache, wakeups: DataSignal, clock: (@Sendable () -> Int64)? = nil
    ) throws {
        self.branch = branch
        commitsEveryRecord = branch.ackMode == .record
        self.output = output
        self.metrics = metrics
        self.log = backend.log
        var configuration = ConsumerConfiguration(groupId: branch.group)
        // Members sort by client id, so thread t gets the same partitions in every branch's
        // group (range assignment), which lets the branches on a thread share decoding.
        configuration.clientId = "\(clientPrefix)-t\(thread)"
        configuration.partitionAssignmentStrategy = ["range"]
        configuration.ackMode = branch.ackMode == .record ? .manual : branch.ackMode
        configuration.autoOffsetReset = options.autoOffsetReset == .earliest ? .earliest : .latest
        configuration.maxPollRecords = options.maxPollRecords
        // A commit is an fsync of `__consumer_offsets`: waited for on the stream thread, it
        // idled the thread for a fifth of an order-events run. The thread goes on while it
        // lands; `completeDurableBatches(waiting: .all)` waits for it where a step must end
        // with everything committed.
        configuration.syncCommits = false
        let scope = TopologyScope(pipeline: pipelineName, group: branch.group)
        repartitionTopics = Set(branch.outputs.filter(\.isInternal).map { $0.resolved(in: scope) })
        let log = backend.log
        tasks = BranchTasks(subTopologies: branch.sink.subTopologies, scope: scope) { partition in
            TaskContext(partition: partition, scope: scope, output: output.session, log: log, metrics: metrics, decodedRecords: decodedRecords)
        }
        // The stream thread sleeps on `wakeups` when it has nothing to do, so every member's
        // news (data, group responses) must reach it, not only the first member's.
        let notifying = backend.notifying(wakeups)
        if let clock {
            consumer = try Consumer(backend: notifying, configuration: configuration, clock: clock)
        } else {
            consumer = try Consumer(backend: notifying, configuration: configuration)
        }
    }

    var isIdle: Bool { state.withLock { $0.idle } }
    var lag: Int64 { state.withLock { $0.lag } }

    /// Joins the branch's group on its topics; tasks of revoked or lost partitions are dropped.
    func subscribe() throws {
        // Revoked partitions are committed up to what was processed: batches whose outputs
        // are still being written are waited for first, so the next owner does not read them
        // again. Lost partitions are not committed at all (`Consumer.complete` skips them).
        try consumer.subscribe(
            tasks.topics,
            listener: RebalanceListener(
                // `unowned`: the consumer, which holds the listener, is this member's and calls
                // it only while the member is alive. (`weak` would give the member a side table
                // and put every retain of it, per record, on the slow path.)
                onRevoked: { [unowned self, tasks] partitions in
                    try completeDurableBatches(waiting: .all)
                    tasks.drop(partitions)
                },
                onLost: { [tasks] in tasks.drop($0) }))
    }

    /// Commits what was processed (once its outputs are durable) and leaves the group; once.
    /// The member leaves even when the wait fails (its partitions go to others); what the
    /// failure covers is not committed.
    func close() throws {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        do {
            try completeDurableBatches(waiting: .all)
        } catch {
            abandonPendingBatches()
            try? consumer.close()
            throw error
        }
        try consumer.close()
    }

    /// Forgets the batches still waiting for their outputs, without committing them: after a
    /// write failure their outputs may be missing, so they must be read again. (A session
    /// reports a write failure once; waiting again would find nothing wrong.)
    func abandonPendingBatches() {
        awaitingDurability.withLock { $0.removeAll() }
    }

    private let closed = Atomic<Bool>(false)

    /// Whether the branch stopped on a failure (`BranchMetrics.failure`), here or on another
    /// stream thread: the member is no longer polled.
    var hasStopped: Bool { metrics.stopped.load(ordering: .acquiring) }

    /// Stops the branch on `error` (the first failure of the branch wins) and says so on
    /// standard error: the branch's members stop, the other branches go on.
    func stop(_ error: any Error) {
        guard metrics.stop(error) else { return }
        FileHandle.standardError.write(Data("branch \(branch.group) stopped: \(error); the other branches go on\n".utf8))
    }

    /// Deletes, in the repartition topics' partitions this member owns, the records its group
    /// has committed past (Kafka Streams' purge): nobody else reads them, and a replay of the
    /// branch starts from its source, not from them. Best effort, like Kafka Streams': a
    /// partition that cannot be purged now is purged next time.
    func purgeRepartitionTopics() {
        guard !repartitionTopics.isEmpty else { return }
        let owned = consumer.assignment.filter { repartitionTopics.contains($0.topic) }
        guard !owned.isEmpty, let committed = try? consumer.committed(Array(owned)), !committed.isEmpty else { return }
        let requests = committed.sorted { $0.key < $1.key }.map {
            LogManager.DeleteRecordsRequest(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
        }
        _ = try? log.deleteRecords(requests)
    }

    /// The running tasks' state stores.
    func stores() -> [(partition: Int32, store: any StateStoreView)] { tasks.stores() }

    /// Makes processing stop dead after `records` more records, as a `kill -9` would: outputs
    /// so far may be written, nothing more is committed (for the test driver).
    func crash(afterRecords records: Int) { crashCountdown.store(max(0, records), ordering: .relaxed) }

    /// Processes one record of `tp` with its task's reader, applying the error policy.
    @inline(__always)
    func process(_ view: RecordView, of tp: TopicPartition, with reader: BranchTasks.Reader) throws {
        try countDownToCrash()
        // Where the record entered the branch: its own position, or, read back from a
        // repartition topic, the position of the source record it copies.
        let carried = view.headerCount == 0 ? nil : RecordOrigin.headerKeyBytes.withUnsafeBytes { view.headerValue(forKey: $0) }
        let origin = carried.flatMap(RecordOrigin.init) ?? RecordOrigin(source: reader.source, partition: tp.partition, offset: view.offset)
        reader.context._withUnsafeGuaranteedRef { $0.origin = origin }
        do {
            try reader.handler._withUnsafeGuaranteedRef { try $0.process(SourceRecord(partition: tp.partition, view: view)) }
        } catch {
            try handleFailure(error, view, tp)
        }
        if commitsEveryRecord {
            try tasks.endBatch()
            try output.flush()
            consumer.markProcessed([tp: view.offset + 1])
            try consumer.commit()
        }
    }

    /// After a poll's records went through the tasks: stores forward and write changelogs.
    /// The outputs are then on their way to the log (the thread's `beginFlush`), and the batch
    /// waits in `awaitingDurability` until they are durable.
    func endBatch() throws { try tasks.endBatch() }

    /// Batches processed whose outputs were still being written when the step ended, oldest
    /// first, each with the output flush point that covers it. Only this member's stream
    /// thread touches them (the lock is uncontended).
    private let awaitingDurability = Mutex<[(point: ProducerSession.FlushPoint, batch: PendingBatch)]>([])

    /// `batch` was processed; its outputs are durable once `point` is.
    func processed(_ batch: PendingBatch, durableAt point: ProducerSession.FlushPoint) {
        awaitingDurability.withLock { $0.append((point, batch)) }
    }

    /// Completes, oldest first, the batches whose outputs are durable: the consumer marks them
    /// processed and commits per the branch's AckMode (in the background). Waits for every
    /// batch and for its commit to land (`.all`), or for the batches before the latest and
    /// takes the latest only if it is durable already (`.allButLatest`).
    /// - Throws: a write failure of the outputs (nothing it covers is committed), or a failed
    ///   commit.
    func completeDurableBatches(waiting: DurabilityWait) throws {
        while let (point, batch, left) = awaitingDurability.withLock({ list in list.first.map { ($0.point, $0.batch, list.count) } }) {
            let mustWait = waiting == .all || left > 1
            do {
                if mustWait {
                    try output.session.waitUntilDurable(point)
                } else if try !output.session.isDurable(point) {
                    return
                }
            } catch {
                throw OutputWriteFailure(underlying: error)
            }
            awaitingDurability.withLock { _ = $0.removeFirst() }
            try consumer.complete(batch)
        }
        if waiting == .all { try consumer.waitForCommits() }
    }

    enum DurabilityWait { case allButLatest, all }

    /// The outputs of a batch could not be written: the thread's producer session, which every
    /// branch of the thread shares, failed — not one branch's doing.
    struct OutputWriteFailure: Error, CustomStringConvertible {
        var underlying: any Error
        var description: String { "\(underlying)" }
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
            try output.session.send(topic: topic, key: view.key, value: view.value, headers: headers, timestamp: view.timestamp)
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
        let joined = (consumer.groupMetadata?.generationId ?? -1) > 0
        state.withLock { $0 = (idle: joined && lag == 0, lag: lag) }
    }
}

/// Thrown inside a branch that a test asked to crash: processing stops where it is.
@_spi(Testing)
public struct SimulatedCrash: ConsumerAbort, CustomStringConvertible {
    public var branch: String
    public var description: String { "branch \(branch) crashed (simulated)" }
}
