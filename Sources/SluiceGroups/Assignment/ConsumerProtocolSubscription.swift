extension ConsumerProtocol {
    /// A member's JoinGroup metadata for the "consumer" protocol type
    /// (`ConsumerProtocolSubscription`, versions 0–3).
    ///
    /// | version | adds |
    /// |---|---|
    /// | 0 | `topics`, `userData` |
    /// | 1 | `ownedPartitions` (KIP-429: cooperative assignors need what each member holds) |
    /// | 2 | `generationId` (whether `ownedPartitions` is current) |
    /// | 3 | `rackId` (rack-aware assignment) |
    public struct Subscription: Hashable, Sendable {
        /// The newest version this code knows; `encoded()` writes up to it.
        public static let latestVersion: Int16 = 3

        /// The version of the bytes this value was decoded from (may exceed `latestVersion`; the
        /// fields were then read with the newest layout), or the version `encoded()` writes.
        public var version: Int16
        public var topics: [String]
        /// Assignor-specific bytes; `nil` is written as length -1.
        public var userData: [UInt8]?
        /// Version 1+; empty when absent.
        public var ownedPartitions: [TopicPartitions]
        /// Version 2+; -1 (Kafka's default) when absent.
        public var generationId: Int32
        /// Version 3+; `nil` when absent.
        public var rackId: String?

        public init(
            version: Int16 = Subscription.latestVersion, topics: [String], userData: [UInt8]? = nil,
            ownedPartitions: [TopicPartitions] = [], generationId: Int32 = -1, rackId: String? = nil
        ) {
            self.version = version
            self.topics = topics
            self.userData = userData
            self.ownedPartitions = ownedPartitions
            self.generationId = generationId
            self.rackId = rackId
        }

        /// The owned partitions, flattened in wire order.
        public var ownedTopicPartitions: [TopicPartition] { TopicPartitions.flatten(ownedPartitions) }

        /// Reads a subscription from untrusted bytes. Never traps: malformed input throws.
        public init(decoding bytes: [UInt8]) throws(KafkaEncodingError) {
            var reader = KafkaPrimitiveReader(bytes, what: "consumer-protocol subscription")
            let version = try reader.int16("version")
            guard version >= 0 else {
                throw KafkaEncodingError(.unsupportedVersion, "consumer-protocol subscription has version \(version)")
            }
            let topics = try reader.array("topics", minimumElementSize: 2) {
                (r: inout KafkaPrimitiveReader) throws(KafkaEncodingError) in try r.string("topics[]")
            }
            let userData = try reader.nullableBytes("user_data")
            self.init(version: version, topics: topics, userData: userData)
            if version >= 1 { ownedPartitions = try TopicPartitions.read(&reader, "owned_partitions") }
            if version >= 2 { generationId = try reader.int32("generation_id") }
            if version >= 3 { rackId = try reader.nullableString("rack_id") }
        }

        /// The bytes for `version` (0...3). Fields the version lacks are left out, as Kafka's
        /// writers drop ignorable fields.
        public func encoded() throws(KafkaEncodingError) -> [UInt8] {
            guard (0...Self.latestVersion).contains(version) else {
                throw KafkaEncodingError(
                    .unsupportedVersion, "cannot write a consumer-protocol subscription at version \(version) (0...\(Self.latestVersion))")
            }
            var writer = KafkaPrimitiveWriter(what: "consumer-protocol subscription")
            writer.int16(version)
            try writer.array(topics, "topics") { (w: inout KafkaPrimitiveWriter, topic: String) throws(KafkaEncodingError) in
                try w.string(topic, "topics[]")
            }
            try writer.nullableBytes(userData, "user_data")
            if version >= 1 { try TopicPartitions.write(ownedPartitions, &writer, "owned_partitions") }
            if version >= 2 { writer.int32(generationId) }
            if version >= 3 { try writer.nullableString(rackId, "rack_id") }
            return writer.bytes
        }
    }
}
