/// Requests from members of a generation: SyncGroup (the leader's assignment handed out),
/// Heartbeat, LeaveGroup, and the membership check on offset commits.
extension ClassicGroup {
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
}
