import Synchronization
import Foundation
import SluiceClient
import SluiceGroups
import Testing

/// The behaviours of the seed note (kafka-basics.md), on the embedded backend.
@Suite("Consumer groups")
struct ConsumerGroupTests {
    @Test func everyGroupReadsEveryRecordAndGroupsAreIndependent() throws {
        let cluster = try TestCluster()
        try cluster.produce(count: 300)
        for group in ["payment", "shipping", "stats"] {
            let consumer = try cluster.consumer(group: group)
            try consumer.subscribe(["orders"])
            var seen: [String] = []
            try pollUntil([consumer], handle: { _, records in
                seen += records.values
                consumer.markProcessed(records)
            }) { seen.count >= 300 }
            try consumer.close()
            #expect(Set(seen).count == 300, "group \(group)")
            #expect(cluster.committed(group) == (try cluster.endOffsets()))
        }
    }

    @Test func partitionsAreSplitAndExtraMembersSitIdle() throws {
        let cluster = try TestCluster()
        let consumers = try (0..<4).map { _ in try cluster.consumer(group: "g") }
        for consumer in consumers { try consumer.subscribe(["orders"]) }
        try pollUntil(consumers) {
            consumers.map(\.assignment.count).reduce(0, +) == 3 && consumers.allSatisfy { $0.groupMetadata?.generationId ?? -1 > 0 }
                && Set(consumers.compactMap { $0.groupMetadata?.generationId }).count == 1
        }
        let assignments = consumers.map(\.assignment)
        #expect(assignments.filter(\.isEmpty).count == 1, "one of four members is idle with three partitions")
        #expect(Set(assignments.flatMap { $0 }).count == 3, "no partition has two owners")
        let description = cluster.backend.coordinator.describeGroup("g")
        #expect(description.state == .stable)
        #expect(description.members.count == 4)
        for consumer in consumers { try consumer.close() }
        #expect(cluster.backend.coordinator.describeGroup("g").state != .stable)
    }

    @Test func perPartitionOrderIsKept() throws {
        let cluster = try TestCluster()
        try cluster.produce(count: 500)
        let consumer = try cluster.consumer(group: "g")
        try consumer.subscribe(["orders"])
        var last: [TopicPartition: Int64] = [:]
        var count = 0
        try pollUntil([consumer], handle: { _, records in
            for record in try records.records() {
                #expect(record.offset > last[record.topicPartition] ?? -1)
                last[record.topicPartition] = record.offset
                count += 1
            }
        }) { count >= 500 }
        try consumer.close()
    }

