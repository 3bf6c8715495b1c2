import Foundation
import Synchronization

/// A thread that runs `body` every `intervalMs` until stopped. `stop()` returns only after the
/// last run finished, so nothing the body touches is used after its owner shut down.
final class TimerThread: Sendable {
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }
    private let stopped = Flag()
    private let done = DispatchSemaphore(value: 0)

    init(intervalMs: Int, name: String = "sluice-group-timer", _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [stopped, done] in
            while !stopped.value.load(ordering: .acquiring) {
                body()
                usleep(useconds_t(max(intervalMs, 1) * 1000))
            }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        guard !stopped.value.exchange(true, ordering: .acquiringAndReleasing) else { return }
        done.wait()
    }
}
