/// When a consumer commits offsets, with Spring Kafka's `ContainerProperties.AckMode` names and
/// meaning. Applies to `Consumer.run`, `Consumer.runBatches` and the async sequences, where the
/// consumer knows when a record's processing has finished. Every mode commits only offsets of
/// records whose processing finished (at-least-once); they differ in how often.
///
/// | mode | commits |
/// |---|---|
/// | `record` | after each record's handler returns |
/// | `batch` | after every record of a poll was handled (default) |
/// | `time(t)` | after a poll's records were handled, if `t` passed since the last commit (also when idle) |
/// | `count(n)` | after a poll's records were handled, if `n` records were handled since the last commit |
/// | `countTime(n, t)` | as `count` or `time`, whichever comes first |
/// | `manual` | what the handler acknowledged, after the poll's records were handled |
/// | `manualImmediate` | what the handler acknowledged, at once, inside `acknowledge()` |
///
/// On a rebalance, revoked partitions are committed up to what was processed (acknowledged in
/// the manual modes) before they go: the new owner continues there (commit-on-revoke).
public enum AckMode: Sendable, Hashable {
    case record
    case batch
    case time(milliseconds: Int)
    case count(Int)
    case countTime(count: Int, milliseconds: Int)
    case manual
    case manualImmediate

    /// Whether the handler must acknowledge records itself.
    public var isManual: Bool {
        switch self {
        case .manual, .manualImmediate: true
        default: false
        }
    }
}
