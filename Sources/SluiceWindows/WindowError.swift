/// Why a window definition, a record or a restored snapshot was refused. Every case names the
/// offending value so the message can be shown to the person who wrote the pipeline.
public enum WindowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A window size that is not positive or exceeds `WindowSpec.maximumDuration`.
    case invalidSize(Int64)
    /// A hopping advance that is not positive.
    case invalidAdvance(Int64)
    /// A hopping advance larger than the size would leave gaps no window covers.
    case advanceExceedsSize(advance: Int64, size: Int64)
    /// A session inactivity gap that is not positive or exceeds `WindowSpec.maximumDuration`.
    case invalidGap(Int64)
    /// A grace period that is negative or exceeds `WindowSpec.maximumDuration`.
    case invalidGrace(Int64)
    /// Session windows merge aggregates, so they need a merger.
    case missingMerger
    /// A record or pending-record timestamp outside `0...WindowSpec.maximumTimestamp`. Kafka
    /// uses -1 for "no timestamp", so a negative timestamp is refused rather than windowed.
    case timestampOutOfRange(Int64)
    /// A snapshot that the engine's window definition could not have produced.
    case invalidSnapshot(String)

    public var description: String {
        switch self {
        case .invalidSize(let size):
            "window size must be between 1 and \(WindowSpec.maximumDuration) ms, got \(size)"
        case .invalidAdvance(let advance):
            "hopping window advance must be positive, got \(advance)"
        case .advanceExceedsSize(let advance, let size):
            "hopping window advance (\(advance) ms) must not exceed its size (\(size) ms)"
        case .invalidGap(let gap):
            "session inactivity gap must be between 1 and \(WindowSpec.maximumDuration) ms, got \(gap)"
        case .invalidGrace(let grace):
            "grace period must be between 0 and \(WindowSpec.maximumDuration) ms, got \(grace)"
        case .missingMerger:
            "session windows need a merger to combine the aggregates of sessions a record bridges"
        case .timestampOutOfRange(let timestamp):
            "record timestamp must be between 0 and \(WindowSpec.maximumTimestamp), got \(timestamp)"
        case .invalidSnapshot(let reason):
            "invalid window snapshot: \(reason)"
        }
    }
}
