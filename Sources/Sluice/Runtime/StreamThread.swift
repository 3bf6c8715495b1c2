import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import Synchronization

/// One of a pipeline instance's stream threads (Kafka Streams' `StreamThread`): a member of
/// every branch's group, and the tasks of the partitions those members own.
///
/// Every step polls each member, then processes what came back together, one pass per
/// partition: a stored batch that several branches polled is checked, decompressed and parsed
/// once and its records are handed to each of those branches in turn, a run of records at a
/// time (`RunOptions.branchRunLength`); the first branch's
/// decoded value serves the others (`DecodedRecordCache`). Branches a poll apart find the batch
/// still decoded (`BatchCache`). Each branch still commits its own offsets, after its own
/// outputs are durable; a branch far behind (reset, or just joined) reads on its own.
///
/// Sharing a thread means a branch that blocks (a slow side effect) holds up the others on it;
/// branches with `forEach` sinks therefore get a thread of their own (`StreamThread.plan`).
final class StreamThread: Sendable {
    let name: String
    let members: [BranchTask]
    /// The producer session every member sends through.
    private let output: StreamOutput
    /// Only this thread uses them; the lock is uncontended and taken once per step.
    private let reading: Mutex<Reading>
    private let done = DispatchSemaphore(value: 0)
    private let failure = Mutex<(any Error)?>(nil)
    /// Whether the last step found nothing to do: only then may the next one wait for data.
    private let wasIdle = Atomic<Bool>(false)
    /// What every member's consumer notifies (`EmbeddedBackend.notifying`): an idle step waits
    /// here, so news for any member ends the wait.
    private let wakeups: DataSignal

    private let sharedTopics: Set<String>
    /// How often to purge the members' repartition topics (`RunOptions.repartitionPurgeIntervalMs`);
    /// nil for never.
    private let purgeIntervalNanos: UInt64?
    /// When the last purge ran (monotonic nanoseconds).
    private let lastPurge = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    /// How far apart (in records) members may read a partition and still share its decoded
    /// records: the thread's `DecodedRecordCache.sharedCapacity`.
    private let sharingDistance: Int64
    /// Records of a batch one member processes before the next member takes the same ones
    /// (`RunOptions.branchRunLength`).
    private let runLength: Int

    /// - Parameter sharedTopics: the topics several members read: only their batches are
    ///   kept decoded for a member a poll behind.
    init(
        name: String, members: [BranchTask], wakeups: DataSignal, output: StreamOutput, sharedTopics: Set<String>, sharingDistance: Int,
        runLength: Int, repartitionPurgeIntervalMs: Int? = 30_000
    ) throws {
        self.runLength = max(1, runLength)
        self.name = name
        self.wakeups = wakeups
        purgeIntervalNanos = repartitionPurgeIntervalMs.map { ms in
            let (nanos, overflow) = UInt64(clamping: ms).multipliedReportingOverflow(by: 1_000_000)
            return overflow ? .max : nanos
        }
        self.members = members
        self.output = output
        self.sharedTopics = sharedTopics
        self.sharingDistance = Int64(max(1, sharingDistance))
        reading = Mutex(Reading(decoder: try RecordBatchDecoder(), batches: sharedTopics.isEmpty ? nil : BatchCache(byteLimit: Self.batchCacheBytes)))
    }

    /// The thread's batch decoder, and the batches it keeps decoded for members a step behind.
    private struct Reading {
        let decoder: RecordBatchDecoder
        let batches: BatchCache?
    }

    /// The bound of a thread's `BatchCache`: a few polls' worth of decoded batches (a batch of
    /// a thousand 200-byte events takes about 250 kB).
    ///
    /// Each member's poll starts from a different partition of the thread's and takes most of
    /// its records there, so another member reaches a batch one or two steps after the first
    /// decoded it: the cache must span every member's polls of that long. At 8 MiB, the
    /// order-events job (three branches, three partitions per thread, 10,000 records a poll)
    /// decompressed its 669 source batches 1,027 times; at 16 MiB, 680 times (counted with a
    /// uprobe on `ZSTD_decompressDCtx`).
    static let batchCacheBytes = 16 << 20

    /// The first error a member stopped on, with its branch.
    var error: (any Error)? { failure.withLock { $0 } }

    func subscribe() throws {
        for member in members { try member.subscribe() }
    }