    @Test func aGroupResumesAfterItsCommitsAndLatestSkipsHistory() throws {
        let cluster = try TestCluster()
        try cluster.produce(count: 100)
        let first = try cluster.consumer(group: "g")
        try first.subscribe(["orders"])
        var seen = 0
        try pollUntil([first], handle: { _, records in
            seen += records.count
            first.markProcessed(records)
        }) { seen >= 100 }
        try first.close()
        try cluster.produce(count: 20, prefix: "later", from: 100)
        let again = try cluster.consumer(group: "g", reset: .latest)
        try again.subscribe(["orders"])
        var values: [String] = []
        try pollUntil([again], handle: { _, records in values += records.values }) { values.count >= 20 }
        #expect(values.allSatisfy { $0.hasPrefix("later-") }, "resumes after the commits, not at the start")
        try again.close()

        // A new group with `latest` starts at the end: nothing of the history.
        let fresh = try cluster.consumer(group: "new", reset: .latest)
        try fresh.subscribe(["orders"])
        var freshSeen = 0
        try pollUntil([fresh], handle: { _, records in freshSeen += records.count }) { fresh.assignment.count == 3 }
        _ = try fresh.poll(timeoutMs: 50)
        for tp in fresh.assignment { #expect(try fresh.position(tp) == cluster.endOffsets()[tp]) }
        #expect(freshSeen == 0)
        try fresh.close()
    }

    @Test func autoOffsetResetNoneRefusesAPartitionWithoutCommits() throws {
        let cluster = try TestCluster()
        try cluster.produce(count: 10)
        let consumer = try cluster.consumer(group: "strict", reset: .none)
        try consumer.subscribe(["orders"])
        #expect(throws: ConsumerError.self) { try pollFor([consumer], seconds: 2) }
        try? consumer.close()
    }

    @Test func revokedPartitionsAreCommittedSoTheNewOwnerDoesNotRereadThem() throws {
        // The seed's trap: a member processed records but never committed; after a rebalance
        // the new owner must not start from the beginning.
        let cluster = try TestCluster()
        try cluster.produce(count: 300)
        let a = try cluster.consumer(group: "g", ackMode: .manual)
        try a.subscribe(["orders"])
        var byA: [String] = []
        try pollUntil([a], handle: { _, records in
            byA += records.values
            a.markProcessed(records)  // processed, not committed
        }) { byA.count >= 300 }
        #expect(cluster.committed("g").isEmpty)
        let b = try cluster.consumer(group: "g")
        try b.subscribe(["orders"])
        try pollUntil([a, b]) { !b.assignment.isEmpty && a.assignment.count + b.assignment.count == 3 }
        #expect(cluster.committed("g") == (try cluster.endOffsets()), "commit-on-revoke committed what A processed")
        var byB = 0
        try pollFor([a, b], seconds: 0.5) { i, records in if i == 1 { byB += records.count } }
        #expect(byB == 0, "B re-read \(byB) records")
        try a.close()
        try b.close()
    }

    @Test func aBatchCompletedAfterARebalanceCommitsOnlyThePartitionsStillOwned() throws {
        // A pipeline completes a batch once its outputs are durable, which may be after the
        // partition moved to another member: that member owns the offset now.
        let cluster = try TestCluster()
        try cluster.produce(count: 300)
        let a = try cluster.consumer(group: "g")
        try a.subscribe(["orders"])
        var batches: [PendingBatch] = []
        let deadline = Date().addingTimeInterval(10)
        while batches.reduce(0, { $0 + $1.count }) < 300 && Date() < deadline {
            if let batch = try a.runOnce(pollTimeoutMs: 5, completingLater: { _ in }) { batches.append(batch) }
        }
        #expect(batches.reduce(0) { $0 + $1.count } == 300)
        let b = try cluster.consumer(group: "g")
        try b.subscribe(["orders"])
        try pollUntil([a, b]) { !b.assignment.isEmpty && a.assignment.count + b.assignment.count == 3 }
        #expect(cluster.committed("g").isEmpty, "revoked before completion: nothing of it was processed yet")
        for batch in batches { try a.complete(batch) }
        let committed = cluster.committed("g")
        #expect(!committed.isEmpty)
        #expect(Set(committed.keys).isSubset(of: a.assignment), "committed \(committed) for partitions A no longer owns")
        try a.close()
        try b.close()
    }

    @Test func seekPositionPauseAndResume() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        try cluster.produce("t", count: 10)
        let consumer = try cluster.consumer(group: nil)
        let tp = TopicPartition("t", 0)
        try consumer.assign([tp])
        try consumer.seek(tp, to: .offset(7))
        #expect(try consumer.position(tp) == 7)
        #expect(try consumer.poll(timeoutMs: 100).values == ["r-7", "r-8", "r-9"])
        try consumer.seek(tp, to: .beginning)
        consumer.pause([tp])
        #expect(try consumer.poll(timeoutMs: 20).isEmpty)
        consumer.resume([tp])
        #expect(try consumer.poll(timeoutMs: 100).count == 10)
        try consumer.seek(tp, to: .end)
        #expect(try consumer.position(tp) == 10)
        try consumer.close()
    }

    /// Kafka's `assign` replaces the assignment: a partition left out is no longer read, the
    /// ones kept keep their positions, and what was processed of a dropped one is committed
    /// before it goes. A missing partition changes nothing.
    @Test func assignReplacesTheAssignment() throws {
        let cluster = try TestCluster(topics: ["t": 3])
        let producer = try Producer(backend: cluster.backend)
        for partition in Int32(0)..<3 {
            for i in 0..<5 { try producer.send(topic: "t", partition: partition, key: nil, value: Array("r-\(i)".utf8)) }
        }
        try producer.close()
        let consumer = try cluster.consumer(group: "g")
        let (p0, p1, p2) = (TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("t", 2))
        try consumer.assign([p0, p1])
        #expect(consumer.assignment == [p0, p1])
        try consumer.seek(p0, to: .offset(3))
        try consumer.seek(p1, to: .offset(2))
        consumer.markProcessed([p0: 3])

        try consumer.assign([p1, p2, p2])
        #expect(consumer.assignment == [p1, p2])
        #expect(cluster.committed("g") == [p0: 3], "the dropped partition is committed up to what was processed")
        #expect(try consumer.position(p1) == 2, "a partition kept keeps its position")
        var read: [TopicPartition: Int] = [:]
        while read.values.reduce(0, +) < 3 + 5 {
            let records = try consumer.poll(timeoutMs: 100)
            #expect(!records.isEmpty)
            try records.forEach { tp, _ in read[tp, default: 0] += 1 }
        }
        #expect(read == [p1: 3, p2: 5])

        #expect(throws: (any Error).self) { try consumer.assign([p1, TopicPartition("missing", 0)]) }
        #expect(consumer.assignment == [p1, p2], "a failed assign changes nothing")
        try consumer.assign([])
        #expect(consumer.assignment.isEmpty)
        #expect(try consumer.poll(timeoutMs: 20).isEmpty)
        try consumer.close()
    }
}

