/// Time-driven transitions, run by `tick`: session and pending-member-id expiry, the join
/// phase's deadline (and the initial-rebalance delay), and the sync deadline.
extension ClassicGroup {
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
}