    /// Polls every member, processes the records, starts writing the outputs, and lets each
    /// member commit per its AckMode what is durable. Only after a step that found nothing does
    /// a step first wait, up to `pollTimeoutMs`, for news for any member (data, a group
    /// response): a member that has caught up must not slow the others down.
    ///
    /// With `overlapping`, a step does not wait for its own outputs to be written and synced:
    /// it waits for the previous step's (which had all of this step's processing to get there)
    /// and commits those, so the thread processes while the log writes. Without it (and in any
    /// step that found nothing) a step ends with everything it processed durable and committed
    /// per AckMode. Either way no offset is committed before the outputs it produced are
    /// durable (at-least-once).
    ///
    /// A member whose processing fails (its error policy is `.fail`), or whose commit fails,
    /// commits nothing of this batch and stops its branch (`BranchTask.stop`): the branch's
    /// members on every thread commit what they had finished and leave the group, while the
    /// other branches go on. Failures that are not one branch's — the thread's outputs could not
    /// be written — are thrown, and then no member commits anything still waiting for them. A
    /// `SimulatedCrash` stops everything at once, as `kill -9` would.
    /// - Returns: records consumed per branch group.
    @discardableResult
    func step(pollTimeoutMs: Int, overlapping: Bool = false) throws -> [String: Int] {
        let heldBack = holdBackLeaders()
        defer { for (member, partitions) in heldBack { member.consumer.resume(partitions) } }
        var polled: [(member: Int, records: ConsumerRecords)] = []
        var processed: [(member: BranchTask, batch: PendingBatch)] = []
        var consumed: [String: Int] = [:]
        var failed: [Int: any Error] = [:]
        var sharedFailure: (any Error)?
        var firstError: (any Error)?

        func descend(_ index: Int) throws {
            guard index < members.count else {
                do {
                    failed = try processTogether(polled)
                } catch let crash as SimulatedCrash {
                    throw crash
                } catch {
                    sharedFailure = error
                }
                return
            }
            let member = members[index]
            guard !member.hasStopped else { return try descend(index + 1) }
            var entered = false
            do {
                let batch = try member.consumer.runOnce(pollTimeoutMs: 0) { (records: ConsumerRecords) in
                    entered = true
                    polled.append((index, records))
                    try descend(index + 1)
                    // Not processed: throwing keeps the consumer from counting this batch done.
                    if let error = failed[index] ?? sharedFailure { throw error }
                    try member.endBatch()
                }
                if let batch {
                    processed.append((member, batch))
                    consumed[member.branch.group, default: 0] += batch.count
                }
            } catch let crash as SimulatedCrash {
                throw crash
            } catch let failure as BranchTask.OutputWriteFailure {
                firstError = firstError ?? failure.underlying  // from a rebalance's wait: not this branch's
            } catch {
                member.stop(error)
            }
            if !entered { try descend(index + 1) }
        }

        // The signal is sticky: news since the last wait ends this one at once.
        if pollTimeoutMs > 0 && wasIdle.load(ordering: .relaxed) { wakeups.wait(timeoutMs: pollTimeoutMs) }
        try descend(0)
        let foundNothing = processed.isEmpty
        wasIdle.store(foundNothing, ordering: .relaxed)
        do {
            let point = try output.session.beginFlush()
            for (member, batch) in processed { member.processed(batch, durableAt: point) }
        } catch {
            firstError = firstError ?? error
        }
        let wait: BranchTask.DurabilityWait = overlapping && !foundNothing ? .allButLatest : .all
        for member in members where firstError == nil {
            do {
                try member.completeDurableBatches(waiting: member.hasStopped ? .all : wait)
            } catch let failure as BranchTask.OutputWriteFailure {
                // The shared session lost writes: no branch of this thread may commit past them.
                firstError = failure.underlying
            } catch {
                member.stop(error)  // its commit failed: its own
            }
        }
        if let firstError {
            for member in members { member.abandonPendingBatches() }
            throw firstError
        }
        // A stopped branch's member leaves its group (once), here or on another thread.
        for member in members where member.hasStopped { try? member.close() }
        purgeIfDue()
        return consumed
    }

    /// Purges the members' repartition topics up to their committed offsets, every
    /// `purgeIntervalNanos`.
    private func purgeIfDue() {
        guard let purgeIntervalNanos else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now &- lastPurge.load(ordering: .relaxed) >= purgeIntervalNanos else { return }
        lastPurge.store(now, ordering: .relaxed)
        for member in members where !member.hasStopped { member.purgeRepartitionTopics() }
    }

