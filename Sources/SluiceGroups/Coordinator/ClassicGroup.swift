import Foundation

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
struct ClassicGroup {
    let groupId: String
    private(set) var state: GroupState = .empty
    private(set) var generationId: Int32 = 0
    private(set) var protocolType: String?
    private(set) var protocolName: String?
    private(set) var leaderId: String?
    private(set) var members: [String: GroupMember] = [:]
    /// Member ids in join order: the order the leader is chosen in and members are listed.
    private(set) var memberOrder: [String] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED, by expiry time. They survive the end of a
    /// join phase (as in Kafka): the member may rejoin with its id until it expires.
    private var pendingMembers: [String: Int64] = [:]
    private var staticMembers: [String: String] = [:]
    /// Members of the current generation that have not sent SyncGroup yet (Kafka's
    /// `pendingSyncMembers`): removed when `syncDeadlineMs` passes, even once the group is Stable.
    private var pendingSync: Set<String> = []
    private var joinDeadlineMs: Int64?
    private var syncDeadlineMs: Int64?
    /// Set while the join phase is the first one after Empty (Kafka's `previousState == EMPTY`):
    /// only the initial-delay timer may complete it.
    private var initialRebalance: InitialRebalance?
    /// When the group last became Empty; nil while it has members, and for a group this process
    /// never saw with members (offset expiry then counts from the commit).
    private(set) var emptySinceMs: Int64?

    /// Kafka's `tryCompleteInitialRebalanceElseSchedule` arguments: the delay that is running,
    /// how much of the rebalance timeout is left to extend into, and whether a member joined
    /// during the running delay.
    private struct InitialRebalance {
        var delayMs: Int64
        var remainingMs: Int64
        var newMemberAdded = false
    }

    /// `group.initial.rebalance.delay.ms`.
    let initialRebalanceDelayMs: Int64
    /// Kafka's `classicGroupNewMemberJoinTimeoutMs`: how long a new member may wait in JoinGroup.
    let newMemberJoinTimeoutMs: Int64

    init(groupId: String, initialRebalanceDelayMs: Int64, newMemberJoinTimeoutMs: Int64) {
        self.groupId = groupId
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.newMemberJoinTimeoutMs = newMemberJoinTimeoutMs
    }

    var isEmpty: Bool { members.isEmpty }

    /// Empty with no member id handed out: nothing would be lost by forgetting the group.
    var isIdle: Bool { state == .empty && pendingMembers.isEmpty }

    func member(_ id: String) -> GroupMember? { members[id] }

