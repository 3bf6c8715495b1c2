/// When a windowed aggregation tells its caller about a window.
public enum EmitMode: Hashable, Sendable {
    /// Every record that changes a window emits that window's new aggregate (`.updated`), and a
    /// session that a merge replaces emits a retraction (`.removed`); nothing is emitted when a
    /// window closes. Kafka Streams' default (`EmitStrategy.onWindowUpdate`, caching off).
    case onUpdate
    /// Only a window's final aggregate, once, when stream time closes it (`.final`). Kafka's
    /// `suppress(untilWindowCloses)` / `EmitStrategy.onWindowClose`.
    case onClose
}
