/// How a group's members share the partitions of the topics they subscribe to. The group
/// leader runs one (chosen by `selectProtocol`) over every member's subscription and sends each
/// member its part.
///
/// Guarantees every conforming assignor gives:
/// - deterministic: the same members and partition counts give the same result, whatever the
///   order of `members` (every leader, and every rerun, computes the same assignment);
/// - the result has an entry for every member id (possibly empty), each list sorted by
///   `TopicPartition` order with no repeats;
/// - a member only receives partitions of topics it subscribes to, and no partition goes to two
///   members. Topics missing from `partitionsPerTopic` (unknown to the cluster) are skipped.
///
/// Member ids must be unique; a repeated id is ignored after its first occurrence.
public protocol PartitionAssignor: Sendable {
    /// The protocol name members list in JoinGroup (`range`, `roundrobin`, `cooperative-sticky`).
    var name: String { get }
    /// Whether members may keep consuming their partitions through a rebalance (KIP-429).
    var rebalanceProtocol: RebalanceProtocol { get }
    func assign(members: [AssignorMember], partitionsPerTopic: [String: Int32]) -> [String: [TopicPartition]]
}

/// KIP-429's two ways of rebalancing. `eager`: every member revokes everything before it
/// rejoins. `cooperative`: members keep their partitions and revoke only what the new assignment
/// takes away; the assignor never hands over a partition another member still holds.
public enum RebalanceProtocol: Sendable, Hashable {
    case eager
    case cooperative
}

/// One group member as an assignor sees it: the subscription from its JoinGroup metadata.
public struct AssignorMember: Hashable, Sendable {
    public var memberId: String
    /// `group.instance.id` of a static member (KIP-345); static members sort first.
    public var groupInstanceId: String?
    public var topics: Set<String>
    /// What the member consumes now (subscription v1+), for sticky and cooperative assignors.
    public var ownedPartitions: [TopicPartition]
    /// The generation `ownedPartitions` belongs to (subscription v2+; -1 when unknown).
    public var generation: Int32

    public init(
        memberId: String, groupInstanceId: String? = nil, topics: Set<String>, ownedPartitions: [TopicPartition] = [],
        generation: Int32 = -1
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.topics = topics
        self.ownedPartitions = ownedPartitions
        self.generation = generation
    }

    /// The member as its decoded JoinGroup metadata describes it.
    public init(memberId: String, groupInstanceId: String? = nil, subscription: ConsumerProtocol.Subscription) {
        self.init(
            memberId: memberId, groupInstanceId: groupInstanceId, topics: Set(subscription.topics),
            ownedPartitions: subscription.ownedTopicPartitions, generation: subscription.generationId)
    }

    /// Kafka's `AbstractPartitionAssignor.MemberInfo` order: static members first, by instance
    /// id; then dynamic members, by member id (Java string order).
    static func precedes(_ a: AssignorMember, _ b: AssignorMember) -> Bool {
        switch (a.groupInstanceId, b.groupInstanceId) {
        case (let x?, let y?):
            if x != y { return JavaOrder.precedes(x, y) }
            return JavaOrder.precedes(a.memberId, b.memberId)
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return JavaOrder.precedes(a.memberId, b.memberId)
        }
    }

    /// `members` without repeated ids (the first occurrence wins), in `precedes` order.
    static func canonical(_ members: [AssignorMember]) -> [AssignorMember] {
        var seen = Set<String>()
        return members.filter { seen.insert($0.memberId).inserted }.sorted(by: precedes)
    }

    /// What the eager assignors start from: the members in canonical order, an empty assignment
    /// for each (idle members get an entry too), and every subscribed topic in Java order.
    static func eagerStart(_ members: [AssignorMember]) -> (ordered: [AssignorMember], result: [String: [TopicPartition]], topics: [String]) {
        let ordered = canonical(members)
        return (
            ordered, Dictionary(uniqueKeysWithValues: ordered.map { ($0.memberId, [TopicPartition]()) }),
            Set(ordered.flatMap(\.topics)).sorted(by: JavaOrder.precedes)
        )
    }
}
