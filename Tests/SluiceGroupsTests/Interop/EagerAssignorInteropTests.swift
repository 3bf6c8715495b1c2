import SluiceTestSupport
import Testing

@testable import SluiceGroups

/// Randomised cross-check of `range` and `roundrobin` against kafka-python 3.0.12's own
/// `RangePartitionAssignor` and `RoundRobinPartitionAssignor`: same members and partition
/// counts, same assignment, and the same `ConsumerProtocolAssignment` blobs (version 0, empty
/// user data, as kafka-python writes them): byte-identical for roundrobin; for range,
/// kafka-python also lists topics that gave a member no partition, which Java (and Sluice) leave
/// out, so there the grouping is compared without those empty entries.
@Suite("Range and round-robin vs kafka-python")
struct EagerAssignorInteropTests {
    struct Case {
        var members: [AssignorMember]
        var partitions: [String: Int32]
    }

    /// Groups of 1–9 members (some static), 1–6 topics of 0–16 partitions, overlapping and
    /// sometimes empty subscriptions, and topics the cluster does not know.
    ///
    /// `equalSubscriptions`: every member subscribes to the same topics. kafka-python 3.0.12's
    /// `RoundRobinPartitionAssignor` raises `KeyError` as soon as it has to skip a member that
    /// does not subscribe to a topic (its skip loop assigns the `(instance_id, member_id)` tuple
    /// to `member_id`), so round-robin is cross-checked on equal subscriptions only; the
    /// javadoc's unequal example is a hand-computed test.
    static func cases(seed: UInt64, count: Int, equalSubscriptions: Bool) -> [Case] {
        var random = SplitMix64(seed: seed)
        let topicNames = ["orders", "payments", "t0", "t1", "a.b-c_d", "x", "ghost"]
        return (0..<count).map { _ in
            let topics = Array(topicNames.shuffled(using: &random).prefix(random.int(1...6)))
            var partitions: [String: Int32] = [:]
            for topic in topics where topic != "ghost" { partitions[topic] = Int32(random.int(0...16)) }
            let shared = Set(topics.filter { _ in random.chance(0.8) })
            let members = (0..<random.int(1...9)).map { i in
                AssignorMember(
                    memberId: "consumer-\(random.int(1...3))-\(String(random.next() % 0xFFFFFF, radix: 16))-\(i)",
                    groupInstanceId: random.chance(0.25) ? "instance-\(random.int(0...99))-\(i)" : nil,
                    topics: equalSubscriptions ? shared : Set(topics.filter { _ in random.chance(0.6) }))
            }
            return Case(members: members, partitions: partitions)
        }
    }

    @Test(arguments: ["range", "roundrobin"])
    func matchesKafkaPython(assignorName: String) throws {
        let assignor: any PartitionAssignor = assignorName == "range" ? RangeAssignor() : RoundRobinAssignor()
        let cases =
            assignorName == "range"
            ? Self.cases(seed: 0xA55_0001, count: 300, equalSubscriptions: false) + Self.cases(seed: 0xA55_0002, count: 100, equalSubscriptions: true)
            : Self.cases(seed: 0xA55_0003, count: 400, equalSubscriptions: true)
        // kafka-python only orders static before dynamic members correctly when they are listed
        // that way (see the script); Sluice gets them shuffled, which must not matter.
        var random = SplitMix64(seed: 0x0DE7)
        let request = OracleAssignRequest(
            assignor: assignorName,
            cases: cases.map { c in
                let staticFirst = c.members.filter { $0.groupInstanceId != nil }.shuffled(using: &random)
                    + c.members.filter { $0.groupInstanceId == nil }.shuffled(using: &random)
                return OracleAssignCase(
                    members: staticFirst.map { OracleMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, topics: $0.topics.sorted()) },
                    partitions: c.partitions)
            })
        let answers = try KafkaPythonOracle.ask(request, as: [[String: OracleAssigned]].self)
        try #require(answers.count == cases.count)
        var partitionsChecked = 0
        for (index, c) in cases.enumerated() {
            let ours = assignor.assign(members: c.members.shuffled(using: &random), partitionsPerTopic: c.partitions)
            let theirs = answers[index]
            #expect(Set(ours.keys) == Set(theirs.keys), "case \(index)")
            for (memberId, assigned) in theirs {
                let expected = assigned.partitions.map { TopicPartition($0.topic, $0.partition) }
                let got = ours[memberId] ?? []
                #expect(got == expected, "case \(index), member \(memberId): \(c.members) over \(c.partitions)")
                // Their blob: Swift decodes it to the same partitions and re-encodes it byte for byte.
                let theirBlob = try #require(bytes(fromHex: assigned.encoded))
                let decoded = try ConsumerProtocol.Assignment(decoding: theirBlob)
                #expect(decoded.partitions == got, "case \(index), member \(memberId)")
                #expect(try decoded.encoded() == theirBlob, "case \(index), member \(memberId)")
                // Our blob groups the same partitions the same way, except that kafka-python's
                // range also lists topics that gave this member nothing (Java's does not).
                let ourBlob = ConsumerProtocol.Assignment(version: 0, partitions: got, userData: [])
                #expect(ourBlob.assignedPartitions == decoded.assignedPartitions.filter { !$0.partitions.isEmpty }, "case \(index), member \(memberId)")
                if assignorName == "roundrobin" {
                    #expect(try hexString(ourBlob.encoded()) == assigned.encoded, "case \(index), member \(memberId): assignment bytes differ")
                }
                partitionsChecked += expected.count
            }
        }
        #expect(partitionsChecked > 1000, "the cases should assign many partitions")
    }
}
