/// Answers that must be delivered after the group's lock is released (a callback may call
/// straight back into the coordinator).
typealias Outbox = [@Sendable () -> Void]

/// One classic consumer group: its members and the JoinGroup/SyncGroup state machine of Kafka's
/// `GroupMetadataManager` (classicGroupJoin, completeClassicGroupJoin, prepareRebalance,
/// expirePendingSync), driven by requests and by `tick`.
///
/// Invariants:
/// - `generationId` only grows; a join phase that completes increments it exactly once.
/// - In `completingRebalance` and `stable` every dynamic member joined the current generation
///   (static members that did not rejoin are kept, as Kafka keeps them); in `empty` there are
///   no members.
/// - Every parked JoinGroup/SyncGroup callback is answered exactly once (with an error if the
///   member is removed, fenced, replaced by a newer request, or the phase is abandoned).
/// - Static members map one-to-one to member ids (`staticMembers`).
///
/// This file holds the state and the helpers every request shares; the requests and timers are
/// extensions: `ClassicGroup+Join.swift`, `ClassicGroup+Membership.swift` (SyncGroup, Heartbeat,
/// LeaveGroup, commits) and `ClassicGroup+Timers.swift`. The state's setters are internal only so
/// those extensions can reach them: nothing outside `ClassicGroup` mutates it.
struct ClassicGroup {
    let groupId: String
    private(set) var state: GroupState = .empty
    var generationId: Int32 = 0
    var protocolType: String?
    var protocolName: String?
    var leaderId: String?
    var members: [String: GroupMember] = [:]
    /// Member ids in join order: the order the leader is chosen in and members are listed.
    var memberOrder: [String] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED, by expiry time. They survive the end of a
    /// join phase (as in Kafka): the member may rejoin with its id until it expires.
    var pendingMembers: [String: Int64] = [:]
    var staticMembers: [String: String] = [:]
    /// Members of the current generation that have not sent SyncGroup yet (Kafka's
    /// `pendingSyncMembers`): removed when `syncDeadlineMs` passes, even once the group is Stable.
    var pendingSync: Set<String> = []
    var joinDeadlineMs: Int64?
    var syncDeadlineMs: Int64?
    /// Set while the join phase is the first one after Empty (Kafka's `previousState == EMPTY`):
    /// only the initial-delay timer may complete it.
    var initialRebalance: InitialRebalance?
    /// When the group last became Empty; nil while it has members, and for a group this process
    /// never saw with members (offset expiry then counts from the commit).
    private(set) var emptySinceMs: Int64?

    /// Kafka's `tryCompleteInitialRebalanceElseSchedule` arguments: the delay that is running,
    /// how much of the rebalance timeout is left to extend into, and whether a member joined
    /// during the running delay.
    struct InitialRebalance {
        var delayMs: Int64
        var remainingMs: Int64
        var newMemberAdded = false
    }

    /// `group.initial.rebalance.delay.ms`.
    let initialRebalanceDelayMs: Int64
    /// `GroupCoordinator.Configuration.initialRebalanceMembers`.
    let initialRebalanceMembers: Int?
    /// Kafka's `classicGroupNewMemberJoinTimeoutMs`: how long a new member may wait in JoinGroup.
    let newMemberJoinTimeoutMs: Int64

    init(groupId: String, initialRebalanceDelayMs: Int64, initialRebalanceMembers: Int? = nil, newMemberJoinTimeoutMs: Int64) {
        self.groupId = groupId
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.initialRebalanceMembers = initialRebalanceMembers
        self.newMemberJoinTimeoutMs = newMemberJoinTimeoutMs
    }

    var isEmpty: Bool { members.isEmpty }

    /// Empty with no member id handed out: nothing would be lost by forgetting the group.
    var isIdle: Bool { state == .empty && pendingMembers.isEmpty }

    func member(_ id: String) -> GroupMember? { members[id] }

