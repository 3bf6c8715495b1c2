import Foundation
import Synchronization
import Testing

@testable import SluiceLog

/// Counts fsyncs, and can hold the first one until a number of writes have landed, so the test
/// knows exactly which appends were waiting while it ran.
final class CountingStorage: StorageIO {
    let base = PosixStorage()
    let state = Mutex<(syncs: Int, writes: Int, holdFirstSyncUntilWrites: Int)>((0, 0, 0))

    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        CountingFile(try base.open(path, mode: mode), owner: self, isLog: path.hasSuffix(".log"))
    }
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

final class CountingFile: StorageFile {
    let file: any StorageFile
    let owner: CountingStorage
    let isLog: Bool

    init(_ file: any StorageFile, owner: CountingStorage, isLog: Bool) {
        self.file = file
        self.owner = owner
        self.isLog = isLog
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int { try file.read(into: buffer, at: offset) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try file.write(bytes, at: offset)
        if isLog { owner.state.withLock { $0.writes += 1 } }
    }
    func size() throws -> Int64 { try file.size() }
    func truncate(to size: Int64) throws { try file.truncate(to: size) }
    func sync() throws {
        guard isLog else { return try file.sync() }
        let (first, target) = owner.state.withLock { s in
            s.syncs += 1
            return (s.syncs == 1, s.holdFirstSyncUntilWrites)
        }
        if first {
            while owner.state.withLock({ $0.writes }) < target { usleep(200) }
        }
        try file.sync()
    }
    func close() { file.close() }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func appendsWaitingDuringAnFsyncShareTheNextOne() throws {
        let dir = TemporaryDirectory()
        let storage = CountingStorage()
        let log = try LogManager(directory: dir.path, io: storage, options: noBackground)
        try log.createTopic("t", partitions: 1)
        let partition = try log.partition("t", 0)
        let writers = 8
        storage.state.withLock { $0 = (0, 0, writers) }
        let results = Mutex<[AppendResult]>([])
        // Real threads: a dispatch pool on two cores would run the eight appends two at a time.
        let done = DispatchGroup()
        for i in 0..<writers {
            done.enter()
            Thread {
                if let result = try? partition.append(records: records(5, from: i * 5)) {
                    results.withLock { $0.append(result) }
                }
                done.leave()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        // The first append's fsync ran while the other seven wrote; one more fsync covers all seven.
        #expect(results.withLock { $0.count } == writers)
        #expect(storage.state.withLock { $0.syncs } == 2)
        #expect(partition.highWatermark == Int64(writers * 5))
        #expect(try readAll(partition).count == writers * 5)
        try log.close()
    }
}
