/// Consumer groups on top of `SluiceLog`: the classic group protocol's coordinator (members,
/// generations, join/sync, heartbeats, session and rebalance timeouts), partition assignors and
/// committed offsets in the compacted internal topic `__consumer_offsets`.
///
/// The same coordinator serves embedded consumers and, later, Kafka clients through the broker,
/// so its names, states and error codes are Kafka's.
public enum SluiceGroups {
    /// Kafka's `protocol_type` for consumer groups.
    public static let consumerProtocolType = "consumer"
}
