import SluiceClient
import SluiceGroups
import Testing

/// Wrong calls get a clear error, with the Kafka code where Kafka has one, and change nothing.
@Suite("Consumer bad input")
struct ClientBadInputTests {
    /// A cluster with group `g` live (one member owning every partition of `orders`) and
    /// offset 5 committed for orders-0.
    func liveGroup() throws -> (TestCluster, Consumer) {
        let cluster = try TestCluster()
        try cluster.produce(count: 60)
        let consumer = try cluster.consumer(group: "g")
        try consumer.subscribe(["orders"])
        try pollUntil([consumer]) { consumer.assignment.count == 3 }
        try consumer.commit([TopicPartition("orders", 0): 5])
        return (cluster, consumer)
    }

    func expectGroupError(_ code: Int16, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected Kafka error \(code), but the call succeeded", sourceLocation: sourceLocation)
        } catch let error as ConsumerError {
            #expect(error.kafkaCode == code, "\(error)", sourceLocation: sourceLocation)
        } catch let error as GroupError {
            #expect(error.code.rawValue == code, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected Kafka error \(code), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func invalidOffsetsAreRefusedWithOffsetOutOfRange() throws {
        let (cluster, consumer) = try liveGroup()
        let before = cluster.committed("g")
        let end = try cluster.endOffsets()[TopicPartition("orders", 1)] ?? 0
        expectGroupError(1) { try consumer.commit([TopicPartition("orders", 1): -1]) }
        expectGroupError(1) { try consumer.commit([TopicPartition("orders", 1): end + 1]) }
        // One bad partition rejects the whole commit.
        expectGroupError(1) { try consumer.commit([TopicPartition("orders", 1): 1, TopicPartition("orders", 2): -5]) }
        #expect(cluster.committed("g") == before)
        #expect(throws: ConsumerError.self) { try consumer.seek(TopicPartition("orders", 0), to: .offset(-3)) }
        try consumer.close()
    }

    @Test func commitsForPartitionsNotOwnedAreRefused() throws {
        let (cluster, consumer) = try liveGroup()
        let before = cluster.committed("g")
        _ = try cluster.log.createTopic("other", partitions: 1)
        do {
            try consumer.commit([TopicPartition("other", 0): 0])
            Issue.record("a commit for a partition this member does not own was accepted")
        } catch ConsumerError.notAssigned(let tp, let why) {
            #expect(tp == TopicPartition("other", 0))
            #expect(why.contains("owns"))
        }
        #expect(cluster.committed("g") == before)
        try consumer.close()
    }

    @Test func unknownTopicsAndPartitions() throws {
        let cluster = try TestCluster()
        let consumer = try cluster.consumer(group: "g")
        expectGroupError(3) { try consumer.subscribe(["nope"]) }
        expectGroupError(3) { try consumer.assign([TopicPartition("orders", 7)]) }
        expectGroupError(3) {
            try cluster.backend.coordinator.commitOffsets(groupId: "g", identity: .standalone, offsets: [TopicPartition("nope", 0): .init(offset: 0)])
        }
        #expect(cluster.committed("g").isEmpty)
        // A group id longer than __consumer_offsets keys can hold: INVALID_GROUP_ID.
        expectGroupError(24) {
            try cluster.backend.coordinator.commitOffsets(
                groupId: String(repeating: "g", count: 40_000), identity: .standalone, offsets: [TopicPartition("orders", 0): .init(offset: 0)])
        }
        try consumer.close()
    }

    @Test func resettingOrDeletingALiveGroupIsRefused() throws {
        let (cluster, consumer) = try liveGroup()
        let before = cluster.committed("g")
        // What `groups reset-offsets` does: a standalone commit, refused while members are live.
        expectGroupError(25) {
            try cluster.backend.coordinator.commitOffsets(groupId: "g", identity: .standalone, offsets: [TopicPartition("orders", 0): .init(offset: 0)])
        }
        expectGroupError(68) { try cluster.backend.coordinator.deleteGroup("g") }
        #expect(cluster.committed("g") == before)
        try consumer.close()
        // Once the group is empty both work.
        try cluster.backend.coordinator.commitOffsets(groupId: "g", identity: .standalone, offsets: [TopicPartition("orders", 0): .init(offset: 0)])
        try cluster.backend.coordinator.deleteGroup("g")
        #expect(cluster.committed("g").isEmpty)
    }

    @Test func unknownGroups() throws {
        let cluster = try TestCluster()
        #expect(cluster.backend.coordinator.describeGroup("ghost").state == .dead)
        expectGroupError(69) { try cluster.backend.coordinator.deleteGroup("ghost") }
        let consumer = try cluster.consumer(group: "ghost")
        #expect(try consumer.committed([TopicPartition("orders", 0)]).isEmpty)
        try consumer.close()
        #expect(cluster.backend.coordinator.listGroups().isEmpty)
    }

    @Test func misconfiguredConsumers() throws {
        let cluster = try TestCluster()
        let groupless = try cluster.consumer(group: nil)
        #expect(throws: ConsumerError.self) { try groupless.subscribe(["orders"]) }
        try groupless.assign([TopicPartition("orders", 0)])
        #expect(throws: ConsumerError.self) { try groupless.commit([TopicPartition("orders", 0): 0]) }
        try groupless.close()
        #expect(throws: ConsumerError.self) { _ = try cluster.consumer(group: "g") { $0.partitionAssignmentStrategy = ["sticky-ish"] } }
        // A session timeout the coordinator does not allow: INVALID_SESSION_TIMEOUT from poll.
        let impatient = try cluster.consumer(group: "g") { $0.sessionTimeoutMs = 1 }
        try impatient.subscribe(["orders"])
        expectGroupError(26) { _ = try impatient.poll(timeoutMs: 100) }
        try impatient.close()
        #expect(cluster.committed("g").isEmpty)
    }
}
