/// A consumer-group request that failed, with the Kafka error code a broker would put on the
/// wire. Every rejection the coordinator makes is one of these, so embedded callers and network
/// clients see the same codes (and clients react to them the same way: rejoin on 25/27, refresh
/// the generation on 22, give up on 82).
public struct GroupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Kafka's error codes (`org.apache.kafka.common.protocol.Errors`) that groups use.
    public enum Code: Int16, Sendable, Hashable, CaseIterable {
        case offsetOutOfRange = 1
        case unknownTopicOrPartition = 3
        case offsetMetadataTooLarge = 12
        case coordinatorNotAvailable = 15
        case illegalGeneration = 22
        case inconsistentGroupProtocol = 23
        case invalidGroupId = 24
        case unknownMemberId = 25
        case invalidSessionTimeout = 26
        case rebalanceInProgress = 27
        case invalidRequest = 42
        case nonEmptyGroup = 68
        case groupIdNotFound = 69
        case memberIdRequired = 79
        case groupMaxSizeReached = 81
        case fencedInstanceId = 82
        case kafkaStorageError = 56

        /// The constant's name in Kafka's `Errors` enum, as Kafka tools print it.
        public var name: String {
            switch self {
            case .offsetOutOfRange: "OFFSET_OUT_OF_RANGE"
            case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
            case .offsetMetadataTooLarge: "OFFSET_METADATA_TOO_LARGE"
            case .coordinatorNotAvailable: "COORDINATOR_NOT_AVAILABLE"
            case .illegalGeneration: "ILLEGAL_GENERATION"
            case .inconsistentGroupProtocol: "INCONSISTENT_GROUP_PROTOCOL"
            case .invalidGroupId: "INVALID_GROUP_ID"
            case .unknownMemberId: "UNKNOWN_MEMBER_ID"
            case .invalidSessionTimeout: "INVALID_SESSION_TIMEOUT"
            case .rebalanceInProgress: "REBALANCE_IN_PROGRESS"
            case .invalidRequest: "INVALID_REQUEST"
            case .nonEmptyGroup: "NON_EMPTY_GROUP"
            case .groupIdNotFound: "GROUP_ID_NOT_FOUND"
            case .memberIdRequired: "MEMBER_ID_REQUIRED"
            case .groupMaxSizeReached: "GROUP_MAX_SIZE_REACHED"
            case .fencedInstanceId: "FENCED_INSTANCE_ID"
            case .kafkaStorageError: "KAFKA_STORAGE_ERROR"
            }
        }

        /// Whether a member that gets this code should simply rejoin the group (the Java
        /// consumer's `needsRejoin` cases): its commit is lost, its records will be redelivered.
        public var requiresRejoin: Bool {
            switch self {
            case .illegalGeneration, .unknownMemberId, .rebalanceInProgress: true
            default: false
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (\(code.name), Kafka error \(code.rawValue))" }
}
