/// Kafka's "consumer" embedded protocol: the bytes a consumer puts in JoinGroup
/// (`protocols[].metadata`, a `Subscription`) and the bytes the leader hands back through
/// SyncGroup (an `Assignment`).
///
/// The coordinator never needs to understand these blobs to relay them (it stores the leader's
/// bytes verbatim), but the leader's assignor, the embedded consumer and DescribeGroups (which
/// `kafka-consumer-groups` decodes) do. Both follow `ConsumerProtocolSubscription.json` and
/// `ConsumerProtocolAssignment.json`: an int16 version first, then the non-flexible encoding.
///
/// Decoding follows Kafka's `ConsumerProtocol`: a version above the newest known one is read
/// with the newest layout (later versions may only append fields) and trailing bytes are
/// ignored; a negative version is rejected. Encoding writes exactly what Kafka's generated
/// writers write for the chosen version, dropping the (ignorable) fields that version lacks.
public enum ConsumerProtocol {
    /// A topic with some of its partitions, the wire form of `owned_partitions` and
    /// `assigned_partitions`. Kept as written (order and repeats) so decoding then encoding
    /// reproduces the bytes.
    public struct TopicPartitions: Hashable, Sendable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }

        /// Groups partitions by topic: topics in `TopicPartition` order, partitions in the order
        /// given (the layout kafka-python's assignors write).
        public static func grouping(_ partitions: [TopicPartition]) -> [TopicPartitions] {
            var byTopic: [String: [Int32]] = [:]
            var topics: [String] = []
            for tp in partitions {
                if byTopic[tp.topic] == nil { topics.append(tp.topic) }
                byTopic[tp.topic, default: []].append(tp.partition)
            }
            return topics.sorted(by: JavaOrder.precedes).map { TopicPartitions(topic: $0, partitions: byTopic[$0] ?? []) }
        }

        /// Every (topic, partition) in wire order.
        static func flatten(_ groups: [TopicPartitions]) -> [TopicPartition] {
            groups.flatMap { group in group.partitions.map { TopicPartition(group.topic, $0) } }
        }

        static func read(_ reader: inout KafkaPrimitiveReader, _ field: String) throws(KafkaEncodingError) -> [TopicPartitions] {
            // Smallest element: an empty topic name (2 bytes) and an empty array (4 bytes).
            try reader.array(field, minimumElementSize: 6) { (r: inout KafkaPrimitiveReader) throws(KafkaEncodingError) in
                let topic = try r.string("\(field).topic")
                let partitions = try r.array("\(field).partitions", minimumElementSize: 4) {
                    (r: inout KafkaPrimitiveReader) throws(KafkaEncodingError) in try r.int32("\(field).partitions[]")
                }
                return TopicPartitions(topic: topic, partitions: partitions)
            }
        }

        static func write(_ groups: [TopicPartitions], _ writer: inout KafkaPrimitiveWriter, _ field: String) throws(KafkaEncodingError) {
            try writer.array(groups, field) { (w: inout KafkaPrimitiveWriter, group: TopicPartitions) throws(KafkaEncodingError) in
                try w.string(group.topic, "\(field).topic")
                try w.array(group.partitions, "\(field).partitions") { (w: inout KafkaPrimitiveWriter, p: Int32) throws(KafkaEncodingError) in
                    w.int32(p)
                }
            }
        }
    }
}
