import Synchronization

/// Live counters of one branch, read by the progress line and the final summary.
final class BranchMetrics: Sendable {
    let consumed = Atomic<Int>(0)
    let produced = Atomic<Int>(0)
    let skipped = Atomic<Int>(0)
    let deadLettered = Atomic<Int>(0)
    /// Records that arrived after all their windows had closed.
    let late = Atomic<Int>(0)

    init() {}
}