@Suite("Consumer groups: topic changes")
struct ConsumerGroupTopicChangeTests {
    @Test func addedPartitionsAreAssignedWithoutARestart() throws {
        let cluster = try TestCluster()
        let consumer = try cluster.consumer(group: "g")
        try consumer.subscribe(["orders"])
        try pollUntil([consumer]) { consumer.assignment.count == 3 }
        try cluster.log.alterTopic("orders", partitions: 5)
        let producer = try Producer(backend: cluster.backend)
        try producer.send(topic: "orders", partition: 4, key: nil, value: Array("new-partition".utf8))
        try producer.close()
        var values: [String] = []
        try pollUntil([consumer], handle: { _, records in values += records.values }) { values.contains("new-partition") }
        #expect(consumer.assignment.count == 5)
        try consumer.close()
    }
}

@Suite("Consumer: listeners and seeks")
struct ConsumerListenerTests {
    final class Events: Sendable {
        let log = Mutex<[String]>([])
        func add(_ text: String) { log.withLock { $0.append(text) } }
        var all: [String] { log.withLock { $0 } }
    }

    @Test func theListenerSeesAssignmentsAndRevocationsInOrder() throws {
        let cluster = try TestCluster(topics: ["t": 2])
        let events = Events()
        let listener = RebalanceListener(
            onRevoked: { events.add("revoked \($0.map(\.partition))") }, onAssigned: { events.add("assigned \($0.map(\.partition))") })
        let first = try cluster.consumer(group: "g") { $0.partitionAssignmentStrategy = ["range"] }
        try first.subscribe(["t"], listener: listener)
        try pollUntil([first]) { first.assignment.count == 2 }
        let second = try cluster.consumer(group: "g") { $0.partitionAssignmentStrategy = ["range"] }
        try second.subscribe(["t"])
        try pollUntil([first, second]) { first.assignment.count == 1 && second.assignment.count == 1 }
        try first.close()
        // Eager (range): everything is revoked before each rejoin, then the new share assigned.
        let all = events.all
        #expect(all.count == 4, "\(all)")
        #expect(Array(all.prefix(2)) == ["assigned [0, 1]", "revoked [0, 1]"], "\(all)")
        if all.count == 4 {
            let share = all[2].dropFirst("assigned ".count)
            #expect(share == "[0]" || share == "[1]", "\(all)")
            #expect(all[3] == "revoked \(share)", "close revokes what it had: \(all)")
        }
        try second.close()
    }

    @Test func seekToATimestampFindsTheFirstRecordAtOrAfterIt() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let producer = try Producer(backend: cluster.backend)
        for i in 0..<10 { try producer.send(topic: "t", key: nil, value: Array("v\(i)".utf8), timestamp: 1_000 + Int64(i) * 100) }
        try producer.close()
        let consumer = try cluster.consumer(group: nil)
        let tp = TopicPartition("t", 0)
        try consumer.assign([tp])
        try consumer.seek(tp, to: .timestamp(1_450))
        #expect(try consumer.position(tp) == 5)
        #expect(try consumer.poll(timeoutMs: 100).values.first == "v5")
        try consumer.seek(tp, to: .timestamp(99_999))
        #expect(try consumer.position(tp) == 10, "past every record: the end")
        try consumer.close()
    }
}

@Suite("Consumer groups: starting points")
struct ConsumerStartingPointTests {
    @Test func partitionsNothingWasReadFromKeepTheirStartingPoint() throws {
        // Kafka's commitSync() commits every owned partition's position, read from or not, so a
        // group restarted with `latest` does not skip what arrived on those partitions meanwhile.
        let cluster = try TestCluster()
        let producer = try Producer(backend: cluster.backend)
        for i in 0..<5 { try producer.send(topic: "orders", partition: 0, key: nil, value: Array("p0-\(i)".utf8)) }
        try producer.flush()
        let first = try cluster.consumer(group: "g", reset: .earliest)
        try first.subscribe(["orders"])
        var seen = 0
        try pollUntil([first], handle: { _, records in
            seen += records.count
            first.markProcessed(records)
        }) { seen == 5 }
        try first.close()
        #expect(cluster.committed("g") == [TopicPartition("orders", 0): 5, TopicPartition("orders", 1): 0, TopicPartition("orders", 2): 0])

        for i in 0..<2 { try producer.send(topic: "orders", partition: 1, key: nil, value: Array("p1-\(i)".utf8)) }
        try producer.close()
        let again = try cluster.consumer(group: "g", reset: .latest)
        try again.subscribe(["orders"])
        var values: [String] = []
        try pollUntil([again], handle: { _, records in values += records.values }) { values.count == 2 }
        #expect(values == ["p1-0", "p1-1"])
        try again.close()
    }
}
