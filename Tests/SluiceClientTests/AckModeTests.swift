import Synchronization
import Testing

@testable import SluiceClient

/// Pins, for every AckMode, exactly when offsets are committed. The topic has one partition
/// holding 12 records in 3 stored batches of 4, and `max.poll.records=4`, so each poll returns
/// one batch: records 0–3, 4–7, 8–11. Each test records the committed offset the handler sees
/// before it processes each record.
@Suite("AckModes")
struct AckModeTests {
    final class ManualClock: Sendable {
        let ms = Atomic<Int64>(0)
        func advance(_ by: Int64) { ms.add(by, ordering: .relaxed) }
        var read: @Sendable () -> Int64 { { self.ms.load(ordering: .relaxed) } }
    }

    struct Run {
        /// Committed offset seen before handling record i.
        var seen: [Int64] = []
        /// Committed offset when `run` returned (before `close`).
        var afterRun: Int64 = 0
        /// Committed offset after `close`.
        var afterClose: Int64 = 0
    }

    static let tp = TopicPartition("t", 0)

    func cluster() throws -> TestCluster {
        let cluster = try TestCluster(topics: ["t": 1])
        for batch in 0..<3 { try cluster.produce("t", count: 4, from: batch * 4) }  // one stored batch per call
        return cluster
    }

    /// A consumer in group `g` assigned t-0, reading from the start, `max.poll.records=4`.
    func assigned(
        _ cluster: TestCluster, _ mode: AckMode = .batch, clock: ManualClock? = nil, _ tweak: (inout ConsumerConfiguration) -> Void = { _ in }
    ) throws -> Consumer {
        var configuration = ConsumerConfiguration(groupId: "g")
        configuration.autoOffsetReset = .earliest
        configuration.ackMode = mode
        configuration.maxPollRecords = 4
        tweak(&configuration)
        let consumer =
            try clock.map { try Consumer(backend: cluster.backend, configuration: configuration, clock: $0.read) }
            ?? Consumer(backend: cluster.backend, configuration: configuration)
        try consumer.assign([Self.tp])
        return consumer
    }

    func consume(
        _ mode: AckMode, clock: ManualClock = ManualClock(), _ body: (ConsumerRecord, Acknowledgment, Consumer, ManualClock) throws -> Void = { _, _, _, _ in }
    ) throws -> Run {
        let cluster = try cluster()
        let consumer = try assigned(cluster, mode, clock: clock)
        var run = Run()
        let committed = { cluster.committed("g")[Self.tp] ?? 0 }
        try consumer.run { record, ack in
            run.seen.append(committed())
            try body(record, ack, consumer, clock)
            if record.offset == 11 { consumer.stop() }
        }
        run.afterRun = committed()
        try consumer.close()
        run.afterClose = committed()
        return run
    }

    @Test func record() throws {
        let run = try consume(.record)
        #expect(run.seen == Array(0...11))
        #expect(run.afterRun == 12)
    }

    @Test func batch() throws {
        let run = try consume(.batch)
        #expect(run.seen == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8])
        #expect(run.afterRun == 12)
    }

    @Test func time() throws {
        // 50 ms pass per batch; commits need 100 ms since the last one: after batch 2 only.
        let run = try consume(.time(milliseconds: 100)) { record, _, _, clock in if record.offset % 4 == 3 { clock.advance(50) } }
        #expect(run.seen == [0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8])
        #expect(run.afterRun == 8)
        #expect(run.afterClose == 12, "close commits what was processed")
    }

    @Test func count() throws {
        // 4 records per batch; commits need 6 since the last one: after batch 2 (8 ≥ 6), not after 3 (4).
        let run = try consume(.count(6))
        #expect(run.seen == [0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8])
        #expect(run.afterRun == 8)
        #expect(run.afterClose == 12)
    }

    @Test func countTimeWhicheverComesFirst() throws {
        // Count 10 is never reached in one stretch; 120 ms pass per batch against a 100 ms limit.
        let byTime = try consume(.countTime(count: 10, milliseconds: 100)) { record, _, _, clock in
            if record.offset % 4 == 3 { clock.advance(120) }
        }
        #expect(byTime.seen == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8])
        // Count 5 is reached after batch 2; time never is.
        let byCount = try consume(.countTime(count: 5, milliseconds: 1_000_000))
        #expect(byCount.seen == [0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8])
    }

