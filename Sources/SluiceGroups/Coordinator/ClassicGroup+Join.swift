import Foundation

/// JoinGroup: admitting a member (unknown, known, or a static member's new incarnation), the
/// join phase it starts (`prepareRebalance`, with the initial-rebalance delay after Empty), and
/// its end (`completeJoin`): new generation, chosen protocol, leader, parked joins answered.
extension ClassicGroup {
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
            completeInitialJoinIfAllExpectedJoined(now: now, outbox: &outbox)
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
    mutating func completeJoinIfReady(now: Int64, outbox: inout Outbox) {
        guard state == .preparingRebalance, initialRebalance == nil else { return }
        let everyoneJoined = members.values.allSatisfy { $0.awaitingJoin != nil } && pendingMembers.isEmpty
        if everyoneJoined { completeJoin(now: now, outbox: &outbox) }
    }

    /// Ends the initial rebalance's join phase early once `initialRebalanceMembers` members
    /// wait in JoinGroup (and no handed-out member id is outstanding): the delay exists only
    /// to let the members that are coming arrive.
    mutating func completeInitialJoinIfAllExpectedJoined(now: Int64, outbox: inout Outbox) {
        guard state == .preparingRebalance, initialRebalance != nil, let expected = initialRebalanceMembers,
            members.count >= expected, pendingMembers.isEmpty, members.values.allSatisfy({ $0.awaitingJoin != nil })
        else { return }
        completeJoin(now: now, outbox: &outbox)
    }

    /// Ends the join phase: drops dynamic members that did not rejoin, bumps the generation,
    /// picks the protocol and a leader, and answers every parked JoinGroup. If only static
    /// members that did not rejoin are left, the phase waits another rebalance timeout (their
    /// sessions expire meanwhile), as Kafka does.
    mutating func completeJoin(now: Int64, outbox: inout Outbox) {
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
}
