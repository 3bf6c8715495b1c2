import Foundation
import Synchronization

/// Runs an async side effect (`forEach` with an async body) to completion from a synchronous
/// task thread: the thread blocks until the body returns, so records stay in order and the
/// offset is committed only after it.
///
/// Why a dedicated executor: the body runs as a task that prefers `AsyncSideEffectExecutor`'s
/// threads, not the cooperative pool. Run from a thread of that pool (a `SluiceTesting` driver
/// called from an async test, say), blocking would wait for a pool thread to run the body —
/// with every pool thread busy or blocked the same way, for as long as that lasts (a run of the
/// test suite stalled for a minute so). The body's own awaits resume on those threads too,
/// unless it hops to an actor of its own.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task(executorPreference: AsyncSideEffectExecutor.shared) {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    guard let outcome = result.withLock({ $0 }) else { throw SerdeError("an async side effect ended without a result") }
    return try outcome.get()
}

/// A task executor with threads of its own (one per core, started on first use, living for the
/// process), for async side effects: see `blockingAwait`.
final class AsyncSideEffectExecutor: TaskExecutor, @unchecked Sendable {  // `jobs` under `condition`
    static let shared = AsyncSideEffectExecutor(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in work() }
            thread.name = "sluice-async-effects-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
