import Foundation

/// A wake-up a reader shares across many partitions: each partition it watches calls `notify()`
/// when its high watermark advances, and the reader sleeps in `wait` until any of them does (or
/// something else, like a rebalance, calls `notify()`).
///
/// Guarantees: a `notify()` that happens before `wait` is not lost (the signal is sticky until a
/// `wait` consumes it), so a reader that checks its partitions and then waits never misses data
/// that arrived in between. A signal made with a `parent` notifies the parent too, so one thread
/// that polls several readers in turn can sleep on the parent until any of them has something.
public final class DataSignal: @unchecked Sendable {  // all state is behind `condition`
    private let condition = NSCondition()
    private var signalled = false
    private let parent: DataSignal?

    public init(forwardingTo parent: DataSignal? = nil) {
        self.parent = parent
    }

    public func notify() {
        condition.lock()
        signalled = true
        condition.signal()
        condition.unlock()
        parent?.notify()
    }

    /// Waits until notified or `timeoutMs` passes. - Returns: whether it was notified.
    @discardableResult
    public func wait(timeoutMs: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(max(timeoutMs, 0)) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while !signalled {
            if !condition.wait(until: deadline) { break }
        }
        defer { signalled = false }
        return signalled
    }
}
