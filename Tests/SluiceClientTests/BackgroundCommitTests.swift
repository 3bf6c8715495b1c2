import Dispatch
import Synchronization
import Testing

@testable import SluiceClient

/// `syncCommits = false` (Spring Kafka's `syncCommits`): AckMode commits land in the background,
/// in order, and every other commit waits for them. The consumer runs on the real embedded
/// backend behind `GatedCommits`, which holds commits at a gate (or fails them) so that the
/// background can be caught in the act.
@Suite("Background commits")
struct BackgroundCommitTests {
    static let tp = TopicPartition("t", 0)

    /// The embedded consumer, with a commit that waits for the gate to open (the next one
    /// after `gated` is set), or fails (the next one after `failNext` is).
    final class GatedCommits: ConsumerBackend {
        let base: any ConsumerBackend
        let gate = DispatchSemaphore(value: 0)
        let gated = Atomic<Bool>(false)
        let failNext = Atomic<Bool>(false)

        init(_ base: any ConsumerBackend) { self.base = base }

        func commit(_ offsets: [TopicPartition: Int64]) throws {
            if gated.exchange(false, ordering: .relaxed) { gate.wait() }
            if failNext.exchange(false, ordering: .relaxed) { throw ConsumerError.closed }
            try base.commit(offsets)
        }

        func subscribe(_ topics: [String], onRebalance: @escaping @Sendable (RebalanceEvent) throws -> Void) throws {
            try base.subscribe(topics, onRebalance: onRebalance)
        }
        func assign(_ partitions: [TopicPartition]) throws { try base.assign(partitions) }
        func poll(timeoutMs: Int) throws -> ConsumerRecords { try base.poll(timeoutMs: timeoutMs) }
        func committed(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] { try base.committed(partitions) }
        func seek(_ partition: TopicPartition, to position: SeekPosition) throws { try base.seek(partition, to: position) }
        func position(_ partition: TopicPartition) throws -> Int64 { try base.position(partition) }
        func pause(_ partitions: [TopicPartition]) { base.pause(partitions) }
        func resume(_ partitions: [TopicPartition]) { base.resume(partitions) }
        var paused: Set<TopicPartition> { base.paused }
        var assignment: Set<TopicPartition> { base.assignment }
        var groupMetadata: ConsumerGroupMetadata? { base.groupMetadata }
        func wakeup() { base.wakeup() }
        func close() throws { try base.close() }
    }

    final class Gated: Backend {
        let base: EmbeddedBackend
        let made = Mutex<GatedCommits?>(nil)

        init(base: EmbeddedBackend) { self.base = base }

        func makeConsumer(_ configuration: ConsumerConfiguration) throws -> any ConsumerBackend {
            let consumer = GatedCommits(try base.makeConsumer(configuration))
            made.withLock { $0 = consumer }
            return consumer
        }
        func makeProducer(_ configuration: ProducerConfiguration) throws -> any ProducerBackend { try base.makeProducer(configuration) }
        func partitionCount(of topic: String) throws -> Int { try base.partitionCount(of: topic) }
    }

    /// A `batch`-mode consumer of t-0 (12 records, polls of 4) with background commits.
    func consumer(_ cluster: TestCluster) throws -> (Consumer, GatedCommits) {
        for batch in 0..<3 { try cluster.produce("t", count: 4, from: batch * 4) }
        let backend = Gated(base: cluster.backend)
        var configuration = ConsumerConfiguration(groupId: "g")
        configuration.autoOffsetReset = .earliest
        configuration.maxPollRecords = 4
        configuration.syncCommits = false
        let consumer = try Consumer(backend: backend, configuration: configuration)
        try consumer.assign([Self.tp])
        return (consumer, try #require(backend.made.withLock { $0 }))
    }

    @Test func anAckModeCommitLandsInTheBackgroundAndAnExplicitOneAfterIt() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let (consumer, commits) = try consumer(cluster)
        commits.gated.store(true, ordering: .relaxed)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { commits.gate.signal() }
        #expect(try consumer.runOnce(pollTimeoutMs: 1_000) { _, _ in } == 4)
        // The poll's commit is held at the gate, and processing went on without it.
        #expect(cluster.committed("g")[Self.tp] == nil)

        // An explicit commit waits for it: once the gate opens, 4 lands, then 2.
        try consumer.commit([Self.tp: 2])
        try consumer.waitForCommits()
        #expect(cluster.committed("g")[Self.tp] == 2)

        #expect(try consumer.runOnce(pollTimeoutMs: 1_000) { _, _ in } == 4)
        try consumer.waitForCommits()
        #expect(cluster.committed("g")[Self.tp] == 8)
        try consumer.close()
    }

    /// A `commitAsync` completion runs on the commit queue; a commit from there must not wait
    /// for the queue (itself).
    @Test func aCommitFromACommitAsyncCompletionDoesNotDeadlock() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let (consumer, _) = try consumer(cluster)
        let done = DispatchSemaphore(value: 0)
        consumer.commitAsync { _ in
            try? consumer.commit([Self.tp: 3])
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(10)) == .success else {
            // The queue is stuck: closing would wait for it forever.
            Issue.record("the nested commit never returned")
            return
        }
        #expect(cluster.committed("g")[Self.tp] == 3)
        try consumer.close()
    }

    @Test func aFailedBackgroundCommitIsThrownOnceByTheNextCommit() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let (consumer, commits) = try consumer(cluster)
        commits.failNext.store(true, ordering: .relaxed)
        #expect(try consumer.runOnce(pollTimeoutMs: 1_000) { _, _ in } == 4)
        #expect(throws: ConsumerError.self) { try consumer.waitForCommits() }
        #expect(cluster.committed("g")[Self.tp] == nil)
        // Reported once; the offsets stayed pending, so the next commit covers them.
        try consumer.waitForCommits()
        try consumer.close()
        #expect(cluster.committed("g")[Self.tp] == 4)
    }
}
