/// One partition of one topic: the unit an assignor hands to a group member.
///
/// Ordered as Kafka's clients order it (topic, then partition number), with topic names compared
/// by UTF-16 code unit like `java.lang.String.compareTo`, so sorted lists match the Java client's
/// and kafka-python's for every legal topic name (which are ASCII).
public struct TopicPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        if lhs.topic != rhs.topic { return JavaOrder.precedes(lhs.topic, rhs.topic) }
        return lhs.partition < rhs.partition
    }

    /// `topic-partition`, as Kafka prints it.
    public var description: String { "\(topic)-\(partition)" }
}