    @Test func manualCommitsWhatWasAcknowledgedAfterTheBatch() throws {
        let run = try consume(.manual) { record, ack, _, _ in if record.offset == 1 || record.offset == 10 { try ack.acknowledge() } }
        #expect(run.seen == [0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2])
        #expect(run.afterRun == 11)
        #expect(run.afterClose == 11, "record 11 was never acknowledged, so it is not committed")
    }

    @Test func manualImmediateCommitsInsideAcknowledge() throws {
        let run = try consume(.manualImmediate) { record, ack, _, _ in if record.offset == 1 || record.offset == 6 { try ack.acknowledge() } }
        #expect(run.seen == [0, 0, 2, 2, 2, 2, 2, 7, 7, 7, 7, 7])
        #expect(run.afterClose == 7)
    }

    @Test func autoCommitCommitsWhatPollHandedOut() throws {
        let cluster = try cluster()
        let consumer = try assigned(cluster) { configuration in
            configuration.enableAutoCommit = true
            configuration.autoCommitIntervalMs = 0
        }
        #expect(try consumer.poll(timeoutMs: 1_000).count == 4)
        #expect(cluster.committed("g").isEmpty)
        // Nothing was processed, yet the next poll commits the 4 records it handed out:
        // Kafka's auto-commit semantics, and why a crash here would skip them.
        #expect(try consumer.poll(timeoutMs: 1_000).count == 4)
        #expect(cluster.committed("g")[Self.tp] == 4)
        try consumer.close()
        #expect(cluster.committed("g")[Self.tp] == 8, "close commits the handed-out position")
    }

    @Test func aFailingHandlerCommitsWhatWasDoneBeforeIt() throws {
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            _ = try consume(.batch) { record, _, _, _ in if record.offset == 6 { throw Boom() } }
        }
        // Verified through a fresh run: the group resumes at the failed record.
        let cluster = try cluster()
        let consumer = try assigned(cluster)
        #expect(throws: Boom.self) {
            try consumer.run { record in if record.offset == 6 { throw Boom() } }
        }
        #expect(cluster.committed("g")[Self.tp] == 6)
        try consumer.close()
        #expect(cluster.committed("g")[Self.tp] == 6, "the failed record is not committed")
    }

    @Test func aBatchCompletedLaterIsCommittedOnlyOnceCompleted() throws {
        let cluster = try cluster()
        let consumer = try assigned(cluster)
        let committed = { cluster.committed("g")[Self.tp] ?? 0 }
        let first = try #require(try consumer.runOnce(pollTimeoutMs: 0, completingLater: { #expect($0.count == 4) }))
        let second = try #require(try consumer.runOnce(pollTimeoutMs: 0, completingLater: { _ in }))
        #expect(committed() == 0, "a batch whose work is not done is not committed")
        try consumer.complete(first)
        #expect(committed() == 4)
        try consumer.complete(second)
        #expect(committed() == 8)
        // Never completed: neither the AckMode nor close() commits it.
        _ = try consumer.runOnce(pollTimeoutMs: 0, completingLater: { _ in })
        #expect(try consumer.runOnce(pollTimeoutMs: 0, completingLater: { _ in }) == nil, "the partition is drained")
        try consumer.close()
        #expect(committed() == 8)
    }

    @Test func asyncRecordSequenceInRecordMode() async throws {
        let cluster = try cluster()
        let consumer = try assigned(cluster, .record)
        var seen: [Int64] = []
        for try await record in consumer.records() {
            seen.append(cluster.committed("g")[Self.tp] ?? 0)
            if record.offset == 11 { break }
        }
        #expect(seen == Array(0...11))
        try consumer.close()
        #expect(cluster.committed("g")[Self.tp] == 11, "the record the loop broke on was not finished")
    }

    @Test func asyncBatchSequenceInBatchMode() async throws {
        let cluster = try cluster()
        let consumer = try assigned(cluster)
        var seen: [Int64] = []
        for try await batch in consumer.batches() {
            seen.append(cluster.committed("g")[Self.tp] ?? 0)
            if batch.nextOffsets[Self.tp] == 12 { break }
        }
        #expect(seen == [0, 4, 8])
        try consumer.close()
    }
}
