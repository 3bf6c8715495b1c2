import Foundation
import Synchronization
import Testing

@testable import SluiceJSON

@Suite("Reader state pool")
struct ReaderStatePoolTests {
    struct Point: JSONReadable {
        var x: Int
        init(json: JSONReader) throws { x = try json.object().int("x") }
    }

    /// Each thread keeps a state of its own between reads; when the thread ends, that state
    /// must go back to the shared pool, or a process that reads on short-lived threads would
    /// make (and keep) one per thread.
    @Test func aThreadsOwnStateOutlivesTheThreadInThePool() throws {
        let threads = 64
        let before = ReaderStatePool.shared.made.load(ordering: .relaxed)
        for _ in 0..<threads {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                // Two reads: the second finds the thread's own state.
                for x in 0..<2 {
                    _ = try? FastJSONDecoder().read(Point.self, from: Array("{\"x\":\(x)}".utf8))
                }
                done.signal()
            }
            thread.start()
            done.wait()
            // The semaphore fires before the thread's exit handlers run; wait for those too.
            while !thread.isFinished { usleep(100) }
        }
        let made = ReaderStatePool.shared.made.load(ordering: .relaxed) - before
        // Other tests read at the same time and may need states of their own: a few, not one
        // per thread here.
        #expect(made < threads / 4, "\(made) reader states made for \(threads) threads that ran one after another")
    }
}
