import Foundation
@_spi(Testing) import Sluice
import SluiceClient
import SluiceLog
import SluiceTestSupport
import Synchronization
import Testing

/// A stream thread polls its members (one consumer per branch) in turn and, when a step found
/// nothing, sleeps until something happens. Whatever happens to any member must end that sleep:
/// data for the second branch may not wait out a poll timeout spent on the first one's consumer.
@Suite("Stream thread wake-ups")
struct StreamThreadWakeupTests {
    let directory = TemporaryDirectory("sluice-wakeup")

    @Test func dataForAnyMemberEndsAnIdleWait() throws {
        let log = try LogManager(directory: directory.path)
        _ = try log.createTopic("a", partitions: 1)
        _ = try log.createTopic("b", partitions: 1)
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        let pipeline = Pipeline("wakeup") {
            Branch(group: "first", from: Topic<String, String>("a")) { $0.to(Topic<String, String>("a-out")) }
            Branch(group: "second", from: Topic<String, String>("b")) { $0.to(Topic<String, String>("b-out")) }
        }
        let (a, b) = (TopicPartition("a", 0), TopicPartition("b", 0))
        let instance = try steppedInstance(pipeline, on: backend, directory: directory.path, owning: ["first": [a], "second": [b]])
        #expect(instance.assignment(of: "second") == [b])
        try instance.step()  // finds nothing: the next step may wait

        let timeoutMs = 20_000
        let consumed = Mutex<[String: Int]?>(nil)
        let stepped = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        let stepper = Thread {
            // A wait may end early on news from before it began (the wake-up is sticky), so
            // step until the record arrives, as the production loop does.
            while ContinuousClock.now - started < .seconds(30) {
                guard let step = try? instance.step(pollTimeoutMs: timeoutMs) else { break }
                if step["second", default: 0] > 0 {
                    consumed.withLock { $0 = step }
                    break
                }
            }
            stepped.signal()
        }
        stepper.start()
        usleep(100_000)
        _ = try log.partition("b", 0).append(records: [SluiceLog.Record(key: Array("k".utf8), value: Array("v".utf8), timestamp: 1)])
        stepped.wait()
        let waited = ContinuousClock.now - started
        #expect(waited < .seconds(5), "the idle step slept through data for its second member (waited \(waited))")
        #expect(consumed.withLock { $0 }?["second"] == 1)
        instance.abandon()
    }
}