    /// The group's rebalance timeout: the largest of its members' (Kafka's `rebalanceTimeoutMs()`).
    private var rebalanceTimeoutMs: Int64 { members.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    private mutating func transition(to next: GroupState, now: Int64) {
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

    // MARK: JoinGroup

    mutating func join(
        _ request: JoinGroupRequest, now: Int64, config: GroupCoordinator.Configuration, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        func fail(_ code: GroupError.Code, _ message: String, memberId: String = request.memberId) {
            let response = JoinGroupResponse.failure(GroupError(code, message), memberId: memberId)
            outbox.append { respond(response) }
        }
        if state == .dead {
            return fail(.coordinatorNotAvailable, "group \(groupId) is being deleted; retry")
        }
        if !acceptJoiningMember(request.memberId, maxSize: config.maxGroupSize) {
            // Kafka removes a member it turns away (it would otherwise block the join phase).
            if pendingMembers.removeValue(forKey: request.memberId) == nil, members[request.memberId] != nil {
                removeMember(request.memberId, error: GroupError(.groupMaxSizeReached, "group \(groupId) is full"), outbox: &outbox)
                afterRemoval(now: now, reason: "member \(request.memberId) was turned away (group.max.size)", outbox: &outbox)
            }
            return fail(
                .groupMaxSizeReached, "group \(groupId) already has \(members.count) members (group.max.size \(config.maxGroupSize))",
                memberId: "")
        }
        guard !request.protocolType.isEmpty, !request.protocols.isEmpty else {
            return fail(.inconsistentGroupProtocol, "JoinGroup for \(groupId) lists no protocol type or no protocols")
        }
        if !members.isEmpty {
            if request.protocolType != protocolType {
                return fail(
                    .inconsistentGroupProtocol,
                    "group \(groupId) uses protocol type '\(protocolType ?? "")', not '\(request.protocolType)'")
            }
            let names = Set(request.protocols.map(\.name))
            let common = members.values.reduce(names) { $0.intersection($1.protocolNames) }
            if common.isEmpty {
                return fail(
                    .inconsistentGroupProtocol,
                    "no assignor of \(request.protocols.map(\.name)) is supported by every member of \(groupId)")
            }
        }
        if request.memberId.isEmpty {
            joinUnknownMember(request, now: now, outbox: &outbox, respond: respond)
        } else {
            joinKnownMember(request, now: now, outbox: &outbox, respond: respond)
        }
    }

    /// Kafka's `acceptJoiningMember`: `group.max.size` counts members waiting in JoinGroup while
    /// a join phase runs (so the last rejoiners are the ones turned away), members otherwise.
    private func acceptJoiningMember(_ id: String, maxSize: Int) -> Bool {
        switch state {
        case .empty, .dead:
            return true
        case .preparingRebalance:
            return members[id]?.awaitingJoin != nil || members.values.filter { $0.awaitingJoin != nil }.count < maxSize
        case .completingRebalance, .stable:
            return members[id] != nil || members.count < maxSize
        }
    }

    private mutating func joinUnknownMember(
        _ request: JoinGroupRequest, now: Int64, outbox: inout Outbox, respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        let memberId = "\(request.groupInstanceId ?? request.clientId)-\(UUID().uuidString.lowercased())"
        if let instance = request.groupInstanceId, let old = staticMembers[instance], members[old] != nil {
            replaceStaticMember(old, with: memberId, request, now: now, outbox: &outbox, respond: respond)
            return
        }
        if request.requireKnownMemberId && request.groupInstanceId == nil {
            pendingMembers[memberId] = now + Int64(request.sessionTimeoutMs)
            let response = JoinGroupResponse.failure(
                GroupError(.memberIdRequired, "rejoin with the member id the coordinator assigned"), memberId: memberId)
            outbox.append { respond(response) }
            return
        }
        addMember(memberId, request, now: now, outbox: &outbox, respond: respond)
    }

    private mutating func joinKnownMember(
        _ request: JoinGroupRequest, now: Int64, outbox: inout Outbox, respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        let id = request.memberId
        if pendingMembers.removeValue(forKey: id) != nil {
            addMember(id, request, now: now, outbox: &outbox, respond: respond)
            return
        }
        if let error = validateMember(id, request.groupInstanceId) {
            let response = JoinGroupResponse.failure(error, memberId: id)
            outbox.append { respond(response) }
            return
        }
        guard var member = members[id] else { return }  // validateMember checked it
        member.lastSeenMs = now
        switch state {
        case .preparingRebalance:
            update(&member, request, respond: respond, outbox: &outbox)
            members[id] = member
            completeJoinIfReady(now: now, outbox: &outbox)
        case .completingRebalance, .stable:
            if member.matches(request.protocols) && (state == .completingRebalance || id != leaderId) {
                // A repeated join (its answer was lost): answer with the current generation. The
                // leader of a Stable group rejoining forces a rebalance instead (Kafka: it may
                // have seen topic metadata change).
                members[id] = member
                let response = currentJoinResponse(for: id)
                outbox.append { respond(response) }
            } else {
                update(&member, request, respond: respond, outbox: &outbox)
                members[id] = member
                prepareRebalance(now: now, reason: "member \(id) rejoined with new metadata", outbox: &outbox)
            }
        case .empty, .dead:
            let response = JoinGroupResponse.failure(GroupError(.unknownMemberId, "member \(id) is not in group \(groupId)"), memberId: id)
            outbox.append { respond(response) }
        }
    }

    private mutating func addMember(
        _ id: String, _ request: JoinGroupRequest, now: Int64, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        if members.isEmpty { protocolType = request.protocolType }
        var member = GroupMember(
            memberId: id, groupInstanceId: request.groupInstanceId, clientId: request.clientId, clientHost: request.clientHost,
            sessionTimeoutMs: Int64(request.sessionTimeoutMs), rebalanceTimeoutMs: Int64(request.rebalanceTimeoutMs),
            protocolType: request.protocolType, protocols: request.protocols, lastSeenMs: now)
        member.awaitingJoin = respond
        member.isNew = true
        members[id] = member
        memberOrder.append(id)
        if let instance = request.groupInstanceId { staticMembers[instance] = id }
        if leaderId == nil { leaderId = id }
        switch state {
        case .preparingRebalance:
            initialRebalance?.newMemberAdded = true
            completeJoinIfReady(now: now, outbox: &outbox)
        default:
            prepareRebalance(now: now, reason: "member \(id) joined", outbox: &outbox)
        }
    }

    /// KIP-345: a static member restarted with a new member id. It takes over the old member's
    /// place (and assignment); the old incarnation is fenced. In a Stable group whose chosen
    /// assignor would stay the same, no rebalance happens (Kafka's
    /// `updateStaticMemberThenRebalanceOrCompleteJoin`).
    private mutating func replaceStaticMember(
        _ old: String, with new: String, _ request: JoinGroupRequest, now: Int64, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        guard var member = members.removeValue(forKey: old) else { return }
        failParked(member, GroupError(.fencedInstanceId, "instance \(request.groupInstanceId ?? "") rejoined as \(new)"), outbox: &outbox)
        member = GroupMember(
            memberId: new, groupInstanceId: request.groupInstanceId, clientId: request.clientId, clientHost: request.clientHost,
            sessionTimeoutMs: Int64(request.sessionTimeoutMs), rebalanceTimeoutMs: Int64(request.rebalanceTimeoutMs),
            protocolType: request.protocolType, protocols: request.protocols, assignment: member.assignment, lastSeenMs: now)
        members[new] = member
        if let index = memberOrder.firstIndex(of: old) { memberOrder[index] = new }
        if let instance = request.groupInstanceId { staticMembers[instance] = new }
        if leaderId == old { leaderId = new }
        if pendingSync.remove(old) != nil { pendingSync.insert(new) }
        switch state {
        case .stable where selectProtocol(memberOrder.compactMap { members[$0]?.protocolNames }) == protocolName:
            var response = currentJoinResponse(for: new)
            response.skipAssignment = leaderId == new
            let answer = response
            outbox.append { respond(answer) }
        case .preparingRebalance:
            members[new]?.awaitingJoin = respond
            completeJoinIfReady(now: now, outbox: &outbox)
        default:
            // Stable with a different assignor, or CompletingRebalance: the leader may already
            // hold the old member id, so the assignment could not reach the new one.
            members[new]?.awaitingJoin = respond
            prepareRebalance(now: now, reason: "static member \(new) rejoined", outbox: &outbox)
        }
    }

    private func update(
        _ member: inout GroupMember, _ request: JoinGroupRequest, respond: @escaping @Sendable (JoinGroupResponse) -> Void,
        outbox: inout Outbox
    ) {
        if let previous = member.awaitingJoin {
            let response = JoinGroupResponse.failure(
                GroupError(.rebalanceInProgress, "a newer JoinGroup from the same member replaced this one"), memberId: member.memberId)
            outbox.append { previous(response) }
        }
        member.protocols = request.protocols
        member.clientId = request.clientId
        member.clientHost = request.clientHost
        member.sessionTimeoutMs = Int64(request.sessionTimeoutMs)
        member.rebalanceTimeoutMs = Int64(request.rebalanceTimeoutMs)
        member.awaitingJoin = respond
    }

    private func currentJoinResponse(for id: String) -> JoinGroupResponse {
        JoinGroupResponse(
            error: nil, generationId: generationId, protocolType: protocolType, protocolName: protocolName, leader: leaderId ?? "",
            skipAssignment: false, memberId: id, members: id == leaderId ? leaderMembers() : [])
    }

    private func leaderMembers() -> [JoinGroupResponse.Member] {
        memberOrder.compactMap { id in
            guard let member = members[id] else { return nil }
            return JoinGroupResponse.Member(
                memberId: id, groupInstanceId: member.groupInstanceId, metadata: member.metadata(for: protocolName ?? ""))
        }
    }

    // MARK: Rebalance

    /// Starts a join phase (Kafka's `prepareRebalance`). From Empty it is the initial rebalance,
    /// which only the `group.initial.rebalance.delay.ms` timer completes; otherwise it completes
    /// as soon as every member rejoined, or at the rebalance timeout.
    mutating func prepareRebalance(now: Int64, reason: String, outbox: inout Outbox) {
        if state == .completingRebalance {
            // Assignments computed for this generation will never be used.
            for id in memberOrder {
                members[id]?.assignment = []
                if let waiting = members[id]?.awaitingSync {
                    members[id]?.awaitingSync = nil
                    members[id]?.lastSeenMs = now  // answered: its session runs again from now
                    let response = SyncGroupResponse(
                        error: GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing: \(reason)"), protocolType: nil,
                        protocolName: nil, assignment: [])
                    outbox.append { waiting(response) }
                }
            }
        }
        pendingSync = []
        syncDeadlineMs = nil
        if state == .empty {
            let delay = max(initialRebalanceDelayMs, 0)
            initialRebalance = InitialRebalance(delayMs: delay, remainingMs: max(rebalanceTimeoutMs - delay, 0))
            joinDeadlineMs = now + delay
            transition(to: .preparingRebalance, now: now)
            // Kafka's timer fires at once for a zero delay; without it the phase waits for `tick`.
            if delay == 0 { completeJoin(now: now, outbox: &outbox) }
        } else {
            initialRebalance = nil
            joinDeadlineMs = now + rebalanceTimeoutMs
            transition(to: .preparingRebalance, now: now)
            completeJoinIfReady(now: now, outbox: &outbox)
        }
    }

    /// Kafka's `maybeCompleteJoinPhase`: not during the initial rebalance (its timer decides),
    /// otherwise once every member waits in JoinGroup and no handed-out member id is outstanding.
    private mutating func completeJoinIfReady(now: Int64, outbox: inout Outbox) {
        guard state == .preparingRebalance, initialRebalance == nil else { return }
        let everyoneJoined = members.values.allSatisfy { $0.awaitingJoin != nil } && pendingMembers.isEmpty
        if everyoneJoined { completeJoin(now: now, outbox: &outbox) }
    }

    /// Ends the join phase: drops dynamic members that did not rejoin, bumps the generation,
    /// picks the protocol and a leader, and answers every parked JoinGroup. If only static
    /// members that did not rejoin are left, the phase waits another rebalance timeout (their
    /// sessions expire meanwhile), as Kafka does.
    private mutating func completeJoin(now: Int64, outbox: inout Outbox) {
        for id in memberOrder where members[id]?.awaitingJoin == nil && members[id]?.groupInstanceId == nil {
            removeMember(id, error: GroupError(.unknownMemberId, "member \(id) did not rejoin within the rebalance timeout"), outbox: &outbox)
        }
        initialRebalance = nil
        joinDeadlineMs = nil
        let joined = memberOrder.filter { members[$0]?.awaitingJoin != nil }
        if joined.isEmpty && !members.isEmpty {
            joinDeadlineMs = now + rebalanceTimeoutMs
            return
        }
        generationId &+= 1
        guard !members.isEmpty else {
            protocolName = nil
            leaderId = nil
            transition(to: .empty, now: now)
            return
        }
        if let leader = leaderId, !joined.contains(leader) { leaderId = joined.first }
        if leaderId == nil { leaderId = joined.first }
        protocolName = selectProtocol(memberOrder.compactMap { members[$0]?.protocolNames })
        transition(to: .completingRebalance, now: now)
        syncDeadlineMs = now + rebalanceTimeoutMs
        pendingSync = Set(memberOrder)
        for id in memberOrder {
            members[id]?.isNew = false
            members[id]?.lastSeenMs = now
            guard let respond = members[id]?.awaitingJoin else { continue }
            members[id]?.awaitingJoin = nil
            let response = currentJoinResponse(for: id)
            outbox.append { respond(response) }
        }
    }

    // MARK: SyncGroup

    mutating func sync(_ request: SyncGroupRequest, now: Int64, outbox: inout Outbox, respond: @escaping @Sendable (SyncGroupResponse) -> Void) {
        func fail(_ error: GroupError) {
            let response = SyncGroupResponse(error: error, protocolType: nil, protocolName: nil, assignment: [])
            outbox.append { respond(response) }
        }
        if let error = validateMember(request.memberId, request.groupInstanceId, generation: request.generationId) {
            return fail(error)
        }
        if let type = request.protocolType, let groupType = protocolType, type != groupType {
            return fail(GroupError(.inconsistentGroupProtocol, "SyncGroup protocol type \(type) is not the group's"))
        }
        if let name = request.protocolName, let chosen = protocolName, name != chosen {
            return fail(GroupError(.inconsistentGroupProtocol, "SyncGroup protocol \(name) is not the chosen \(chosen)"))
        }
        let id = request.memberId
        // A valid SyncGroup shows the member is alive. (Kafka only restarts the session when it
        // answers a parked SyncGroup; refreshing on every valid one is merely more lenient.)
        members[id]?.lastSeenMs = now
        switch state {
        case .preparingRebalance:
            fail(GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing; rejoin"))
        case .completingRebalance:
            if let previous = members[id]?.awaitingSync {
                let response = SyncGroupResponse(
                    error: GroupError(.rebalanceInProgress, "a newer SyncGroup from the same member replaced this one"), protocolType: nil,
                    protocolName: nil, assignment: [])
                outbox.append { previous(response) }
            }
            members[id]?.awaitingSync = respond
            markSynced(id)
            guard id == leaderId else { return }
            // The leader's assignment: members it left out get empty bytes (Kafka's EMPTY_ASSIGNMENT).
            for memberId in memberOrder { members[memberId]?.assignment = request.assignments[memberId] ?? [] }
            transition(to: .stable, now: now)
            for memberId in memberOrder {
                guard let member = members[memberId], let waiting = member.awaitingSync else { continue }
                members[memberId]?.awaitingSync = nil
                members[memberId]?.lastSeenMs = now  // Kafka reschedules the session on propagation
                let response = SyncGroupResponse(
                    error: nil, protocolType: protocolType, protocolName: protocolName, assignment: member.assignment)
                outbox.append { waiting(response) }
            }
        case .stable:
            markSynced(id)
            let response = SyncGroupResponse(
                error: nil, protocolType: protocolType, protocolName: protocolName, assignment: members[id]?.assignment ?? [])
            outbox.append { respond(response) }
        case .empty, .dead:
            break  // validateMember answered
        }
    }

    /// Kafka's `removePendingSyncMember`: once everyone synced, the sync deadline is moot.
    private mutating func markSynced(_ id: String) {
        pendingSync.remove(id)
        if pendingSync.isEmpty { syncDeadlineMs = nil }
    }

    // MARK: Heartbeat, LeaveGroup, commit validation

    /// Kafka's `classicGroupHeartbeatToClassicGroup`: REBALANCE_IN_PROGRESS while preparing a
    /// rebalance, nothing in CompletingRebalance/Stable. A valid heartbeat (even one answered
    /// REBALANCE_IN_PROGRESS) refreshes the session; a rejected one does not.
    mutating func heartbeat(memberId: String, groupInstanceId: String?, generationId: Int32, now: Int64) -> GroupError? {
        if let error = validateMember(memberId, groupInstanceId, generation: generationId) { return error }
        members[memberId]?.lastSeenMs = now
        if state == .preparingRebalance {
            return GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing; rejoin")
        }
        return nil
    }

    /// Kafka's `ClassicGroup.validateMember`: a given instance id must map to this member id
    /// (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID if the instance is unknown), and the member
    /// must exist. The instance is checked first, so a replaced static incarnation is told it
    /// was fenced rather than unknown.
    private func validateMember(_ id: String, _ instance: String?) -> GroupError? {
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
    private func validateMember(_ id: String, _ instance: String?, generation: Int32) -> GroupError? {
        if state == .empty { return GroupError(.unknownMemberId, "group \(groupId) has no members; member \(id) must join") }
        if let error = validateMember(id, instance) { return error }
        guard generation == generationId else {
            return GroupError(
                .illegalGeneration, "member \(id) is on generation \(generation) but group \(groupId) is on \(generationId); rejoin")
        }
        return nil
    }

    /// Kafka's `ClassicGroup.validateOffsetCommit`. A valid member commit in Stable or
    /// PreparingRebalance also keeps the member's session alive, as in Kafka.
    mutating func validateCommit(_ who: CommitIdentity, now: Int64) -> GroupError? {
        if state == .dead { return GroupError(.coordinatorNotAvailable, "group \(groupId) is being deleted") }
        if who.generationId < 0 && state == .empty { return nil }
        if who.generationId >= 0 || !who.memberId.isEmpty || who.groupInstanceId != nil {
            if let error = validateMember(who.memberId, who.groupInstanceId, generation: who.generationId) { return error }
        } else if state != .empty {
            return GroupError(
                .unknownMemberId,
                "group \(groupId) has live members (\(state.rawValue)); only its members can commit (reset offsets once it is Empty)")
        }
        if state == .completingRebalance {
            return GroupError(.rebalanceInProgress, "group \(groupId) is completing a rebalance; commit after rejoining")
        }
        if state == .stable || state == .preparingRebalance { members[who.memberId]?.lastSeenMs = now }
        return nil
    }

    /// Kafka's `classicGroupLeaveToClassicGroup` for one member: by member id, or (admin
    /// removal of a static member) by instance id with an empty member id.
    mutating func leave(memberId: String, groupInstanceId: String?, now: Int64, outbox: inout Outbox) -> GroupError? {
        if state == .dead { return GroupError(.coordinatorNotAvailable, "group \(groupId) is being deleted") }
        var id = memberId
        if memberId.isEmpty {
            guard let instance = groupInstanceId, let current = staticMembers[instance] else {
                return GroupError(.unknownMemberId, "instance \(groupInstanceId ?? "(none)") is not in group \(groupId)")
            }
            id = current
        } else if pendingMembers.removeValue(forKey: id) != nil {
            completeJoinIfReady(now: now, outbox: &outbox)
            return nil
        } else if let error = validateMember(id, groupInstanceId) {
            return error
        }
        removeMember(id, error: GroupError(.unknownMemberId, "member \(id) left group \(groupId)"), outbox: &outbox)
        afterRemoval(now: now, reason: "member \(id) left", outbox: &outbox)
        return nil
    }

    private mutating func afterRemoval(now: Int64, reason: String, outbox: inout Outbox) {
        switch state {
        case .stable, .completingRebalance: prepareRebalance(now: now, reason: reason, outbox: &outbox)
        case .preparingRebalance: completeJoinIfReady(now: now, outbox: &outbox)
        case .empty, .dead: break
        }
    }

    private mutating func removeMember(_ id: String, error: GroupError, outbox: inout Outbox) {
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

    private func failParked(_ member: GroupMember, _ error: GroupError, outbox: inout Outbox) {
        if let join = member.awaitingJoin {
            let response = JoinGroupResponse.failure(error, memberId: member.memberId)
            outbox.append { join(response) }
        }
        if let sync = member.awaitingSync {
            let response = SyncGroupResponse(error: error, protocolType: nil, protocolName: nil, assignment: [])
            outbox.append { sync(response) }
        }
    }

    // MARK: Timers

    /// Expires sessions, pending member ids, and join/sync phases whose deadline passed.
    mutating func tick(now: Int64, outbox: inout Outbox) {
        let expiredPending = pendingMembers.filter { now >= $0.value }.keys
        for id in expiredPending { pendingMembers[id] = nil }
        var expired: [String] = []
        for id in memberOrder where members[id]?.isExpired(now: now, newMemberJoinTimeoutMs: newMemberJoinTimeoutMs) == true {
            expired.append(id)
        }
        for id in expired {
            removeMember(id, error: GroupError(.unknownMemberId, "member \(id) of \(groupId) missed its session timeout"), outbox: &outbox)
        }
        if !expired.isEmpty {
            afterRemoval(now: now, reason: "session timeout of \(expired.joined(separator: ", "))", outbox: &outbox)
        } else if !expiredPending.isEmpty {
            completeJoinIfReady(now: now, outbox: &outbox)
        }
        if state == .preparingRebalance, let deadline = joinDeadlineMs, now >= deadline {
            if var initial = initialRebalance, initial.newMemberAdded, initial.remainingMs > 0 {
                // Kafka's tryCompleteInitialRebalanceElseSchedule: members still arriving, wait
                // another delay (never past the rebalance timeout in total).
                let delay = min(initialRebalanceDelayMs, initial.remainingMs)
                initial.remainingMs = max(initial.remainingMs - initial.delayMs, 0)
                initial.delayMs = delay
                initial.newMemberAdded = false
                initialRebalance = initial
                joinDeadlineMs = now + delay
            } else {
                completeJoin(now: now, outbox: &outbox)
            }
        }
        if state == .completingRebalance || state == .stable, let deadline = syncDeadlineMs, now >= deadline {
            // Kafka's expirePendingSync: whoever has not sent SyncGroup (in CompletingRebalance
            // that includes a leader that never sent the assignment) is removed; start over.
            syncDeadlineMs = nil
            let stragglers = memberOrder.filter { pendingSync.contains($0) }
            if !stragglers.isEmpty {
                for id in stragglers {
                    removeMember(id, error: GroupError(.unknownMemberId, "member \(id) did not sync in time"), outbox: &outbox)
                }
                prepareRebalance(now: now, reason: "\(stragglers.joined(separator: ", ")) did not send SyncGroup in time", outbox: &outbox)
            }
        }
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
