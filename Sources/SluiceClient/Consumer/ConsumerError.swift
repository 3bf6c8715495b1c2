public import SluiceGroups
public import SluiceLog

/// Why a consumer call failed. Group and log failures keep their Kafka error code.
public enum ConsumerError: Error, Sendable, CustomStringConvertible {
    /// The coordinator refused (fenced commit, rebalance in progress, bad group settings…).
    case group(GroupError)
    /// The log refused (unknown topic, storage failure…).
    case log(LogError)
    /// `auto.offset.reset=none` and the partition has no committed offset (Kafka's
    /// NoOffsetForPartitionException) or it is out of range.
    case noOffset(TopicPartition, String)
    /// The partition is not assigned to this consumer.
    case notAssigned(TopicPartition, String)
    /// The call needs something the consumer does not have (a group id, a subscription…).
    case invalidState(String)
    /// The consumer was closed.
    case closed

    public var description: String {
        switch self {
        case .group(let error): "\(error)"
        case .log(let error): "\(error)"
        case .noOffset(let tp, let why): "no offset to start \(tp) from: \(why) (auto.offset.reset=none)"
        case .notAssigned(let tp, let why): "\(tp) is not assigned to this consumer: \(why)"
        case .invalidState(let why): why
        case .closed: "the consumer is closed"
        }
    }

    /// The Kafka error code, where one exists.
    public var kafkaCode: Int16? {
        switch self {
        case .group(let error): error.code.rawValue
        case .log(let error): error.kind.kafkaCode >= 0 ? error.kind.kafkaCode : nil
        case .noOffset: 1
        default: nil
        }
    }

    /// Wraps whatever a lower layer threw.
    static func wrap(_ error: any Error) -> any Error {
        switch error {
        case let error as GroupError: ConsumerError.group(error)
        case let error as LogError: ConsumerError.log(error)
        default: error
        }
    }
}
