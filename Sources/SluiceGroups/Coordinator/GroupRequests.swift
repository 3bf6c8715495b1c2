/// The requests and answers of the classic group protocol, field for field as in Kafka's
/// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and DescribeGroups messages
/// (the broker maps its wire versions onto these; the embedded consumer fills them directly).

/// One protocol (assignor) a member supports, with its subscription bytes for that assignor.
public struct GroupProtocol: Sendable, Hashable {
    public var name: String
    public var metadata: [UInt8]

    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

public struct JoinGroupRequest: Sendable {
    public var groupId: String
    /// Empty on a member's first join.
    public var memberId: String
    /// `group.instance.id` of a static member (KIP-345).
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    /// How long the coordinator waits for every member to rejoin (the client's `max.poll.interval.ms`).
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    /// In the member's order of preference.
    public var protocols: [GroupProtocol]
    /// JoinGroup v4+ (KIP-394): a new member first gets MEMBER_ID_REQUIRED with its id.
    public var requireKnownMemberId: Bool
    /// Why the member (re)joins, for the operator's log (JoinGroup v8+).
    public var reason: String?

    public init(
        groupId: String, memberId: String = "", groupInstanceId: String? = nil, clientId: String, clientHost: String = "/127.0.0.1",
        sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String = SluiceGroups.consumerProtocolType,
        protocols: [GroupProtocol], requireKnownMemberId: Bool = false, reason: String? = nil
    ) {
        self.groupId = groupId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberId = requireKnownMemberId
        self.reason = reason
    }
}

public struct JoinGroupResponse: Sendable {
    /// One member as the leader sees it: the subscription it sent for the chosen protocol.
    public struct Member: Sendable, Hashable {
        public var memberId: String
        public var groupInstanceId: String?
        public var metadata: [UInt8]
    }

    public var error: GroupError?
    public var generationId: Int32
    public var protocolType: String?
    public var protocolName: String?
    public var leader: String
    /// Static leader rejoining a stable group: it must not reassign (KIP-345, JoinGroup v9).
    public var skipAssignment: Bool
    public var memberId: String
    /// Every member's subscription, for the leader only; empty for followers.
    public var members: [Member]

    public var isLeader: Bool { error == nil && leader == memberId }

    static func failure(_ error: GroupError, memberId: String = "") -> JoinGroupResponse {
        JoinGroupResponse(
            error: error, generationId: -1, protocolType: nil, protocolName: nil, leader: "", skipAssignment: false, memberId: memberId,
            members: [])
    }
}

public struct SyncGroupRequest: Sendable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var protocolType: String?
    public var protocolName: String?
    /// The leader's assignment, one blob per member id; empty for followers.
    public var assignments: [String: [UInt8]]

    public init(
        groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil, protocolType: String? = nil,
        protocolName: String? = nil, assignments: [String: [UInt8]] = [:]
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }
}

public struct SyncGroupResponse: Sendable {
    public var error: GroupError?
    public var protocolType: String?
    public var protocolName: String?
    /// This member's assignment bytes, exactly as the leader sent them.
    public var assignment: [UInt8]
}

/// Who is committing: a group member (generation and member id, fenced like Kafka), or an
/// admin/standalone committer (`generation -1`, empty member id), accepted only while the group
/// has no members.
public struct CommitIdentity: Sendable, Hashable {
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?

    public init(generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    /// A commit that is not tied to group membership (`assign()` consumers, reset-offsets).
    public static let standalone = CommitIdentity(generationId: -1, memberId: "")
}

/// What DescribeGroups returns for one group.
public struct GroupDescription: Sendable {
    public struct Member: Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        /// The subscription bytes for the chosen protocol.
        public var metadata: [UInt8]
        /// The assignment bytes the leader sent this member (empty until synced).
        public var assignment: [UInt8]
    }

    public var groupId: String
    public var state: GroupState
    public var protocolType: String
    /// The chosen assignor (Kafka's `protocol_data`).
    public var protocolName: String
    public var generationId: Int32
    public var members: [Member]
}

/// One row of ListGroups.
public struct GroupListing: Sendable, Hashable {
    public var groupId: String
    public var protocolType: String
    public var state: GroupState
}
