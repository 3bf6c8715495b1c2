/// Kafka's `roundrobin` assignor (`RoundRobinAssignor`, kafka-python's
/// `RoundRobinPartitionAssignor`): every partition of every subscribed topic, sorted by topic
/// then partition, is dealt in turn to the members in member order (static members by instance
/// id first, then member ids), skipping members not subscribed to that partition's topic. The
/// dealer keeps its place across topics.
///
/// With equal subscriptions the counts differ by at most one; with unequal ones it can be far
/// from balanced (Kafka's javadoc example is a test case here).
public struct RoundRobinAssignor: PartitionAssignor {
    public let name = "roundrobin"
    public let rebalanceProtocol = RebalanceProtocol.eager

    public init() {}

    public func assign(members: [AssignorMember], partitionsPerTopic: [String: Int32]) -> [String: [TopicPartition]] {
        var (ordered, result, topics) = AssignorMember.eagerStart(members)
        var next = 0
        for topic in topics {
            guard let count = partitionsPerTopic[topic], count > 0 else { continue }
            // Someone subscribes to `topic` (it came from a subscription), so this finds one.
            for partition in 0..<count {
                while !ordered[next].topics.contains(topic) { next = (next + 1) % ordered.count }
                result[ordered[next].memberId, default: []].append(TopicPartition(topic, partition))
                next = (next + 1) % ordered.count
            }
        }
        return result
    }
}
