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
    /// Joined in the current join phase for the first time (Kafka's `isNew`): removed if it does
    /// not complete the phase within the session timeout.
    var isNew = false

    var protocolNames: [String] { protocols.map(\.name) }

    func metadata(for name: String) -> [UInt8] { protocols.first { $0.name == name }?.metadata ?? [] }

    /// A member parked in JoinGroup or SyncGroup is alive by definition (Kafka's `shouldKeepAlive`).
    func isExpired(now: Int64) -> Bool {
        awaitingJoin == nil && awaitingSync == nil && now - lastSeenMs >= sessionTimeoutMs
    }

    func matches(_ protocols: [GroupProtocol]) -> Bool { self.protocols == protocols }
}
