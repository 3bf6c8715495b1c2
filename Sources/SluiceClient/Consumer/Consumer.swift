import Dispatch
public import SluiceGroups
import Synchronization

/// Reads records from topics, alone (`assign`) or as a member of a consumer group (`subscribe`),
/// and commits how far it got.
///
/// Two ways to use it:
/// - **Handler style** (`run`, `runBatches`, or the async sequences `records()` / `batches()`):
///   the consumer knows when each record's processing finished and commits per
///   `configuration.ackMode` (Spring Kafka's AckModes). This is the at-least-once path.
/// - **Poll style** (`poll`, `markProcessed`, `commit`), as Kafka's `KafkaConsumer`, for full
///   control; `enableAutoCommit` gives Kafka's auto-commit (which commits what `poll` handed out).
///
/// Guarantees:
/// - Only offsets of processed records are committed (except with `enableAutoCommit`, which by
///   Kafka's definition commits what was handed out). A committed offset is the next offset to
///   read, and is durable when `commit` returns. With `syncCommits` off, the AckMode's
///   commits land in the background, in order, and any other commit waits for them first.
/// - Revoked partitions are committed up to what was processed before they go, so the next
///   owner neither skips nor (after a clean handover) repeats records. Lost partitions (timed
///   out, fenced) are not committed: their records are delivered again.
/// - `close()` commits what was processed and leaves the group at once, so the others take over
///   without waiting for a session timeout.
///
/// Threading: like Kafka's consumer, drive it from one thread at a time (`poll`, `run`); `stop()`
/// and `wakeup()` may be called from anywhere.
public final class Consumer: Sendable {
    public let configuration: ConsumerConfiguration
    private let backend: any ConsumerBackend
    private let state = Mutex(State())
    private let clock: @Sendable () -> Int64
    private let pollQueue = DispatchQueue(label: "sluice-consumer-poll")
    /// Every commit goes through this queue, in order: background commits (`commitAsync`,
    /// AckMode commits without `syncCommits`) run on it, and the others wait their turn on it,
    /// so that an older commit never lands after a newer one.
    private let commitQueue = DispatchQueue(label: "sluice-consumer-commit")
    /// Set on `commitQueue`, so that a commit made from it (a `commitAsync` completion that
    /// commits again) runs at once instead of waiting for itself.
    private let onCommitQueue = DispatchSpecificKey<Bool>()

    private struct State {
        var listener: RebalanceListener?
        /// The offset after the last processed record, per partition.
        var processed: [TopicPartition: Int64] = [:]
        /// The offset after the last record handed out by `poll`, per partition.
        var handedOut: [TopicPartition: Int64] = [:]
        /// What this consumer last committed, per partition.
        var committed: [TopicPartition: Int64] = [:]
        var lastCommitMs: Int64 = 0
        var processedSinceCommit = 0
        var stopRequested = false
        var closed = false
        /// The first failure of a background AckMode commit, for the next commit to throw.
        var backgroundCommitFailure: (any Error)?
    }

