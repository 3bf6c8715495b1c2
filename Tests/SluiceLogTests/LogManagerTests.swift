import Foundation
import Testing

@testable import SluiceLog

@Suite("Log manager and partitions")
struct LogManagerTests {
    @Test func appendReadAndReopenCleanly() throws {
        let dir = TemporaryDirectory()
        do {
            let log = try LogManager(directory: dir.path)
            try log.createTopic("orders", partitions: 3)
            let p = try log.partition("orders", 1)
            let first = try p.append(records: records(100))
            #expect(first.baseOffset == 0 && first.lastOffset == 99)
            let second = try p.append(records: records(50, from: 100))
            #expect(second.baseOffset == 100)
            #expect(p.highWatermark == 150)
            #expect(try readAll(p).map(\.record) == records(150))
            try log.close()
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.sluice_cleanshutdown"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/orders-1/00000000000000000000.log"))
        let log = try LogManager(directory: dir.path)
        #expect(log.recoveryReport.isEmpty)
        let p = try log.partition("orders", 1)
        #expect(p.highWatermark == 150)
        #expect(try readAll(p, from: 120).map(\.offset) == Array(120..<150))
        let third = try p.append(records: records(10, from: 150))
        #expect(third.baseOffset == 150)
        try log.close()
    }

    @Test func segmentsRollAndIndexesAreRebuiltIdentically() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path)
        try log.createTopic("t", partitions: 1, configs: ["segment.bytes": "4096", "index.interval.bytes": "256", "compression.type": "uncompressed"])
        let p = try log.partition("t", 0)
        for i in 0..<200 { _ = try p.append(records: records(3, from: i * 3)) }
        #expect(p.statistics.segmentCount > 5)
        let offsets = (0..<600).map { Int64($0) }
        let before = try offsets.map { try p.read(from: $0, maxBytes: 1).records }
        let timestamps = try (0..<600).map { try p.offset(forTimestamp: 1_700_000_000_000 + Int64($0)) }
        #expect(timestamps == offsets.map { Optional($0) })
        try log.close()
        // Damage every index: delete some, fill others with garbage.
        var n = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path + "/t-0") where name.hasSuffix("index") {
            let path = dir.path + "/t-0/" + name
            if n % 2 == 0 { try FileManager.default.removeItem(atPath: path) } else { try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: path)) }
            n += 1
        }
        let reopened = try LogManager(directory: dir.path)
        let q = try reopened.partition("t", 0)
        #expect(try offsets.map { try q.read(from: $0, maxBytes: 1).records } == before)
        #expect(try (0..<600).map { try q.offset(forTimestamp: 1_700_000_000_000 + Int64($0)) } == timestamps)
        try reopened.close()
    }

    @Test func tornTailIsTruncatedAfterUncleanShutdown() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1)
        let p = try log.partition("t", 0)
        for i in 0..<10 { _ = try p.append(records: records(10, from: i * 10)) }
        let size = p.statistics.sizeInBytes
        // No close: simulate a crash mid-write by tearing the last batch.
        let path = dir.path + "/t-0/00000000000000000000.log"
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: UInt64(size - 7))
        try handle.close()
        log.abandonForTesting()
        let reopened = try LogManager(directory: dir.path, options: noBackground)
        let q = try reopened.partition("t", 0)
        #expect(q.highWatermark == 90)
        #expect(reopened.recoveryReport.contains { $0.contains("truncated") })
        #expect(try readAll(q).map(\.record) == records(90))
        #expect(try q.append(records: records(1, from: 90)).baseOffset == 90)
        try reopened.close()
    }

    @Test func retentionDeletesWholeClosedSegments() throws {
        let dir = TemporaryDirectory()
        let now = Mutex<Int64>(1_700_000_000_000)
        let log = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        try log.createTopic("t", partitions: 1, configs: ["segment.bytes": "2048", "retention.bytes": "6000", "compression.type": "uncompressed"])
        let p = try log.partition("t", 0)
        for i in 0..<100 { _ = try p.append(records: records(2, from: i * 2)) }
        let before = p.statistics
        let deleted = try log.enforceRetention()
        let after = p.statistics
        #expect(deleted > 0)
        #expect(after.sizeInBytes <= 6000 + 2048)
        #expect(after.logStartOffset > 0 && after.logEndOffset == before.logEndOffset)
        #expect(throws: LogError.self) { try p.read(from: 0, maxBytes: 100) }
        #expect(try readAll(p).first?.offset == after.logStartOffset)
        try log.close()
    }
}

extension LogManagerTests {
    @Test func retentionByTimeDeletesOnlyExpiredSegmentsAndRollsAnExpiredActiveOne() throws {
        let dir = TemporaryDirectory()
        let now = Mutex<Int64>(1_700_000_000_000)
        let log = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        try log.createTopic("t", partitions: 1, configs: ["segment.bytes": "2048", "retention.ms": "60000", "compression.type": "uncompressed"])
        let p = try log.partition("t", 0)
        // Old records (timestamps 1 h ago), then fresh ones.
        for i in 0..<40 { _ = try p.append(records: records(2, from: i * 2, timestamp: 1_700_000_000_000 - 3_600_000)) }
        let oldEnd = p.logEndOffset
        for i in 0..<40 { _ = try p.append(records: records(2, from: 80 + i * 2, timestamp: 1_700_000_000_000)) }
        #expect(try log.enforceRetention() > 0)
        // Every old segment went; nothing newer than retention.ms did.
        #expect(p.logStartOffset <= oldEnd)
        #expect(try readAll(p).allSatisfy { $0.offset >= p.logStartOffset })
        #expect(try readAll(p).filter { $0.record.timestamp == 1_700_000_000_000 + $0.offset }.count == 80)
        // Two minutes later everything is expired: the active segment is rolled and deleted too.
        now.withLock { $0 += 120_000 + 3_600_000 }
        _ = try log.enforceRetention()
        #expect(p.logStartOffset == p.logEndOffset)
        #expect(p.statistics.segmentCount == 1)
        #expect(try p.append(records: records(1, from: 160)).baseOffset == p.logEndOffset - 1)
        try log.close()
    }
}

let noBackground: LogManager.Options = {
    var options = LogManager.Options()
    options.backgroundTasks = false
    return options
}()

import Synchronization
