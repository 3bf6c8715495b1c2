/// One member of a classic group, as the coordinator tracks it.
///
/// Invariant: at most one parked JoinGroup and one parked SyncGroup answer per member; a new
/// request from the same member replaces (and first answers) the old one.
struct GroupMember {
    let memberId: String
    var groupInstanceId: String?
    var clientId: String
    var clientHost: String
    var sessionTimeoutMs: Int64
    var rebalanceTimeoutMs: Int64
    var protocolType: String
    var protocols: [GroupProtocol]
    /// The leader's assignment bytes for the current generation.
    var assignment: [UInt8] = []
    var awaitingJoin: (@Sendable (JoinGroupResponse) -> Void)?
    var awaitingSync: (@Sendable (SyncGroupResponse) -> Void)?
    /// Last join, sync or heartbeat (the session timer).
    var lastSeenMs: Int64
    /// Joined in the current join phase for the first time (Kafka's `isNew`): removed if the
    /// phase does not complete within the new-member join timeout, even while parked (it cannot
    /// heartbeat, and a client that gave up and retried would otherwise leave a defunct member).
    var isNew = false

    var protocolNames: [String] { protocols.map(\.name) }

    func metadata(for name: String) -> [UInt8] { protocols.first { $0.name == name }?.metadata ?? [] }

    /// Kafka's `hasSatisfiedHeartbeat`: a member parked in JoinGroup or SyncGroup is alive by
    /// definition, except a new member, which may wait at most `newMemberJoinTimeoutMs`.
    func isExpired(now: Int64, newMemberJoinTimeoutMs: Int64) -> Bool {
        if isNew { return now - lastSeenMs >= newMemberJoinTimeoutMs }
        return awaitingJoin == nil && awaitingSync == nil && now - lastSeenMs >= sessionTimeoutMs
    }

    func matches(_ protocols: [GroupProtocol]) -> Bool { self.protocols == protocols }
}
