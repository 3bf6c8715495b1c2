/// Kafka's `range` assignor (`RangeAssignor`, kafka-python's `RangePartitionAssignor`): topic by
/// topic, the partitions in order are cut into contiguous ranges, one per subscribed member in
/// member order (static members by instance id first, then member ids); with P partitions and C
/// members each gets P/C, and the first P%C members one more.
///
/// Co-partitioned topics land together (partition i of every topic goes to the same member),
/// which joins rely on; the cost is imbalance when many topics have fewer partitions than
/// members (the first members get the extras of every topic).
public struct RangeAssignor: PartitionAssignor {
    public let name = "range"
    public let rebalanceProtocol = RebalanceProtocol.eager

    public init() {}

    public func assign(members: [AssignorMember], partitionsPerTopic: [String: Int32]) -> [String: [TopicPartition]] {
        var (ordered, result, topics) = AssignorMember.eagerStart(members)
        for topic in topics {
            guard let count = partitionsPerTopic[topic] else { continue }
            let consumers = ordered.filter { $0.topics.contains(topic) }
            let partitions = Int(max(count, 0))
            let each = partitions / consumers.count
            let withExtra = partitions % consumers.count
            for (i, member) in consumers.enumerated() {
                let start = each * i + min(i, withExtra)
                let length = each + (i < withExtra ? 1 : 0)
                result[member.memberId, default: []] += (start..<start + length).map { TopicPartition(topic, Int32($0)) }
            }
        }
        return result.mapValues { $0.sorted() }
    }
}
