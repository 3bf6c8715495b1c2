import SluiceGroups

/// What the driver watches while it steps: per branch group, the coordinator's view (state,
/// generation, members) and which partitions each instance's members own. Two equal views
/// around a round in which nothing was consumed mean the round changed nothing.
struct ClusterView: Equatable, CustomStringConvertible {
    struct Group: Equatable {
        var name: String
        var state: GroupState
        var generation: Int32
        var members: Int
        var expectedMembers: Int
        /// Per instance, in stepping order.
        var owned: [Set<TopicPartition>]
        /// Every partition of the group's topics.
        var partitions: Set<TopicPartition>

        /// Stable with every member, and every partition owned by one (or, without members,
        /// nothing left to form).
        var isSettled: Bool {
            guard expectedMembers > 0 else { return state == .empty || state == .dead }
            return state == .stable && members == expectedMembers && owned.reduce(into: Set()) { $0.formUnion($1) } == partitions
        }
    }

    var groups: [Group]

    var isSettled: Bool { groups.allSatisfy(\.isSettled) }

    var description: String {
        groups.map { group in
            let owned = group.owned.reduce(into: Set<TopicPartition>()) { $0.formUnion($1) }.count
            return "group \(group.name) \(group.state) in generation \(group.generation) with \(group.members) of \(group.expectedMembers) members, "
                + "\(owned) of \(group.partitions.count) partitions owned"
        }.joined(separator: "; ")
    }
}
