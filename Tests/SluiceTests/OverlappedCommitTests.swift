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
        let gate = SyncGate(pathContains: "/out-")
        let log = try LogManager(directory: directory.path, io: GatedStorage(gate: gate))
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

        gate.close()
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
        for _ in 0..<5_000 where gate.waiting == 0 { usleep(1_000) }
        #expect(gate.waiting > 0, "the outputs' sync was never held at the gate")
        #expect(committed() == nil, "nothing may be committed while the outputs it produced are not durable")

        gate.open()
        if !returned { stepped.wait() }
        // Nothing new to read: the step waits for everything and commits it.
        try instance.step(overlapping: true)
        #expect(committed() == Int64(count))
        let written = try (0..<log.partitionCount("out")).reduce(Int64(0)) { $0 + (try log.partition("out", Int32($1)).highWatermark) }
        #expect(written == Int64(count))
        instance.abandon()
    }
}

/// Holds every `sync()` of files whose path contains `pathContains` while closed.
final class SyncGate: Sendable {
    let pathContains: String
    private let state = Mutex<(closed: Bool, waiting: Int)>((false, 0))

    init(pathContains: String) { self.pathContains = pathContains }

    func close() { state.withLock { $0.closed = true } }
    func open() { state.withLock { $0.closed = false } }
    /// Syncs held at the gate right now.
    var waiting: Int { state.withLock { $0.waiting } }

    func pass(_ path: String) {
        guard path.contains(pathContains) else { return }
        var counted = false
        while state.withLock({ s in
            if s.closed && !counted { s.waiting += 1 }
            if !s.closed && counted { s.waiting -= 1 }
            return s.closed
        }) {
            counted = true
            usleep(1_000)
        }
    }
}

/// The real file system, with `SyncGate` in front of file syncs.
struct GatedStorage: StorageIO {
    let gate: SyncGate
    let base = PosixStorage()

    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile { GatedFile(try base.open(path, mode: mode), path: path, gate: gate) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func contentsOfDirectory(_ path: String) throws -> [String] { try base.contentsOfDirectory(path) }
    func removeFile(_ path: String) throws { try base.removeFile(path) }
    func removeDirectory(_ path: String) throws { try base.removeDirectory(path) }
    func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    func acquireExclusiveLock(_ path: String) throws -> any StorageLock { try base.acquireExclusiveLock(path) }
}

final class GatedFile: StorageFile {
    let file: any StorageFile
    let path: String
    let gate: SyncGate

    init(_ file: any StorageFile, path: String, gate: SyncGate) {
        self.file = file
        self.path = path
        self.gate = gate
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int { try file.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws { try file.write(bytes, at: offset) }
    func size() throws -> Int64 { try file.size() }
    func truncate(to size: Int64) throws { try file.truncate(to: size) }
    func sync() throws {
        gate.pass(path)
        try file.sync()
    }
    func close() { file.close() }
}
