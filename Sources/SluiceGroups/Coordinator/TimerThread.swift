import Foundation
import Synchronization

/// A thread that runs `body` every `intervalMs` until stopped. `stop()` returns only after the
/// last run finished, so nothing the body touches is used after its owner shut down.
///
/// `stop()` may also be called from `body` itself (a callback it runs stops the timer, or the
/// owner's last reference is dropped on this thread so its `deinit` stops it): it then returns at
/// once and the loop ends after the current run, instead of waiting for itself forever.
public final class TimerThread: Sendable {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }
    private let stopped = Flag()
    private let done = DispatchSemaphore(value: 0)
    /// The timer's own thread, to recognise a `stop()` from inside `body`.
    private let threadID: ObjectIdentifier

    public init(intervalMs: Int, name: String = "sluice-group-timer", _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [stopped, done] in
            while !stopped.value.load(ordering: .acquiring) {
                body()
                usleep(useconds_t(max(intervalMs, 1) * 1000))
            }
            done.signal()
        }
        thread.name = name
        threadID = ObjectIdentifier(thread)
        thread.start()
    }

    public func stop() {
        guard !stopped.value.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard ObjectIdentifier(Thread.current) != threadID else { return }  // waiting would deadlock
        done.wait()
    }
}
