import SluiceTestSupport
import Testing

@testable import SluiceGroups

private func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic, partition) }

/// A group as the cooperative protocol sees it between rebalances: who is in it, what each
/// subscribes to, what each owns and from which generation.
private struct SimulatedGroup {
    var topics: [String: Set<String>] = [:]
    var owned: [String: [TopicPartition]] = [:]
    var generation: Int32 = 0

    var members: [AssignorMember] {
        topics.keys.sorted().map { id in
            AssignorMember(memberId: id, topics: topics[id] ?? [], ownedPartitions: owned[id] ?? [], generation: generation)
        }
    }

    /// One rebalance: the assignor runs, every member revokes what it was not given and takes
    /// what it was (the cooperative client's behaviour), and the generation advances.
    /// Records an issue if a partition went straight from one owner to another.
    mutating func rebalance(
        _ partitions: [String: Int32], sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String: [TopicPartition]] {
        let assignment = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: partitions)
        var ownerBefore: [TopicPartition: String] = [:]
        for (id, list) in owned where topics[id] != nil { for p in list { ownerBefore[p] = id } }
        for (id, list) in assignment {
            for p in list {
                if let previous = ownerBefore[p], previous != id {
                    Issue.record("\(p) moved directly from \(previous) to \(id)", sourceLocation: sourceLocation)
                }
                #expect(topics[id]?.contains(p.topic) == true, "\(id) got \(p) without subscribing", sourceLocation: sourceLocation)
            }
        }
        let all = assignment.values.flatMap { $0 }
        #expect(Set(all).count == all.count, "a partition was given twice", sourceLocation: sourceLocation)
        owned = assignment
        generation += 1
        return assignment
    }
}

private func allPartitions(_ partitions: [String: Int32], subscribedBy topics: Set<String>) -> Set<TopicPartition> {
    Set(topics.flatMap { topic in (0..<(partitions[topic] ?? 0)).map { TopicPartition(topic, $0) } })
}

/// `cooperative-sticky` (KIP-429): hand-computed rebalances and seeded property tests.
@Suite("Cooperative-sticky assignor")
struct CooperativeStickyAssignorTests {
    @Test func nameAndProtocol() {
        #expect(CooperativeStickyAssignor().name == "cooperative-sticky")
        #expect(CooperativeStickyAssignor().rebalanceProtocol == .cooperative)
    }

    /// A new group: each partition in order goes to the member holding fewest (ties by member
    /// order), nothing is withheld because nothing is owned.
    @Test func aNewGroupIsDealtOut() {
        var group = SimulatedGroup()
        group.topics = ["C0": ["t"], "C1": ["t"]]
        #expect(group.rebalance(["t": 6]) == ["C0": [tp("t", 0), tp("t", 2), tp("t", 4)], "C1": [tp("t", 1), tp("t", 3), tp("t", 5)]])
    }

    /// C0 owns [0,1,2] and C1 [3,4,5]; C2 joins. First rebalance: each old member gives up its
    /// highest partition, withheld from C2 while still owned. Second: C2 gets both.
    @Test func aJoiningMemberGetsItsShareInTheFollowUpRebalance() {
        var group = SimulatedGroup()
        group.topics = ["C0": ["t"], "C1": ["t"]]
        group.owned = ["C0": [tp("t", 0), tp("t", 1), tp("t", 2)], "C1": [tp("t", 3), tp("t", 4), tp("t", 5)]]
        group.generation = 3
        group.topics["C2"] = ["t"]
        let revoke = group.rebalance(["t": 6])
        #expect(revoke == ["C0": [tp("t", 0), tp("t", 1)], "C1": [tp("t", 3), tp("t", 4)], "C2": []])
        let settle = group.rebalance(["t": 6])
        #expect(settle == ["C0": [tp("t", 0), tp("t", 1)], "C1": [tp("t", 3), tp("t", 4)], "C2": [tp("t", 2), tp("t", 5)]])
    }