    public convenience init(backend: any Backend, configuration: ConsumerConfiguration) throws {
        try self.init(backend: backend, configuration: configuration) { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    }

    /// - Parameter clock: milliseconds for the AckMode and auto-commit timers, so that tests
    ///   (and `SluiceTesting`'s driver) decide when `time` commits fall due.
    public init(backend: any Backend, configuration: ConsumerConfiguration, clock: @escaping @Sendable () -> Int64) throws {
        self.configuration = configuration
        self.backend = try backend.makeConsumer(configuration)
        self.clock = clock
        commitQueue.setSpecific(key: onCommitQueue, value: true)
        state.withLock { $0.lastCommitMs = clock() }
    }

    // MARK: Subscription

    /// Joins `configuration.groupId` and shares `topics`' partitions with the other members.
    public func subscribe(_ topics: [String], listener: RebalanceListener? = nil) throws {
        state.withLock { $0.listener = listener }
        try backend.subscribe(topics) { [weak self] event in try self?.handle(event) }
    }

    /// Reads exactly `partitions`, outside group management (commits need a group id and are
    /// accepted while the group has no members).
    ///
    /// As Kafka's `assign`, this replaces the assignment rather than adding to it: an empty list
    /// unassigns everything. Partitions that stay keep their positions. Those dropped are
    /// committed first up to what was processed (handed out, with auto-commit), as a revoked
    /// partition is, so whoever reads them next continues there; then they are forgotten.
    /// - Throws: when a partition does not exist or the commit fails; the assignment is then
    ///   unchanged.
    public func assign(_ partitions: [TopicPartition]) throws {
        let dropped = backend.assignment.subtracting(partitions)
        if !dropped.isEmpty, configuration.groupId != nil {
            try commitInOrder(state.withLock { s in
                pendingOffsets(configuration.enableAutoCommit ? s.handedOut : s.processed, s.committed, only: dropped)
            })
        }
        try backend.assign(partitions)
        forget(Array(dropped))
    }

    public var assignment: Set<TopicPartition> { backend.assignment }
    public var groupMetadata: ConsumerGroupMetadata? { backend.groupMetadata }

    private func handle(_ event: RebalanceEvent) throws {
        let listener = state.withLock { $0.listener }
        switch event {
        case .assigned(let partitions):
            try listener?.onAssigned(partitions)
        case .revoked(let partitions):
            try listener?.onRevoked(partitions)
            // Commit-on-revoke: the new owner starts right after what was done here.
            let offsets = state.withLock { s in
                let source = configuration.enableAutoCommit ? s.handedOut : s.processed
                return pendingOffsets(source, s.committed, only: Set(partitions))
            }
            do {
                try commitInOrder(offsets)
            } catch ConsumerError.group(let error) where error.code.requiresRejoin {
                // Fenced meanwhile: the records will be delivered again (never skipped).
            }
            forget(partitions)
        case .lost(let partitions):
            try listener?.onLost(partitions)
            forget(partitions)
        }
    }

    private func forget(_ partitions: [TopicPartition]) {
        state.withLock { s in
            for tp in partitions {
                s.processed[tp] = nil
                s.handedOut[tp] = nil
                s.committed[tp] = nil
            }
        }
    }

    // MARK: Poll style

    /// Fetches what is available, waiting up to `timeoutMs` for data. Also runs the group
    /// protocol: rebalance listeners and commit-on-revoke run inside this call.
    public func poll(timeoutMs: Int = 100) throws -> ConsumerRecords {
        if configuration.enableAutoCommit { try autoCommitIfDue() }
        let records = try backend.poll(timeoutMs: timeoutMs)
        if !records.partitions.isEmpty {
            state.withLock { s in
                for part in records.partitions { s.handedOut[part.partition] = part.nextOffset }
            }
        }
        return records
    }

    /// Marks records processed: the next `commit()` (or the AckMode) includes them.
    public func markProcessed(_ record: ConsumerRecord) {
        markProcessed([record.topicPartition: record.offset + 1])
    }

    /// Marks a whole poll processed.
    public func markProcessed(_ records: ConsumerRecords) { markProcessed(records.nextOffsets) }

    /// Marks processed up to (not including) each offset.
    public func markProcessed(_ offsets: [TopicPartition: Int64]) {
        state.withLock { s in
            for (tp, offset) in offsets where offset > (s.processed[tp] ?? .min) { s.processed[tp] = offset }
        }
    }

    /// Synchronously and durably commits every processed offset not yet committed, and the
    /// starting position of every owned partition nothing was read from yet (as Kafka's
    /// `commitSync()` does): a group then resumes where it started on those partitions too,
    /// instead of applying `auto.offset.reset` again and skipping what arrived meanwhile.
    public func commit() throws {
        try commitInOrder(processedAndUntouched())
    }

    /// What `commit()` commits: the processed offsets not yet committed, and the positions of
    /// owned partitions nothing was read from.
    private func processedAndUntouched() -> [TopicPartition: Int64] {
        var offsets = state.withLock { pendingOffsets($0.processed, $0.committed, only: nil) }
        offsets.merge(untouchedPositions()) { processed, _ in processed }
        return offsets
    }

    /// Positions of owned partitions with nothing handed out or processed, where they differ
    /// from what this consumer last committed. Committing them is safe: nothing before them was
    /// skipped by this consumer.
    private func untouchedPositions() -> [TopicPartition: Int64] {
        guard configuration.groupId != nil else { return [:] }
        let (touched, committed) = state.withLock { (Set($0.processed.keys).union($0.handedOut.keys), $0.committed) }
        var positions: [TopicPartition: Int64] = [:]
        for tp in backend.assignment where !touched.contains(tp) {
            guard let position = try? backend.position(tp), committed[tp] != position else { continue }
            positions[tp] = position
        }
        return positions
    }

    /// Synchronously and durably commits these offsets (the next offset to read per partition).
    public func commit(_ offsets: [TopicPartition: Int64]) throws { try commitInOrder(offsets) }

    /// Commits the processed offsets on a background queue (in call order, and before any
    /// commit made after this call); `completion` receives the error, if any.
    public func commitAsync(completion: (@Sendable ((any Error)?) -> Void)? = nil) {
        let offsets = state.withLock { pendingOffsets($0.processed, $0.committed, only: nil) }
        commitQueue.async { [self] in
            do {
                try commitNow(offsets)
                completion?(nil)
            } catch {
                completion?(error)
            }
        }
    }

    /// Waits until every commit made so far has landed (background ones included).
    /// - Throws: the failure of a background commit not reported yet.
    public func waitForCommits() throws {
        if DispatchQueue.getSpecific(key: onCommitQueue) != true { commitQueue.sync {} }
        try rethrowBackgroundFailure()
    }

    /// Commits `offsets` once the background commits made before have landed, and waits until
    /// it is durable. Throws a background commit's failure not reported yet, first.
    private func commitInOrder(_ offsets: [TopicPartition: Int64]) throws {
        try rethrowBackgroundFailure()
        if DispatchQueue.getSpecific(key: onCommitQueue) == true { return try commitNow(offsets) }
        try commitQueue.sync { try commitNow(offsets) }
    }

    /// An AckMode commit without `syncCommits`: what `commit()` would commit now, committed on
    /// the commit queue while the caller goes on. One is in flight at most: a commit waits
    /// for the one before to land (usually long done), which bounds what a crash repeats. The
    /// AckMode's counters restart now, as if the commit were done. A failure other than a
    /// rebalance (which leaves the offsets pending, as for a synchronous AckMode commit) is
    /// thrown by the next commit.
    private func commitInBackground() throws {
        try waitForCommits()
        let offsets = processedAndUntouched()
        let now = clock()
        state.withLock { s in
            s.lastCommitMs = now
            s.processedSinceCommit = 0
        }
        guard !offsets.isEmpty else { return }
        commitQueue.async { [self] in
            do {
                try commitNow(offsets, restartingCounters: false)
            } catch ConsumerError.group(let error) where error.code.requiresRejoin {
            } catch {
                state.withLock { $0.backgroundCommitFailure = $0.backgroundCommitFailure ?? error }
            }
        }
    }

    private func rethrowBackgroundFailure() throws {
        let failure = state.withLock { s in
            defer { s.backgroundCommitFailure = nil }
            return s.backgroundCommitFailure
        }
        if let failure { throw failure }
    }

    /// Commits on the calling thread, now; callers keep the order (`commitInOrder`, or the
    /// commit queue itself).
    private func commitNow(_ offsets: [TopicPartition: Int64], restartingCounters: Bool = true) throws {
        let now = clock()
        guard !offsets.isEmpty else {
            if restartingCounters {
                state.withLock { s in
                    s.lastCommitMs = now
                    s.processedSinceCommit = 0
                }
            }
            return
        }
        try backend.commit(offsets)
        state.withLock { s in
            for (tp, offset) in offsets { s.committed[tp] = max(s.committed[tp] ?? .min, offset) }
            if restartingCounters {
                s.lastCommitMs = now
                s.processedSinceCommit = 0
            }
        }
    }

    private func pendingOffsets(
        _ source: [TopicPartition: Int64], _ committed: [TopicPartition: Int64], only: Set<TopicPartition>?
    ) -> [TopicPartition: Int64] {
        source.filter { tp, offset in (only?.contains(tp) ?? true) && offset > (committed[tp] ?? .min) }
    }

    private func autoCommitIfDue() throws {
        let offsets = state.withLock { s -> [TopicPartition: Int64]? in
            guard clock() - s.lastCommitMs >= Int64(configuration.autoCommitIntervalMs) else { return nil }
            return pendingOffsets(s.handedOut, s.committed, only: nil)
        }
        guard let offsets else { return }
        do {
            try commitInOrder(offsets)
        } catch ConsumerError.group(let error) where error.code.requiresRejoin {
            // Kafka logs and carries on: the group is rebalancing; the next poll rejoins.
        }
    }

    /// The committed offsets of `partitions` for this consumer's group.
    public func committed(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] { try backend.committed(partitions) }

    public func seek(_ partition: TopicPartition, to position: SeekPosition) throws {
        try backend.seek(partition, to: position)
        // Records before the new position are no longer "handed out"; processed stays as is.
        let offset = try backend.position(partition)
        state.withLock { $0.handedOut[partition] = offset }
    }

    /// The offset of the next record `poll` will return for `partition`.
    public func position(_ partition: TopicPartition) throws -> Int64 { try backend.position(partition) }

    public func pause(_ partitions: [TopicPartition]) { backend.pause(partitions) }
    public func resume(_ partitions: [TopicPartition]) { backend.resume(partitions) }
    public var paused: Set<TopicPartition> { backend.paused }

    /// Ends a waiting `poll` early (from any thread).
    public func wakeup() { backend.wakeup() }

    /// Commits what was processed (what was handed out, with auto-commit), then leaves the group.
    public func close() throws {
        guard !state.withLock({ s in defer { s.closed = true }; return s.closed }) else { return }
        var failure: (any Error)?
        do {
            if configuration.enableAutoCommit {
                try commitInOrder(state.withLock { pendingOffsets($0.handedOut, $0.committed, only: nil) })
            } else if configuration.groupId != nil {
                try commitProcessed(synchronously: true)
            }
        } catch {
            failure = error
        }
        do { try backend.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    // MARK: Handler style

    /// Asks `run`/`runBatches` to return after the batch in hand (from any thread).
    public func stop() {
        state.withLock { $0.stopRequested = true }
        backend.wakeup()
    }

    private var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Polls and hands every record to `handler` until `stop()`, committing per
    /// `configuration.ackMode`. If `handler` throws, what was processed before it is committed
    /// and the error is rethrown (the failed record will be delivered again).
    /// - Parameter until: checked before every poll; `run` returns once it is true.
    public func run(
        pollTimeoutMs: Int = 100, until: () throws -> Bool = { false }, _ handler: (ConsumerRecord, Acknowledgment) throws -> Void
    ) throws {
        try loop(pollTimeoutMs, until) { records in
            var done: [TopicPartition: Int64] = [:]
            defer { if !configuration.ackMode.isManual { markProcessed(done) } }
            for record in try records.records() {
                let next = [record.topicPartition: record.offset + 1]
                try handler(record, Acknowledgment(consumer: self, offsets: next))
                done[record.topicPartition] = record.offset + 1
                if configuration.ackMode == .record {
                    markProcessed(next)
                    try commitProcessed()
                }
            }
        }
    }

    /// `run` for handlers that never acknowledge by hand (every mode but the manual ones).
    public func run(pollTimeoutMs: Int = 100, until: () throws -> Bool = { false }, _ handler: (ConsumerRecord) throws -> Void) throws {
        try run(pollTimeoutMs: pollTimeoutMs, until: until) { record, _ in try handler(record) }
    }

    /// Polls and hands each poll's records to `handler` as one batch until `stop()`, committing
    /// per `configuration.ackMode` (`record` behaves as `batch` here). The zero-copy path:
    /// iterate with `ConsumerRecords.forEach`.
    public func runBatches(
        pollTimeoutMs: Int = 100, until: () throws -> Bool = { false }, _ handler: (ConsumerRecords, Acknowledgment) throws -> Void
    ) throws {
        try loop(pollTimeoutMs, until) { records in
            try handler(records, Acknowledgment(consumer: self, offsets: records.nextOffsets))
            if !configuration.ackMode.isManual { markProcessed(records) }
        }
    }

    /// One turn of `runBatches`: a poll, `handler` on its records (if any), and the AckMode's
    /// commit decision. For callers that drive the consumer step by step, such as a
    /// deterministic test driver. Returns how many records were handled.
    @discardableResult
    public func runOnce(pollTimeoutMs: Int, _ handler: (ConsumerRecords, Acknowledgment) throws -> Void) throws -> Int {
        try step(pollTimeoutMs) { records in
            try handler(records, Acknowledgment(consumer: self, offsets: records.nextOffsets))
            if !configuration.ackMode.isManual { markProcessed(records) }
        }
    }

    /// `runOnce` for work that ends after `handler` returns: outputs that are still being
    /// written and synced in the background, say. Nothing of the poll counts as processed — not
    /// for the AckMode's commits, commit-on-revoke or `close()` — until the caller hands the
    /// returned batch to `complete(_:)`, once that work is done and durable. Every AckMode
    /// behaves as for `runOnce`, one completion later (`manual` ones as if the whole batch were
    /// acknowledged at completion).
    /// - Returns: the poll's batch to complete; nil when it was empty.
    public func runOnce(pollTimeoutMs: Int, completingLater handler: (ConsumerRecords) throws -> Void) throws -> PendingBatch? {
        var batch: PendingBatch?
        try step(pollTimeoutMs, completingLater: true) { records in
            try handler(records)
            batch = PendingBatch(offsets: records.nextOffsets, count: records.count)
        }
        return batch
    }

    /// Marks a batch of `runOnce(pollTimeoutMs:completingLater:)` processed and makes the
    /// AckMode's commit decision for it, as `runOnce` does when its handler returns. Partitions
    /// this consumer no longer owns are left out: their new owner starts from the last commit
    /// and reads those records again (at-least-once), and a commit from here must not move an
    /// offset the owner now commits.
    public func complete(_ batch: PendingBatch) throws {
        let owned = Set(backend.assignment)
        markProcessed(batch.offsets.filter { owned.contains($0.key) })
        if configuration.ackMode == .manualImmediate {
            try commitProcessed()
        } else {
            try afterPoll(count: batch.count)
        }
    }

    private func loop(_ pollTimeoutMs: Int, _ until: () throws -> Bool, _ process: (ConsumerRecords) throws -> Void) throws {
        state.withLock { $0.stopRequested = false }
        while try !stopRequested && !until() {
            try step(pollTimeoutMs, process)
        }
    }

    /// - Parameter completingLater: the records are not processed when `process` returns (see
    ///   `runOnce(pollTimeoutMs:completingLater:)`): the commit decision counts none of them.
    @discardableResult
    private func step(_ pollTimeoutMs: Int, completingLater: Bool = false, _ process: (ConsumerRecords) throws -> Void) throws -> Int {
        let records = try poll(timeoutMs: pollTimeoutMs)
        do {
            if !records.isEmpty { try process(records) }
        } catch let abort as any ConsumerAbort {
            throw abort  // stop dead: nothing more is committed
        } catch {
            try? commit()  // keep what was finished before the failure
            throw error
        }
        try afterPoll(count: completingLater ? 0 : records.count)
        return records.count
    }

    /// The AckMode decision made after each poll's `count` records were processed (Spring's
    /// `processCommits`): `batch` and `manual` commit, `time`/`count` when due.
    func afterPoll(count polled: Int) throws {
        guard !configuration.enableAutoCommit else { return }
        let elapsed = clock() - state.withLock { $0.lastCommitMs }
        let count = state.withLock { s in
            s.processedSinceCommit += polled
            return s.processedSinceCommit
        }
        switch configuration.ackMode {
        case .record, .batch, .manual:
            if polled > 0 { try commitProcessed() }
        case .manualImmediate:
            break
        case .time(let ms):
            if elapsed >= Int64(ms) { try commitProcessed() }
        case .count(let n):
            if count >= n { try commitProcessed() }
        case .countTime(let n, let ms):
            if count >= n || elapsed >= Int64(ms) { try commitProcessed() }
        }
    }

    /// An AckMode commit: in the background unless `configuration.syncCommits` (or
    /// `synchronously`). When the group is rebalancing (or this member was fenced) the offsets
    /// stay pending, as Spring's container does: the next commit point, or the commit-on-revoke,
    /// retries them; if the partition was lost instead, its new owner repeats those records.
    func commitProcessed(synchronously: Bool = false) throws {
        do {
            if configuration.syncCommits || synchronously {
                try commit()
            } else {
                try commitInBackground()
            }
        } catch ConsumerError.group(let error) where error.code.requiresRejoin {
        }
    }

    // MARK: Async

    /// Runs a blocking poll off the cooperative thread pool.
    func pollAsync(timeoutMs: Int) async throws -> ConsumerRecords {
        try await withCheckedThrowingContinuation { continuation in
            pollQueue.async { [self] in
                continuation.resume(with: Result { try poll(timeoutMs: timeoutMs) })
            }
        }
    }

    /// The records as an async sequence. A record counts as processed when the loop asks for
    /// the next one; commits follow `configuration.ackMode` (manual modes: call
    /// `acknowledge(_:)`). Ends when the task is cancelled or `stop()` is called.
    public func records(pollTimeoutMs: Int = 200) -> ConsumerRecordSequence {
        ConsumerRecordSequence(consumer: self, pollTimeoutMs: pollTimeoutMs)
    }

    /// Each poll as one element of an async sequence; a batch counts as processed when the loop
    /// asks for the next.
    public func batches(pollTimeoutMs: Int = 200) -> ConsumerBatchSequence {
        ConsumerBatchSequence(consumer: self, pollTimeoutMs: pollTimeoutMs)
    }

    /// The acknowledgment for a record, for the manual AckModes with the async sequences.
    public func acknowledgment(for record: ConsumerRecord) -> Acknowledgment {
        Acknowledgment(consumer: self, offsets: [record.topicPartition: record.offset + 1])
    }

    func nextBatch(pollTimeoutMs: Int) async throws -> ConsumerRecords? {
        state.withLock { $0.stopRequested = false }
        while !Task.isCancelled && !stopRequested {
            let records = try await pollAsync(timeoutMs: pollTimeoutMs)
            if !records.isEmpty { return records }
            try afterPoll(count: records.count)  // `time` commits fall due while idle too
        }
        return nil
    }
}

/// An error that stops a handler loop (`run`, `runBatches`, `runOnce`) without the commit it
/// otherwise makes on the way out: what `kill -9` would do. Test drivers throw one to simulate
/// a crash; any other error first commits what was processed before it.
public protocol ConsumerAbort: Error {}