    /// Pauses, for one step, the partitions a member reads well ahead of another member of
    /// this thread, so that the one behind catches up and both keep finding each record
    /// already decoded (`DecodedRecordCache` keeps `sharingDistance` records).
    ///
    /// Members drift apart even when they start together: one joins its group a step later,
    /// or polls a repartition topic as well, which takes part of its `max.poll.records`. A
    /// lead of an eighth of the distance is let be; a member more than twice the distance
    /// behind (replaying after a reset, say) is on its own and holds nobody back, so a branch
    /// never waits for another's backlog.
    /// - Returns: what it paused, to resume after the step.
    private func holdBackLeaders() -> [(BranchTask, [TopicPartition])] {
        guard members.count > 1 else { return [] }
        var readers: [TopicPartition: [(member: Int, position: Int64)]] = [:]
        for (index, member) in members.enumerated() where !member.hasStopped {
            let paused = member.consumer.paused
            for tp in member.consumer.assignment where !paused.contains(tp) {
                guard let position = try? member.consumer.position(tp) else { continue }
                readers[tp, default: []].append((index, position))
            }
        }
        var holds: [Int: [TopicPartition]] = [:]
        for (tp, list) in readers where list.count > 1 {
            // Members far behind the front (replaying) neither hold back nor are held back.
            guard let front = list.map(\.position).max() else { continue }
            let near = list.filter { front - $0.position < 2 * sharingDistance }
            guard near.count > 1, let low = near.map(\.position).min() else { continue }
            for (member, position) in near where position - low >= sharingDistance / 8 {
                holds[member, default: []].append(tp)
            }
        }
        var paused: [(BranchTask, [TopicPartition])] = []
        for (index, partitions) in holds {
            members[index].consumer.pause(partitions)
            paused.append((members[index], partitions))
        }
        return paused
    }

    /// Each partition's records through the tasks of every member that polled them, in one
    /// pass per partition: a stored batch that several members polled is checked, decompressed
    /// and parsed once (`ConsumerRecords.forEachShared`), and its records go to each of those
    /// members in turn, a run at a time, and they share the decoded values (`DecodedRecordCache`).
    /// - Returns: the members that failed, with their errors (they stopped at the failure).
    /// - Throws: what fails for everyone (a corrupt batch) and `SimulatedCrash`.
    private func processTogether(_ polled: [(member: Int, records: ConsumerRecords)]) throws -> [Int: any Error] {
        var byPartition: [TopicPartition: [(member: Int, part: ConsumerRecords.PartitionRecords)]] = [:]
        var order: [TopicPartition] = []
        for (member, records) in polled {
            for part in records.partitions where part.count > 0 {
                if byPartition[part.partition] == nil { order.append(part.partition) }
                byPartition[part.partition, default: []].append((member, part))
            }
        }
        var failed: [Int: any Error] = [:]
        try reading.withLock { reading in
            for tp in order {
                var parts: [ConsumerRecords.PartitionRecords] = []
                // Members unretained: `members` holds them (see the per-record calls below).
                var readers: [(index: Int, member: Unmanaged<BranchTask>, reader: BranchTasks.Reader)] = []
                for entry in byPartition[tp, default: []] where failed[entry.member] == nil {
                    let member = members[entry.member]
                    do {
                        readers.append((entry.member, .passUnretained(member), try member.tasks.reader(for: tp)))
                        parts.append(entry.part)
                        member.metrics.consumed.add(entry.part.count, ordering: .relaxed)
                    } catch {
                        failed[entry.member] = error
                    }
                }
                var stopped = [Bool](repeating: false, count: readers.count)
                let cache = sharedTopics.contains(tp.topic) ? reading.batches : nil
                // Members and task contexts are held unretained here (their owners keep them for
                // the pass): as strong references read from the array, each record's calls
                // retained and released three objects per member.
                try readers.withUnsafeBufferPointer { tasks in
                    try ConsumerRecords.forEachShared(parts, decoder: reading.decoder, cache: cache, runLength: runLength) { run, holders in
                        for i in holders where !stopped[i] {
                            do {
                                let reader = tasks[i].reader
                                try tasks[i].member._withUnsafeGuaranteedRef { member in
                                    for view in run { try member.process(view, of: tp, with: reader) }
                                }
                            } catch let crash as SimulatedCrash {
                                throw crash
                            } catch {
                                failed[tasks[i].index] = error
                                stopped[i] = true
                            }
                        }
                    }
                }
            }
        }
        return failed
    }

    /// Runs steps on a thread of its own until `shouldStop` (checked between steps), then
    /// commits and leaves every group. A failure is kept in `error`.
    func start(shouldStop: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in
            do {
                try subscribe()
                while !shouldStop() {
                    for member in members { member.updateLag() }
                    try step(pollTimeoutMs: 100, overlapping: true)
                }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
            for member in members { try? member.close() }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func wakeup() {
        for member in members { member.consumer.wakeup() }
    }

    func join() { done.wait() }
}
