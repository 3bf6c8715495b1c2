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
/// - In `completingRebalance` and `stable` every member joined the current generation; in
///   `empty` there are no members.
/// - Every parked JoinGroup/SyncGroup callback is answered exactly once (with an error if the
///   member is removed or the phase is abandoned).
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
    /// Member ids handed out with MEMBER_ID_REQUIRED, by expiry time.
    private var pendingMembers: [String: Int64] = [:]
    private var staticMembers: [String: String] = [:]
    private var joinDeadlineMs: Int64?
    private var joinDeadlineCapMs: Int64?
    private var syncDeadlineMs: Int64?
    /// When the group entered its current state (offset expiry counts from becoming Empty).
    private(set) var stateSinceMs: Int64

    /// `group.initial.rebalance.delay.ms`.
    let initialRebalanceDelayMs: Int64

    init(groupId: String, initialRebalanceDelayMs: Int64, now: Int64) {
        self.groupId = groupId
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.stateSinceMs = now
    }

    var isEmpty: Bool { members.isEmpty }

    func member(_ id: String) -> GroupMember? { members[id] }

    private mutating func transition(to next: GroupState, now: Int64) {
        state = next
        stateSinceMs = now
    }

    mutating func markDead(now: Int64, outbox: inout Outbox) {
        for id in memberOrder { failParked(id, GroupError(.coordinatorNotAvailable, "group \(groupId) was deleted"), outbox: &outbox) }
        members = [:]
        memberOrder = []
        transition(to: .dead, now: now)
    }

    // MARK: JoinGroup

    mutating func join(
        _ request: JoinGroupRequest, now: Int64, config: GroupCoordinator.Configuration, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        func fail(_ code: GroupError.Code, _ message: String) {
            let response = JoinGroupResponse.failure(GroupError(code, message), memberId: request.memberId)
            outbox.append { respond(response) }
        }
        if state == .dead {
            return fail(.coordinatorNotAvailable, "group \(groupId) is being deleted; retry")
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
            joinUnknownMember(request, now: now, config: config, outbox: &outbox, respond: respond)
        } else {
            joinKnownMember(request, now: now, outbox: &outbox, respond: respond)
        }
    }

    private mutating func joinUnknownMember(
        _ request: JoinGroupRequest, now: Int64, config: GroupCoordinator.Configuration, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        if members.count >= config.maxGroupSize {
            let response = JoinGroupResponse.failure(
                GroupError(.groupMaxSizeReached, "group \(groupId) already has \(members.count) members (group.max.size)"))
            outbox.append { respond(response) }
            return
        }
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
        guard var member = members[id] else {
            let response = JoinGroupResponse.failure(
                GroupError(.unknownMemberId, "member \(id) is not in group \(groupId) (expired or removed); rejoin without a member id"),
                memberId: id)
            outbox.append { respond(response) }
            return
        }
        if let instance = request.groupInstanceId, staticMembers[instance] != id {
            let response = JoinGroupResponse.failure(
                GroupError(.fencedInstanceId, "instance \(instance) of group \(groupId) was taken over by a newer member"), memberId: id)
            outbox.append { respond(response) }
            return
        }
        member.lastSeenMs = now
        switch state {
        case .preparingRebalance:
            update(&member, request, respond: respond, outbox: &outbox)
            members[id] = member
            completeJoinIfReady(now: now, outbox: &outbox)
        case .completingRebalance, .stable:
            if member.matches(request.protocols) && (state == .completingRebalance || id != leaderId) {
                // A repeated join (its answer was lost): answer with the current generation.
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
            extendInitialDelay(now: now)
            completeJoinIfReady(now: now, outbox: &outbox)
        default:
            prepareRebalance(now: now, reason: "member \(id) joined", outbox: &outbox)
        }
    }

    /// KIP-345: a static member restarted with a new member id. It takes over the old member's
    /// place (and assignment); the old incarnation is fenced.
    private mutating func replaceStaticMember(
        _ old: String, with new: String, _ request: JoinGroupRequest, now: Int64, outbox: inout Outbox,
        respond: @escaping @Sendable (JoinGroupResponse) -> Void
    ) {
        guard var member = members.removeValue(forKey: old) else { return }
        failParked(member, GroupError(.fencedInstanceId, "instance \(request.groupInstanceId ?? "") rejoined as \(new)"), outbox: &outbox)
        member.awaitingJoin = nil
        member.awaitingSync = nil
        let unchanged = member.matches(request.protocols)
        member = GroupMember(
            memberId: new, groupInstanceId: request.groupInstanceId, clientId: request.clientId, clientHost: request.clientHost,
            sessionTimeoutMs: Int64(request.sessionTimeoutMs), rebalanceTimeoutMs: Int64(request.rebalanceTimeoutMs),
            protocolType: request.protocolType, protocols: request.protocols, assignment: member.assignment, lastSeenMs: now)
        members[new] = member
        if let index = memberOrder.firstIndex(of: old) { memberOrder[index] = new }
        if let instance = request.groupInstanceId { staticMembers[instance] = new }
        if leaderId == old { leaderId = new }
        if state == .stable && unchanged {
            var response = currentJoinResponse(for: new)
            response.skipAssignment = leaderId == new
            let answer = response
            outbox.append { respond(answer) }
        } else {
            members[new]?.awaitingJoin = respond
            if state == .preparingRebalance {
                completeJoinIfReady(now: now, outbox: &outbox)
            } else {
                prepareRebalance(now: now, reason: "static member \(new) rejoined with new metadata", outbox: &outbox)
            }
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

    mutating func prepareRebalance(now: Int64, reason: String, outbox: inout Outbox) {
        if state == .completingRebalance {
            // Assignments computed for this generation will never be used.
            for id in memberOrder {
                members[id]?.assignment = []
                if let waiting = members[id]?.awaitingSync {
                    members[id]?.awaitingSync = nil
                    let response = SyncGroupResponse(
                        error: GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing: \(reason)"), protocolType: protocolType,
                        protocolName: protocolName, assignment: [])
                    outbox.append { waiting(response) }
                }
            }
        }
        let timeout = members.values.map(\.rebalanceTimeoutMs).max() ?? 0
        syncDeadlineMs = nil
        if state == .empty {
            joinDeadlineMs = now + initialRebalanceDelayMs
            joinDeadlineCapMs = now + max(timeout, initialRebalanceDelayMs)
        } else {
            joinDeadlineMs = now + timeout
            joinDeadlineCapMs = nil
        }
        transition(to: .preparingRebalance, now: now)
        completeJoinIfReady(now: now, outbox: &outbox)
    }

    /// `group.initial.rebalance.delay.ms`: each new member of a brand-new group pushes the first
    /// generation back by the delay, up to the rebalance timeout, so a fleet lands together.
    private mutating func extendInitialDelay(now: Int64) {
        guard let cap = joinDeadlineCapMs else { return }
        joinDeadlineMs = min(now + initialRebalanceDelayMs, cap)
    }

    private mutating func completeJoinIfReady(now: Int64, outbox: inout Outbox) {
        guard state == .preparingRebalance else { return }
        if joinDeadlineCapMs != nil, let deadline = joinDeadlineMs, now < deadline { return }  // initial delay running
        let everyoneJoined = members.values.allSatisfy { $0.awaitingJoin != nil } && pendingMembers.isEmpty
        if everyoneJoined { completeJoin(now: now, outbox: &outbox) }
    }

    /// Ends the join phase: drops dynamic members that did not rejoin, bumps the generation,
    /// picks the protocol and a leader, and answers every parked JoinGroup.
    private mutating func completeJoin(now: Int64, outbox: inout Outbox) {
        for id in memberOrder where members[id]?.awaitingJoin == nil && members[id]?.groupInstanceId == nil {
            removeMember(id, error: GroupError(.unknownMemberId, "member \(id) did not rejoin within the rebalance timeout"), outbox: &outbox)
        }
        pendingMembers = [:]
        joinDeadlineMs = nil
        joinDeadlineCapMs = nil
        generationId &+= 1
        let joined = memberOrder.filter { members[$0]?.awaitingJoin != nil }
        guard !joined.isEmpty else {
            protocolName = nil
            leaderId = nil
            transition(to: .empty, now: now)
            return
        }
        if let leader = leaderId, !joined.contains(leader) { leaderId = joined.first }
        if leaderId == nil { leaderId = joined.first }
        protocolName = selectProtocol(joined.compactMap { members[$0]?.protocolNames })
        transition(to: .completingRebalance, now: now)
        syncDeadlineMs = now + (members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        for id in joined {
            guard var member = members[id], let respond = member.awaitingJoin else { continue }
            member.awaitingJoin = nil
            member.isNew = false
            member.lastSeenMs = now
            member.assignment = []
            members[id] = member
            let response = currentJoinResponse(for: id)
            outbox.append { respond(response) }
        }
    }

    // MARK: SyncGroup

    mutating func sync(_ request: SyncGroupRequest, now: Int64, outbox: inout Outbox, respond: @escaping @Sendable (SyncGroupResponse) -> Void) {
        if let error = validateMember(request.memberId, request.groupInstanceId, request.generationId, now: now) {
            let response = SyncGroupResponse(error: error, protocolType: nil, protocolName: nil, assignment: [])
            outbox.append { respond(response) }
            return
        }
        if let type = request.protocolType, type != protocolType {
            let response = SyncGroupResponse(
                error: GroupError(.inconsistentGroupProtocol, "SyncGroup protocol type \(type) is not the group's"), protocolType: nil,
                protocolName: nil, assignment: [])
            outbox.append { respond(response) }
            return
        }
        if let name = request.protocolName, name != protocolName {
            let response = SyncGroupResponse(
                error: GroupError(.inconsistentGroupProtocol, "SyncGroup protocol \(name) is not the chosen \(protocolName ?? "none")"),
                protocolType: nil, protocolName: nil, assignment: [])
            outbox.append { respond(response) }
            return
        }
        switch state {
        case .preparingRebalance:
            let response = SyncGroupResponse(
                error: GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing; rejoin"), protocolType: protocolType,
                protocolName: protocolName, assignment: [])
            outbox.append { respond(response) }
        case .completingRebalance:
            members[request.memberId]?.awaitingSync = respond
            if request.memberId == leaderId {
                for id in memberOrder { members[id]?.assignment = request.assignments[id] ?? [] }
                syncDeadlineMs = nil
                transition(to: .stable, now: now)
                for id in memberOrder {
                    guard let member = members[id], let waiting = member.awaitingSync else { continue }
                    members[id]?.awaitingSync = nil
                    let response = SyncGroupResponse(
                        error: nil, protocolType: protocolType, protocolName: protocolName, assignment: member.assignment)
                    outbox.append { waiting(response) }
                }
            }
        case .stable:
            let response = SyncGroupResponse(
                error: nil, protocolType: protocolType, protocolName: protocolName, assignment: members[request.memberId]?.assignment ?? [])
            outbox.append { respond(response) }
        case .empty, .dead:
            break  // validateMember answered
        }
    }

    // MARK: Heartbeat, LeaveGroup, commit validation

    mutating func heartbeat(memberId: String, groupInstanceId: String?, generationId: Int32, now: Int64) -> GroupError? {
        if let error = validateMember(memberId, groupInstanceId, generationId, now: now) { return error }
        if state == .preparingRebalance {
            return GroupError(.rebalanceInProgress, "group \(groupId) is rebalancing; rejoin")
        }
        return nil
    }

    /// Checks that a request comes from a current member of the current generation, and
    /// refreshes that member's session.
    private mutating func validateMember(_ id: String, _ instance: String?, _ generation: Int32, now: Int64) -> GroupError? {
        switch state {
        case .dead: return GroupError(.coordinatorNotAvailable, "group \(groupId) is being deleted")
        case .empty: return GroupError(.unknownMemberId, "group \(groupId) has no members; member \(id) must join")
        default: break
        }
        guard members[id] != nil else {
            return GroupError(.unknownMemberId, "member \(id) is not in group \(groupId) (expired or removed); rejoin")
        }
        if let instance, staticMembers[instance] != id {
            return GroupError(.fencedInstanceId, "instance \(instance) of group \(groupId) was taken over by a newer member")
        }
        members[id]?.lastSeenMs = now
        guard generation == generationId else {
            return GroupError(
                .illegalGeneration, "member \(id) is on generation \(generation) but group \(groupId) is on \(generationId); rejoin")
        }
        return nil
    }

    /// Kafka's `ClassicGroup.validateOffsetCommit`.
    mutating func validateCommit(_ who: CommitIdentity, now: Int64) -> GroupError? {
        if state == .dead { return GroupError(.coordinatorNotAvailable, "group \(groupId) is being deleted") }
        if who.generationId < 0 && state == .empty { return nil }
        if who.generationId < 0 || who.memberId.isEmpty {
            return GroupError(
                .unknownMemberId,
                "group \(groupId) has live members (\(state.rawValue)); only its members can commit (reset offsets once it is Empty)")
        }
        if let error = validateMember(who.memberId, who.groupInstanceId, who.generationId, now: now) { return error }
        if state == .completingRebalance {
            return GroupError(.rebalanceInProgress, "group \(groupId) is completing a rebalance; commit after rejoining")
        }
        return nil
    }

    mutating func leave(memberId: String, groupInstanceId: String?, now: Int64, outbox: inout Outbox) -> GroupError? {
        var id = memberId
        if let instance = groupInstanceId {
            guard let current = staticMembers[instance] else {
                return GroupError(.unknownMemberId, "instance \(instance) is not in group \(groupId)")
            }
            if !memberId.isEmpty && memberId != current {
                return GroupError(.fencedInstanceId, "instance \(instance) of group \(groupId) belongs to a newer member")
            }
            id = current
        }
        if pendingMembers.removeValue(forKey: id) != nil {
            completeJoinIfReady(now: now, outbox: &outbox)
            return nil
        }
        guard members[id] != nil, state != .dead else {
            return GroupError(.unknownMemberId, "member \(id) is not in group \(groupId)")
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
            let response = SyncGroupResponse(error: error, protocolType: protocolType, protocolName: protocolName, assignment: [])
            outbox.append { sync(response) }
        }
    }

    // MARK: Timers

    /// Expires sessions, pending member ids, and join/sync phases whose deadline passed.
    mutating func tick(now: Int64, outbox: inout Outbox) {
        for (id, expiry) in pendingMembers where now >= expiry { pendingMembers[id] = nil }
        var expired: [String] = []
        for id in memberOrder where members[id]?.isExpired(now: now) == true { expired.append(id) }
        for id in expired {
            removeMember(id, error: GroupError(.unknownMemberId, "member \(id) of \(groupId) missed its session timeout"), outbox: &outbox)
        }
        if !expired.isEmpty { afterRemoval(now: now, reason: "session timeout of \(expired.joined(separator: ", "))", outbox: &outbox) }
        if state == .preparingRebalance, let deadline = joinDeadlineMs, now >= deadline {
            if joinDeadlineCapMs != nil {
                joinDeadlineCapMs = nil  // the initial delay is over; now wait for stragglers normally
                let everyoneJoined = members.values.allSatisfy { $0.awaitingJoin != nil }
                if everyoneJoined || members.isEmpty {
                    completeJoin(now: now, outbox: &outbox)
                } else {
                    joinDeadlineMs = now + (members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
                }
            } else {
                completeJoin(now: now, outbox: &outbox)
            }
        }
        if state == .completingRebalance, let deadline = syncDeadlineMs, now >= deadline {
            // The leader's assignment never came: drop whoever has not synced, start over.
            let stragglers = memberOrder.filter { members[$0]?.awaitingSync == nil }
            for id in stragglers {
                removeMember(id, error: GroupError(.unknownMemberId, "member \(id) did not sync in time"), outbox: &outbox)
            }
            syncDeadlineMs = nil
            if members.isEmpty {
                generationId &+= 1
                protocolName = nil
                transition(to: .empty, now: now)
            } else {
                prepareRebalance(now: now, reason: "the leader did not send the assignment in time", outbox: &outbox)
            }
        }
    }

    // MARK: Describe

    func describe() -> GroupDescription {
        GroupDescription(
            groupId: groupId, state: state, protocolType: protocolType ?? "", protocolName: state == .stable ? (protocolName ?? "") : "",
            generationId: generationId,
            members: memberOrder.compactMap { id in
                guard let member = members[id] else { return nil }
                return GroupDescription.Member(
                    memberId: id, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
                    metadata: state == .stable ? member.metadata(for: protocolName ?? "") : [],
                    assignment: state == .stable ? member.assignment : [])
            })
    }
}
