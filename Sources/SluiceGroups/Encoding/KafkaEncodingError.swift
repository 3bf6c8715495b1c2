/// Why bytes in Kafka's classic (non-flexible) encoding could not be read or written, with the
/// Kafka error code a broker would answer. One error for every reader and writer of that
/// encoding: consumer-protocol blobs (a member's subscription or assignment) and the
/// `__consumer_offsets` records (whose decoders report it as a `LogError`, see
/// `OffsetsTopicRecord.swift`).
///
/// The bytes may come from clients the coordinator does not control, so decoding reports every
/// defect as a value instead of trapping: `message` names what was read, the field and the byte
/// offset.
public struct KafkaEncodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The bytes end inside a field.
        case truncated
        /// A length is negative where Kafka's schema has no null, or larger than what remains.
        case invalidLength
        /// A string is not valid UTF-8.
        case invalidString
        /// A version the schema does not have: negative or unknown on decode, or one this code
        /// cannot write.
        case unsupportedVersion
        /// A value too large for its wire type (a string over 32767 UTF-8 bytes, say).
        case valueTooLarge

        /// The code from Kafka's `Errors.java`: UNSUPPORTED_VERSION (35) for versions, and
        /// INVALID_REQUEST (42) for malformed bytes (Kafka's own decoder throws a
        /// `SchemaException`, which has no code of its own).
        public var kafkaCode: Int16 {
            switch self {
            case .unsupportedVersion: 35
            case .truncated, .invalidLength, .invalidString, .valueTooLarge: 42
            }
        }

        /// Kafka's name for `kafkaCode`.
        public var kafkaName: String {
            switch self {
            case .unsupportedVersion: "UNSUPPORTED_VERSION"
            case .truncated, .invalidLength, .invalidString, .valueTooLarge: "INVALID_REQUEST"
            }
        }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(message) (\(kind.kafkaName), Kafka error \(kind.kafkaCode))" }
}
