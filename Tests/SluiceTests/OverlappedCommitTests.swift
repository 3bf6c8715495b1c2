import Foundation
@_spi(Testing) import Sluice
import SluiceClient
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Synchronization
import Testing

/// The production loop steps with `overlapping`: a stream thread goes on processing while its
/// last step's outputs are written and synced, and commits a batch only once those outputs are
/// durable. These tests hold the outputs' fsync at a gate to pin both halves: the step does not
/// wait for the sync, and nothing is committed until it is done.
@Suite("Overlapped commits")
struct OverlappedCommitTests {
    let directory = TemporaryDirectory("sluice-overlap")

    @Test func aStepDoesNotWaitForItsOutputsAndCommitsOnlyOnceTheyAreDurable() throws {
        let outputs = StorageObserver(pathContains: "/out-")
        let log = try LogManager(directory: directory.path, io: ObservedStorage(outputs))
        _ = try log.createTopic("in", partitions: 1)
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        let pipeline = Pipeline("overlap") {
            Branch(group: "copy", from: Topic<String, String>("in")) { $0.map { $0.uppercased() }.to(Topic<String, String>("out")) }
        }
        var options = RunOptions()
        options.dataDirectory = directory.path
        options.progress = false
        let instance = try PipelineInstance(pipeline: pipeline, backend: backend, options: options)
        try instance.subscribe()
        let input = TopicPartition("in", 0)
        for _ in 0..<200 where !instance.assignment(of: "copy").contains(input) { try instance.step(pollTimeoutMs: 10) }
        #expect(instance.assignment(of: "copy") == [input])

        let count = 50
        let records = (0..<count).map { SluiceLog.Record(key: Array("k\($0)".utf8), value: Array("v\($0)".utf8), timestamp: Int64($0)) }
        _ = try log.partition("in", 0).append(records: records)
        let committed = { backend.coordinator.committedOffsets(groupId: "copy")[input]?.offset }

        outputs.closeGate()
        let stepped = DispatchSemaphore(value: 0)
        let consumed = Mutex<Int?>(nil)
        let stepper = Thread {
            let records = (try? instance.step(overlapping: true))?["copy"]
            consumed.withLock { $0 = records }
            stepped.signal()
        }
        stepper.start()
        let returned = stepped.wait(timeout: .now() + 10) == .success
        #expect(returned, "the overlapping step waited for its outputs' fsync")
        #expect(consumed.withLock { $0 } == count)
        // The writer reaches the outputs' sync on its own thread, after the step returned.
        for _ in 0..<5_000 where outputs.syncsWaiting == 0 { usleep(1_000) }
        #expect(outputs.syncsWaiting > 0, "the outputs' sync was never held at the gate")
        #expect(committed() == nil, "nothing may be committed while the outputs it produced are not durable")

        outputs.openGate()
        if !returned { stepped.wait() }
        // Nothing new to read: the step waits for everything and commits it.
        try instance.step(overlapping: true)
        #expect(committed() == Int64(count))
        let written = try (0..<log.partitionCount("out")).reduce(Int64(0)) { $0 + (try log.partition("out", Int32($1)).highWatermark) }
        #expect(written == Int64(count))
        instance.abandon()
    }

    /// The outputs of a thread's branches go through one producer session: when its writes
    /// fail, no branch of the thread commits past them — not the one whose topic failed, not
    /// the others — and the step throws (the run stops).
    @Test func aWriteFailureCommitsNothingItCoversForAnyBranch() throws {
        let outputs = StorageObserver(pathContains: "/out-")
        let log = try LogManager(directory: directory.path, io: ObservedStorage(outputs))
        _ = try log.createTopic("in", partitions: 1)
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        let pipeline = Pipeline("failing-disk") {
            Branch(group: "copy", from: Topic<String, String>("in")) { $0.to(Topic<String, String>("out")) }
            Branch(group: "audit", from: Topic<String, String>("in")) { $0.to(Topic<String, String>("audit")) }
        }
        let input = TopicPartition("in", 0)
        let instance = try steppedInstance(pipeline, on: backend, directory: directory.path, owning: ["copy": [input], "audit": [input]])
        func append(_ range: Range<Int>) throws {
            _ = try log.partition("in", 0).append(records: range.map { SluiceLog.Record(key: Array("k\($0)".utf8), value: Array("v\($0)".utf8), timestamp: 0) })
        }
        let committed = { (group: String) in backend.coordinator.committedOffsets(groupId: group)[input]?.offset }
        try append(0..<10)
        try instance.step()
        #expect(committed("copy") == 10 && committed("audit") == 10)

        try append(10..<30)
        outputs.failSyncs()
        #expect(throws: (any Error).self) { try instance.step() }
        #expect(committed("copy") == 10, "the failed branch committed past its lost writes")
        #expect(committed("audit") == 10, "another branch of the thread committed past the lost writes")
        try? instance.close()
        #expect(committed("copy") == 10 && committed("audit") == 10, "closing committed past the lost writes")
    }
}
