extension ConsumerProtocol {
    /// What the leader assigns one member, relayed by SyncGroup (`ConsumerProtocolAssignment`).
    ///
    /// Versions 0–3 share one layout (versions 2 and 3 exist only to pair with the subscription's);
    /// the version is still written, and clients read any of them.
    public struct Assignment: Hashable, Sendable {
        /// The newest version this code knows; `encoded()` writes up to it.
        public static let latestVersion: Int16 = 3

        /// The version of the bytes this value was decoded from (may exceed `latestVersion`), or
        /// the version `encoded()` writes.
        public var version: Int16
        public var assignedPartitions: [TopicPartitions]
        /// Assignor-specific bytes; `nil` is written as length -1.
        public var userData: [UInt8]?

        public init(version: Int16 = Assignment.latestVersion, assignedPartitions: [TopicPartitions], userData: [UInt8]? = nil) {
            self.version = version
            self.assignedPartitions = assignedPartitions
            self.userData = userData
        }

        /// An assignment of `partitions`, grouped by topic (see `TopicPartitions.grouping`).
        public init(version: Int16 = Assignment.latestVersion, partitions: [TopicPartition], userData: [UInt8]? = nil) {
            self.init(version: version, assignedPartitions: TopicPartitions.grouping(partitions), userData: userData)
        }

        /// The assigned partitions, flattened in wire order.
        public var partitions: [TopicPartition] { TopicPartitions.flatten(assignedPartitions) }

        /// Reads an assignment from untrusted bytes. Never traps: malformed input throws. An
        /// empty blob (what a coordinator sends a member the leader left out) is `truncated`.
        public init(decoding bytes: [UInt8]) throws(KafkaEncodingError) {
            var reader = KafkaPrimitiveReader(bytes, what: "consumer-protocol assignment")
            let version = try reader.int16("version")
            guard version >= 0 else {
                throw KafkaEncodingError(.unsupportedVersion, "consumer-protocol assignment has version \(version)")
            }
            let assigned = try TopicPartitions.read(&reader, "assigned_partitions")
            let userData = try reader.nullableBytes("user_data")
            self.init(version: version, assignedPartitions: assigned, userData: userData)
        }

        /// The bytes for `version` (0...3).
        public func encoded() throws(KafkaEncodingError) -> [UInt8] {
            guard (0...Self.latestVersion).contains(version) else {
                throw KafkaEncodingError(
                    .unsupportedVersion, "cannot write a consumer-protocol assignment at version \(version) (0...\(Self.latestVersion))")
            }
            var writer = KafkaPrimitiveWriter(what: "consumer-protocol assignment")
            writer.int16(version)
            try TopicPartitions.write(assignedPartitions, &writer, "assigned_partitions")
            try writer.nullableBytes(userData, "user_data")
            return writer.bytes
        }
    }
}
