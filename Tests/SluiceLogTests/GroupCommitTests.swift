import Foundation
import Synchronization
import Testing

@testable import SluiceLog

@Suite("Group commit")
struct GroupCommitTests {
    @Test func appendsWaitingDuringAnFsyncShareTheNextOne() throws {
        let dir = TemporaryDirectory()
        let segments = StorageObserver { $0.hasSuffix(".log") }
        let log = try LogManager(directory: dir.path, io: ObservedStorage(segments), options: noBackground)
        try log.createTopic("t", partitions: 1)
        let partition = try log.partition("t", 0)
        let writers = 8
        segments.holdFirstSync(untilWrites: writers)
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
        #expect(segments.syncs == 2)
        #expect(partition.highWatermark == Int64(writers * 5))
        #expect(try readAll(partition).count == writers * 5)
        try log.close()
    }
}