    /// A leaving member's partitions are free at once: the survivors take them in one rebalance
    /// and keep their own.
    @Test func aLeavingMembersPartitionsMoveInOneRebalance() {
        let members = [
            AssignorMember(memberId: "A", topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generation: 4),
            AssignorMember(memberId: "B", topics: ["t"], ownedPartitions: [tp("t", 2), tp("t", 3)], generation: 4),
        ]
        let result = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: ["t": 6])
        #expect(result == ["A": [tp("t", 0), tp("t", 1), tp("t", 4)], "B": [tp("t", 2), tp("t", 3), tp("t", 5)]])
    }

    /// A claim from an older generation is stale: the current owner keeps the partition and it
    /// is not withheld.
    @Test func staleClaimsAreIgnored() {
        let members = [
            AssignorMember(memberId: "A", topics: ["t"], ownedPartitions: [tp("t", 0)], generation: 5),
            AssignorMember(memberId: "B", topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generation: 3),
        ]
        let result = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: ["t": 2])
        #expect(result == ["A": [tp("t", 0)], "B": [tp("t", 1)]])
    }

    /// Two claims at the same generation: neither may keep the partition yet, nobody gets it
    /// until both have revoked it.
    @Test func contestedPartitionsAreWithheldUntilRevoked() {
        var members = [
            AssignorMember(memberId: "A", topics: ["t"], ownedPartitions: [tp("t", 0)], generation: 5),
            AssignorMember(memberId: "B", topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generation: 5),
        ]
        let first = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: ["t": 2])
        #expect(first == ["A": [], "B": [tp("t", 1)]])
        members[0].ownedPartitions = first["A"] ?? []
        members[1].ownedPartitions = first["B"] ?? []
        let second = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: ["t": 2])
        #expect(second == ["A": [tp("t", 0)], "B": [tp("t", 1)]])
    }

    /// A member that drops a topic loses its partitions of it; they are withheld once (it still
    /// owns them) and placed on the next rebalance.
    @Test func unsubscribedTopicsAreRevokedThenReassigned() {
        var group = SimulatedGroup()
        group.topics = ["A": ["t", "u"], "B": ["t", "u"]]
        _ = group.rebalance(["t": 2, "u": 2])
        #expect(group.owned["A"] == [tp("t", 0), tp("u", 0)] || group.owned["A"]?.count == 2)
        group.topics["A"] = ["t"]
        let revoke = group.rebalance(["t": 2, "u": 2])
        #expect(revoke["A"]?.contains { $0.topic == "u" } == false)
        let settle = group.rebalance(["t": 2, "u": 2])
        #expect(Set(settle.values.flatMap { $0 }) == allPartitions(["t": 2, "u": 2], subscribedBy: ["t", "u"]))
        #expect(settle["B"]?.filter { $0.topic == "u" }.count == 2)
    }

    /// Seeded property test, equal subscriptions: groups grow, shrink and gain partitions; after
    /// each change (one revoking rebalance, one follow-up) every partition has exactly one owner,
    /// counts differ by at most one, nothing moved directly between owners, the follow-up
    /// withheld nothing further, and every member that stayed kept at least
    /// min(what it owned, partitions / members) of its partitions.
    @Test(arguments: [UInt64(0xC0_0001), 0xC0_0002, 0xC0_0003, 0xC0_0004, 0xC0_0005, 0xC0_0006, 0xC0_0007, 0xC0_0008])
    func equalSubscriptionsProperties(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let subscription: Set<String> = ["orders", "payments", "audit"]
        var partitions: [String: Int32] = ["orders": Int32(random.int(1...24)), "payments": Int32(random.int(1...12)), "audit": 1]
        var group = SimulatedGroup()
        var nextId = 0
        for _ in 0..<random.int(1...6) {
            group.topics["m\(nextId)"] = subscription
            nextId += 1
        }
        _ = group.rebalance(partitions)
        _ = group.rebalance(partitions)

        for step in 0..<40 {
            // Change the group.
            switch random.int(0...3) {
            case 0, 1:
                for _ in 0..<random.int(1...3) {
                    group.topics["m\(nextId)"] = subscription
                    nextId += 1
                }
            case 2 where group.topics.count > 1:
                for _ in 0..<random.int(1...min(3, group.topics.count - 1)) {
                    let leaving = random.pick(group.topics.keys.sorted())
                    group.topics[leaving] = nil
                    group.owned[leaving] = nil
                }
            default:
                let topic = random.pick(["orders", "payments", "audit"])
                partitions[topic, default: 0] += Int32(random.int(1...6))
            }
            let before = group.owned
            let total = allPartitions(partitions, subscribedBy: subscription).count
            let fairShare = total / group.topics.count

            let first = group.rebalance(partitions)
            for (id, old) in before where group.topics[id] != nil {
                let kept = Set(first[id] ?? []).intersection(old).count
                #expect(kept >= min(old.count, fairShare), "seed \(seed) step \(step): \(id) kept \(kept) of \(old.count) (fair share \(fairShare))")
            }
            let afterFirst = group.owned
            let second = group.rebalance(partitions)
            let everything = second.values.flatMap { $0 }
            #expect(everything.count == total && Set(everything) == allPartitions(partitions, subscribedBy: subscription), "seed \(seed) step \(step)")
            let counts = second.values.map(\.count)
            #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1, "seed \(seed) step \(step): counts \(counts.sorted())")
            for (id, list) in afterFirst { #expect(Set(list).isSubset(of: Set(second[id] ?? [])), "seed \(seed) step \(step): the follow-up revoked from \(id)") }
        }
    }

    /// Seeded property test, unequal subscriptions: never a direct move between owners, only
    /// subscribed topics, and the group settles (every subscribed partition owned, nothing more
    /// withheld) within three rebalances of a change.
    @Test(arguments: [UInt64(0xC1_0001), 0xC1_0002, 0xC1_0003, 0xC1_0004, 0xC1_0005, 0xC1_0006])
    func unequalSubscriptionsProperties(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let topicNames = ["a", "b", "c", "d"]
        var partitions: [String: Int32] = [:]
        for topic in topicNames { partitions[topic] = Int32(random.int(1...10)) }
        var group = SimulatedGroup()
        func randomSubscription() -> Set<String> { Set(topicNames.filter { _ in random.chance(0.5) }).union([random.pick(topicNames)]) }
        for i in 0..<random.int(2...6) { group.topics["m\(i)"] = randomSubscription() }
        var nextId = 10
        var roundsNeeded: [Int] = []
        for step in 0..<30 {
            switch random.int(0...3) {
            case 0: group.topics["m\(nextId)"] = randomSubscription(); nextId += 1
            case 1 where group.topics.count > 1:
                let leaving = random.pick(group.topics.keys.sorted())
                group.topics[leaving] = nil
                group.owned[leaving] = nil
            case 2: group.topics[random.pick(group.topics.keys.sorted())] = randomSubscription()
            default: partitions[random.pick(topicNames), default: 0] += 1
            }
            let subscribed = Set(group.topics.values.flatMap { $0 })
            var rounds = 0
            var settled = false
            while rounds < 3 && !settled {
                let result = group.rebalance(partitions)
                rounds += 1
                settled = Set(result.values.flatMap { $0 }) == allPartitions(partitions, subscribedBy: subscribed)
            }
            #expect(settled, "seed \(seed) step \(step): not settled after 3 rebalances")
            roundsNeeded.append(rounds)
        }
        #expect(roundsNeeded.allSatisfy { $0 <= 3 })
    }

    /// Partitions that no longer exist (a topic deleted or shrunk) are dropped from ownership.
    @Test func vanishedPartitionsAreIgnored() {
        let members = [
            AssignorMember(memberId: "A", topics: ["t", "gone"], ownedPartitions: [tp("gone", 0), tp("t", 7)], generation: 2),
            AssignorMember(memberId: "B", topics: ["t"], ownedPartitions: [tp("t", 0)], generation: 2),
        ]
        let result = CooperativeStickyAssignor().assign(members: members, partitionsPerTopic: ["t": 2])
        #expect(result == ["A": [tp("t", 1)], "B": [tp("t", 0)]])
    }
}
