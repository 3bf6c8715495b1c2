import Synchronization

/// Live counters of one branch, read by the progress line and the final summary.
final class BranchMetrics: Sendable {
    let consumed = Atomic<Int>(0)
    let produced = Atomic<Int>(0)
    let skipped = Atomic<Int>(0)
    let deadLettered = Atomic<Int>(0)
    /// Records that arrived after all their windows had closed.
    let late = Atomic<Int>(0)
    /// Whether the branch stopped (see `failure`): read by its members on every stream thread
    /// before each poll.
    let stopped = Atomic<Bool>(false)
    /// Why the branch stopped: a record failed under the error policy `.fail`, or its outputs
    /// or commits failed. Its members on every stream thread stop polling and leave the group
    /// (committing what they had finished); the other branches go on.
    let failure = Mutex<(any Error)?>(nil)

    init() {}

    /// Stops the branch with `error`, unless it stopped already.
    /// - Returns: whether this call stopped it.
    @discardableResult
    func stop(_ error: any Error) -> Bool {
        let first = failure.withLock { failure in
            guard failure == nil else { return false }
            failure = error
            return true
        }
        if first { stopped.store(true, ordering: .releasing) }
        return first
    }
}
