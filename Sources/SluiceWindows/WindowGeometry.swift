/// A validated `WindowSpec` and grace, flattened into the numbers the engine's hot path uses,
/// with the one close rule every window kind shares.
@usableFromInline
struct WindowGeometry: Sendable {
    @usableFromInline
    enum Kind: Sendable {
        /// Tumbling and hopping: epoch-aligned windows of `size`, starting every `advance`.
        case fixed
        /// Kafka's sliding windows of time difference `size`: half-open length `size + 1`.
        case sliding
        /// Sessions separated by more than `gap`.
        case session
    }

    @usableFromInline let kind: Kind
    /// Window length for `fixed`, the time difference for `sliding`, unused for `session`.
    @usableFromInline let size: Int64
    /// Start-to-start distance for `fixed` (equal to `size` when tumbling).
    @usableFromInline let advance: Int64
    /// Inactivity gap for `session`, 0 otherwise.
    @usableFromInline let gap: Int64
    @usableFromInline let grace: Int64

    init(_ spec: WindowSpec, grace: Int64) throws(WindowError) {
        try spec.validate()
        guard grace >= 0, grace <= WindowSpec.maximumDuration else { throw .invalidGrace(grace) }
        self.grace = grace
        switch spec {
        case .tumbling(let size):
            (kind, self.size, advance, gap) = (.fixed, size, size, 0)
        case .hopping(let size, let advance):
            (kind, self.size, self.advance, gap) = (.fixed, size, advance, 0)
        case .sliding(let size):
            (kind, self.size, advance, gap) = (.sliding, size, 1, 0)
        case .session(let gap):
            (kind, size, advance, self.gap) = (.session, 0, 1, gap)
        }
    }

    /// The first stream time at which `window` is closed. Time windows close when
    /// `streamTime >= end + grace` (Kafka: `windowEnd <= streamTime - grace`, half-open end; for
    /// sliding windows that is Kafka's `stream-time > inclusive end + grace`). Sessions also wait
    /// for the gap, because any record up to `gap` after the last one still extends them (Kafka's
    /// session processor closes at `stream-time > last + gap + grace`).
    @inlinable
    func closeTime(of window: Window) -> Int64 {
        window.end + gap + grace
    }

    /// The start of the oldest fixed window containing `timestamp` (`timestamp >= 0`).
    @inlinable
    func firstFixedStart(containing timestamp: Int64) -> Int64 {
        let newest = timestamp - timestamp % advance
        // Starts go back by `advance` while the window still reaches past `timestamp`.
        return newest - (newest - (timestamp - size) - 1) / advance * advance
    }

    /// Whether `window` could have been produced by this definition (used to vet snapshots).
    func isWellFormed(_ window: Window) -> Bool {
        let limit = WindowSpec.maximumTimestamp + 4 * WindowSpec.maximumDuration
        guard window.start < window.end, window.start >= -limit, window.end <= limit else { return false }
        switch kind {
        case .fixed:
            let phase = window.start % advance
            return window.end - window.start == size && phase == 0
        case .sliding:
            return window.end - window.start == size + 1
        case .session:
            return true
        }
    }
}
