import SluiceTestSupport
import Testing

@testable import SluiceGroups

private func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic, partition) }

private func member(_ id: String, _ topics: Set<String>, instance: String? = nil) -> AssignorMember {
    AssignorMember(memberId: id, groupInstanceId: instance, topics: topics)
}

/// `range` and `roundrobin` on the examples from Kafka's javadoc and hand-computed edge cases.
@Suite("Range and round-robin assignors")
struct EagerAssignorTests {
    static let twoByTwo = [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])]

    @Test func namesAndProtocols() {
        #expect(RangeAssignor().name == "range" && RangeAssignor().rebalanceProtocol == .eager)
        #expect(RoundRobinAssignor().name == "roundrobin" && RoundRobinAssignor().rebalanceProtocol == .eager)
    }

    /// RangeAssignor javadoc: C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
    @Test func rangeJavadocExample() {
        let result = RangeAssignor().assign(members: Self.twoByTwo, partitionsPerTopic: ["t0": 3, "t1": 3])
        #expect(result == ["C0": [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)], "C1": [tp("t0", 2), tp("t1", 2)]])
    }

    /// RoundRobinAssignor javadoc: C0 [t0p0, t0p2, t1p1], C1 [t0p1, t1p0, t1p2].
    @Test func roundRobinJavadocExample() {
        let result = RoundRobinAssignor().assign(members: Self.twoByTwo, partitionsPerTopic: ["t0": 3, "t1": 3])
        #expect(result == ["C0": [tp("t0", 0), tp("t0", 2), tp("t1", 1)], "C1": [tp("t0", 1), tp("t1", 0), tp("t1", 2)]])
    }

    /// RoundRobinAssignor javadoc, unequal subscriptions: C0 [t0p0], C1 [t1p0], C2 [t1p1, t2p0, t2p1, t2p2].
    @Test func roundRobinJavadocUnequalSubscriptions() {
        let members = [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])]
        let result = RoundRobinAssignor().assign(members: members, partitionsPerTopic: ["t0": 1, "t1": 2, "t2": 3])
        #expect(result == ["C0": [tp("t0", 0)], "C1": [tp("t1", 0)], "C2": [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)]])
    }

    /// 7 partitions over 3 members: 3, 2, 2 in contiguous ranges, per topic.
    @Test func rangeGivesTheExtrasToTheFirstMembers() {
        let members = [member("b", ["t"]), member("c", ["t", "u"]), member("a", ["t", "u"])]
        let result = RangeAssignor().assign(members: members, partitionsPerTopic: ["t": 7, "u": 1])
        #expect(result["a"] == [tp("t", 0), tp("t", 1), tp("t", 2), tp("u", 0)])
        #expect(result["b"] == [tp("t", 3), tp("t", 4)])
        #expect(result["c"] == [tp("t", 5), tp("t", 6)])
    }

    /// Static members (group.instance.id) come first, ordered by instance id, whatever their
    /// member ids (Java's `MemberInfo.compareTo`).
    @Test func staticMembersSortFirstByInstanceId() {
        let members = [member("a", ["t"], instance: "s1"), member("b", ["t"]), member("z", ["t"], instance: "s0")]
        let range = RangeAssignor().assign(members: members, partitionsPerTopic: ["t": 6])
        #expect(range == ["z": [tp("t", 0), tp("t", 1)], "a": [tp("t", 2), tp("t", 3)], "b": [tp("t", 4), tp("t", 5)]])
        let roundRobin = RoundRobinAssignor().assign(members: members, partitionsPerTopic: ["t": 6])
        #expect(roundRobin == ["z": [tp("t", 0), tp("t", 3)], "a": [tp("t", 1), tp("t", 4)], "b": [tp("t", 2), tp("t", 5)]])
    }

    /// Member ids compare as Java strings (UTF-16 code units): U+1F600 (surrogates D83D DE00)
    /// sorts before U+FF61 in Java, after it in Swift's and Python's own string order.
    @Test func memberIdsCompareAsJavaStrings() {
        let members = [member("\u{FF61}", ["t"]), member("\u{1F600}", ["t"])]
        let result = RangeAssignor().assign(members: members, partitionsPerTopic: ["t": 2])
        #expect(result["\u{1F600}"] == [tp("t", 0)])
        #expect(result["\u{FF61}"] == [tp("t", 1)])
    }

    @Test func unknownTopicsAndIdleMembersAreHandled() {
        let members = [member("a", ["ghost"]), member("b", ["t", "ghost"]), member("c", [])]
        for assignor in [RangeAssignor() as any PartitionAssignor, RoundRobinAssignor()] {
            let result = assignor.assign(members: members, partitionsPerTopic: ["t": 2, "unsubscribed": 4])
            #expect(result == ["a": [], "b": [tp("t", 0), tp("t", 1)], "c": []], "\(assignor.name)")
            #expect(assignor.assign(members: [], partitionsPerTopic: ["t": 2]).isEmpty)
        }
    }

    @Test func repeatedMemberIdsCountOnce() {
        let members = [member("a", ["t"]), member("a", ["u"]), member("b", ["t"])]
        let result = RangeAssignor().assign(members: members, partitionsPerTopic: ["t": 2, "u": 2])
        #expect(result == ["a": [tp("t", 0)], "b": [tp("t", 1)]])
    }

    /// The result does not depend on the order members are listed in.
    @Test func independentOfMemberOrder() {
        var random = SplitMix64(seed: 0x0DE7_0001)
        let members = (0..<9).map { i in
            member("consumer-\(i)-\(random.int(1000...9999))", Set(["a", "b", "c"].filter { _ in random.chance(0.7) }),
                   instance: random.chance(0.3) ? "instance-\(i)" : nil)
        }
        let partitions: [String: Int32] = ["a": 5, "b": 11, "c": 2]
        for assignor in [RangeAssignor() as any PartitionAssignor, RoundRobinAssignor(), CooperativeStickyAssignor()] {
            let reference = assignor.assign(members: members, partitionsPerTopic: partitions)
            for _ in 0..<20 {
                #expect(assignor.assign(members: members.shuffled(using: &random), partitionsPerTopic: partitions) == reference, "\(assignor.name)")
            }
        }
    }
}
