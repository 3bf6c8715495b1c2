/// Every failure the log engine reports, with the Kafka error code a client would see for it.
///
/// Errors name the problem (file, position, offsets, topic…) in `message`, so the CLI can print
/// them as they are. `kind.kafkaCode` is what the Kafka-protocol broker puts on the wire.
public struct LogError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case offsetOutOfRange
        case corruptMessage
        case unknownTopicOrPartition
        case messageTooLarge
        case invalidTopic
        case topicAlreadyExists
        case invalidPartitions
        case invalidConfig
        case invalidRequest
        case invalidRecord
        case unsupportedCompressionType
        /// The request is valid but the topic's configuration forbids it (deleting records of a
        /// compacted topic).
        case policyViolation
        /// An I/O failure (ENOSPC, EIO, a failed fsync). Kafka's KAFKA_STORAGE_ERROR.
        case storage
        /// Data that was once durable is damaged; reported, never silently dropped.
        case corruptLog
        /// Another process holds the data directory's write lock.
        case dataDirectoryLocked
        /// The data directory is not a Sluice directory, or was written by a newer format.
        case incompatibleDataDirectory

        /// The code from Kafka's `Errors.java` that a network client receives for this error.
        public var kafkaCode: Int16 {
            switch self {
            case .offsetOutOfRange: 1
            case .corruptMessage: 2
            case .unknownTopicOrPartition: 3
            case .messageTooLarge: 10
            case .invalidTopic: 17
            case .topicAlreadyExists: 36
            case .invalidPartitions: 37
            case .invalidConfig: 40
            case .invalidRequest: 42
            case .storage, .corruptLog: 56
            case .unsupportedCompressionType: 76
            case .policyViolation: 44
            case .invalidRecord: 87
            case .dataDirectoryLocked, .incompatibleDataDirectory: -1
            }
        }

        /// Kafka's name for the code, e.g. `INVALID_TOPIC_EXCEPTION`.
        public var kafkaName: String {
            switch self {
            case .offsetOutOfRange: "OFFSET_OUT_OF_RANGE"
            case .corruptMessage: "CORRUPT_MESSAGE"
            case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
            case .messageTooLarge: "MESSAGE_TOO_LARGE"
            case .invalidTopic: "INVALID_TOPIC_EXCEPTION"
            case .topicAlreadyExists: "TOPIC_ALREADY_EXISTS"
            case .invalidPartitions: "INVALID_PARTITIONS"
            case .invalidConfig: "INVALID_CONFIG"
            case .invalidRequest: "INVALID_REQUEST"
            case .invalidRecord: "INVALID_RECORD"
            case .unsupportedCompressionType: "UNSUPPORTED_COMPRESSION_TYPE"
            case .policyViolation: "POLICY_VIOLATION"
            case .storage, .corruptLog: "KAFKA_STORAGE_ERROR"
            case .dataDirectoryLocked, .incompatibleDataDirectory: "UNKNOWN_SERVER_ERROR"
            }
        }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String {
        kind.kafkaCode >= 0 ? "\(message) (\(kind.kafkaName), Kafka error \(kind.kafkaCode))" : message
    }
}
