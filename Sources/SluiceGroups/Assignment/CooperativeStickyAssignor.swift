/// Kafka's `cooperative-sticky` assignor (KIP-429 incremental rebalancing): balanced, keeps
/// partitions where they are, and never hands a partition straight from one live owner to
/// another.
///
/// Each rebalance:
/// 1. **Ownership.** A partition's owner is the member that lists it in `ownedPartitions` with
///    the highest `generation`; claims from older generations are stale and ignored (as Kafka
///    does). Two claims at the same highest generation make the partition contested: it has no
///    owner to stick to. Partitions that no longer exist are ignored.
/// 2. **Stickiness.** Every owner that still subscribes to the topic keeps its partitions.
/// 3. **Placement.** Unplaced partitions (most constrained first) go to the subscribed member
///    holding the fewest.
/// 4. **Balance.** While a member holds at least two more than another member that subscribes
///    to one of its topics, the fullest member gives one away to the emptiest, preferring a
///    partition it did not own (free to move) over one it did.
/// 5. **Cooperation.** A partition placed on a member other than a current (highest-generation)
///    claimant is withheld from this assignment: its owner sees it missing, revokes it, and
///    rejoins; the follow-up rebalance finds it unowned and places it.
///
/// Guarantees: with equal subscriptions, after the follow-up rebalance every partition is
/// assigned, counts differ by at most one, and a member that kept its subscription keeps at
/// least `min(owned, partitions / members)` of what it owned; the follow-up rebalance itself
/// withholds nothing. With unequal subscriptions the result is balanced as far as single moves
/// between members can make it, and a further round may occasionally be needed.
///
/// Unlike Java's assignor this one reads ownership only from `ownedPartitions`/`generation`
/// (subscription v1/v2, what Java 2.4+ and kafka-python send), not from `userData`.
public struct CooperativeStickyAssignor: PartitionAssignor {
    public let name = "cooperative-sticky"
    public let rebalanceProtocol = RebalanceProtocol.cooperative

    public init() {}

    public func assign(members: [AssignorMember], partitionsPerTopic: [String: Int32]) -> [String: [TopicPartition]] {
        let members = AssignorMember.canonical(members)
        func exists(_ tp: TopicPartition) -> Bool { tp.partition >= 0 && tp.partition < (partitionsPerTopic[tp.topic] ?? 0) }

        // 1. Ownership: the highest-generation claimants of every existing partition.
        var claims: [TopicPartition: (generation: Int32, members: [Int])] = [:]
        for (index, member) in members.enumerated() {
            for tp in Set(member.ownedPartitions) where exists(tp) {
                if let claim = claims[tp], claim.generation > member.generation { continue }
                if let claim = claims[tp], claim.generation == member.generation {
                    claims[tp] = (claim.generation, claim.members + [index])
                } else {
                    claims[tp] = (member.generation, [index])
                }
            }
        }
        func currentlyOwns(_ member: Int, _ tp: TopicPartition) -> Bool { claims[tp]?.members.contains(member) ?? false }

        var holdings = [Set<TopicPartition>](repeating: [], count: members.count)
        var placed = Set<TopicPartition>()

        // 2. Stickiness.
        for (tp, claim) in claims where claim.members.count == 1 {
            let owner = claim.members[0]
            if members[owner].topics.contains(tp.topic) {
                holdings[owner].insert(tp)
                placed.insert(tp)
            }
        }

        // 3. Placement of the rest, most constrained partitions first.
        let topics = Set(members.flatMap(\.topics)).filter { (partitionsPerTopic[$0] ?? 0) > 0 }
        var subscribers: [String: [Int]] = [:]
        var unplaced: [(tp: TopicPartition, choices: Int)] = []
        for topic in topics {
            let eligible = members.indices.filter { members[$0].topics.contains(topic) }
            subscribers[topic] = eligible
            for partition in 0..<(partitionsPerTopic[topic] ?? 0) {
                let tp = TopicPartition(topic, partition)
                if !placed.contains(tp) { unplaced.append((tp, eligible.count)) }
            }
        }
        unplaced.sort { $0.choices != $1.choices ? $0.choices < $1.choices : $0.tp < $1.tp }
        for (tp, _) in unplaced {
            let eligible = subscribers[tp.topic] ?? []
            guard let target = eligible.min(by: { (holdings[$0].count, $0) < (holdings[$1].count, $1) }) else { continue }
            holdings[target].insert(tp)
        }

        // 4. Balance: move one partition from the fullest member to the emptiest one that can take
        // it, until no such move is left. Each move lowers the sum of squared counts, so this ends.
        balancing: while true {
            let fullestFirst = members.indices.sorted { (-holdings[$0].count, $0) < (-holdings[$1].count, $1) }
            let emptiestFirst = fullestFirst.reversed().sorted { (holdings[$0].count, $0) < (holdings[$1].count, $1) }
            for giver in fullestFirst {
                for taker in emptiestFirst {
                    guard holdings[taker].count + 2 <= holdings[giver].count else { break }
                    let movable = holdings[giver].filter { members[taker].topics.contains($0.topic) }
                    let choice =
                        movable.filter { !currentlyOwns(giver, $0) }.max()
                        ?? movable.max()
                    guard let tp = choice else { continue }
                    holdings[giver].remove(tp)
                    holdings[taker].insert(tp)
                    continue balancing
                }
            }
            break
        }

        // 5. Cooperation: withhold what another member still owns.
        var result: [String: [TopicPartition]] = [:]
        for (index, member) in members.enumerated() {
            result[member.memberId] = holdings[index].filter { tp in
                guard let claim = claims[tp] else { return true }
                return claim.members.allSatisfy { $0 == index }
            }.sorted()
        }
        return result
    }
}