    /// The group's rebalance timeout: the largest of its members' (Kafka's `rebalanceTimeoutMs()`).
    var rebalanceTimeoutMs: Int64 { members.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    mutating func transition(to next: GroupState, now: Int64) {
        state = next
        if next == .empty {
            emptySinceMs = now
        } else if next != .dead {
            emptySinceMs = nil
        }
    }

    mutating func markDead(now: Int64, outbox: inout Outbox) {
        for id in memberOrder { failParked(id, GroupError(.coordinatorNotAvailable, "group \(groupId) was deleted"), outbox: &outbox) }
        members = [:]
        memberOrder = []
        staticMembers = [:]
        pendingMembers = [:]
        pendingSync = []
        transition(to: .dead, now: now)
    }

    // MARK: Members (shared by the extensions)

    /// What a removal means for the phase: a Stable or CompletingRebalance group rebalances; a
    /// join phase may now be complete (the member it waited for is gone).
    mutating func afterRemoval(now: Int64, reason: String, outbox: inout Outbox) {
        switch state {
        case .stable, .completingRebalance: prepareRebalance(now: now, reason: reason, outbox: &outbox)
        case .preparingRebalance: completeJoinIfReady(now: now, outbox: &outbox)
        case .empty, .dead: break
        }
    }

    /// Drops a member and every reference to it (join order, pending sync, its static instance,
    /// leadership, which passes to the oldest remaining member), answering its parked requests.
    mutating func removeMember(_ id: String, error: GroupError, outbox: inout Outbox) {
        guard let member = members.removeValue(forKey: id) else { return }
        failParked(member, error, outbox: &outbox)
        memberOrder.removeAll { $0 == id }
        pendingSync.remove(id)
        if let instance = member.groupInstanceId, staticMembers[instance] == id { staticMembers[instance] = nil }
        if leaderId == id { leaderId = memberOrder.first }
    }

    private func failParked(_ id: String, _ error: GroupError, outbox: inout Outbox) {
        if let member = members[id] { failParked(member, error, outbox: &outbox) }
    }

    /// Answers the member's parked JoinGroup and SyncGroup with `error`. The callbacks are not
    /// cleared: callers drop or replace the member, so each is still answered once.
    func failParked(_ member: GroupMember, _ error: GroupError, outbox: inout Outbox) {
        if let join = member.awaitingJoin {
            let response = JoinGroupResponse.failure(error, memberId: member.memberId)
            outbox.append { join(response) }
        }
        if let sync = member.awaitingSync {
            let response = SyncGroupResponse(error: error, protocolType: nil, protocolName: nil, assignment: [])
            outbox.append { sync(response) }
        }
    }

    /// Kafka's `ClassicGroup.validateMember`: a given instance id must map to this member id
    /// (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID if the instance is unknown), and the member
    /// must exist. The instance is checked first, so a replaced static incarnation is told it
    /// was fenced rather than unknown.
    func validateMember(_ id: String, _ instance: String?) -> GroupError? {
        if state == .dead { return GroupError(.coordinatorNotAvailable, "group \(groupId) is being deleted") }
        if let instance {
            guard let current = staticMembers[instance] else {
                return GroupError(.unknownMemberId, "instance \(instance) is not a member of group \(groupId); rejoin")
            }
            if current != id {
                return GroupError(.fencedInstanceId, "instance \(instance) of group \(groupId) was taken over by member \(current)")
            }
        }
        guard members[id] != nil else {
            return GroupError(.unknownMemberId, "member \(id) is not in group \(groupId) (expired or removed); rejoin")
        }
        return nil
    }

    /// `validateMember` plus the generation: a current member of the current generation.
    func validateMember(_ id: String, _ instance: String?, generation: Int32) -> GroupError? {
        if state == .empty { return GroupError(.unknownMemberId, "group \(groupId) has no members; member \(id) must join") }
        if let error = validateMember(id, instance) { return error }
        guard generation == generationId else {
            return GroupError(
                .illegalGeneration, "member \(id) is on generation \(generation) but group \(groupId) is on \(generationId); rejoin")
        }
        return nil
    }

    // MARK: Describe

    /// Kafka's DescribeGroups view: subscription metadata and the chosen protocol only while
    /// Stable; each member's last assignment in every state.
    func describe() -> GroupDescription {
        GroupDescription(
            groupId: groupId, state: state, protocolType: protocolType ?? "", protocolName: state == .stable ? (protocolName ?? "") : "",
            generationId: generationId,
            members: memberOrder.compactMap { id in
                guard let member = members[id] else { return nil }
                return GroupDescription.Member(
                    memberId: id, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
                    metadata: state == .stable ? member.metadata(for: protocolName ?? "") : [],
                    assignment: member.assignment)
            })
    }
}
