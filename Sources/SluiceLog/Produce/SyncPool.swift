import Foundation

/// Runs a round of blocking jobs — the fsyncs of the partitions a write touched — on a few
/// threads at once, and returns when all of them are done.
///
/// Why: a strict flush that wrote ten partitions used to fsync them one after another, and the
/// stream thread waiting on it (to commit) sat idle for ten fsyncs. Issued together they
/// overlap (ext4 folds concurrent fsyncs into one journal commit), so the wait is about one.
///
/// Guarantees: `run` returns only after every job returned; the caller runs jobs too, so a
/// round progresses even when the pool's threads are busy with another caller's round. The
/// threads start on first use and live for the process (one shared pool, a few idle threads).
final class SyncPool: @unchecked Sendable {  // state under `condition`
    static let shared = SyncPool(threads: 7)

    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private let threadCount: Int
    private var started = false

    init(threads: Int) { threadCount = threads }

    /// Runs every job (in no particular order) and waits for all of them.
    func run(_ jobs: [() -> Void]) {
        guard jobs.count > 1 else {
            jobs.first?()
            return
        }
        let group = DispatchGroup()
        condition.lock()
        startIfNeeded()
        for job in jobs {
            group.enter()
            queue.append {
                job()
                group.leave()
            }
        }
        condition.broadcast()
        while let job = queue.popLast() {
            condition.unlock()
            job()
            condition.lock()
        }
        condition.unlock()
        group.wait()
    }

    /// Called with `condition` held.
    private func startIfNeeded() {
        guard !started else { return }
        started = true
        for index in 0..<threadCount {
            let thread = Thread { [unowned self] in work() }
            thread.name = "sluice-fsync-\(index)"
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            guard let job = queue.popLast() else {
                condition.wait()
                continue
            }
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
