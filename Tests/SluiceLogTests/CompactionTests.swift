import Foundation
import Synchronization
import Testing

@testable import SluiceLog

@Suite("Log compaction")
struct CompactionTests {
    static let t0: Int64 = 1_700_000_000_000

    /// Writes `rounds` updates of `keys` keys (value "k<key>-v<round>"), one batch per round.
    func fill(_ p: Partition, keys: Int, rounds: Int, tombstone: Int? = nil) throws {
        for round in 0..<rounds {
            let batch = (0..<keys).map { k in
                Record(
                    key: Array("k\(k)".utf8), value: tombstone == k && round == rounds - 1 ? nil : Array("k\(k)-v\(round)".utf8),
                    timestamp: Self.t0 + Int64(round))
            }
            _ = try p.append(records: batch)
        }
    }

    @Test func keepsTheLastRecordPerKeyAtItsOffset() throws {
        let dir = TemporaryDirectory()
        let now = Mutex<Int64>(Self.t0 + 1_000)
        let log = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        try log.createTopic("table", partitions: 1, configs: ["cleanup.policy": "compact", "segment.bytes": "1024"])
        let p = try log.partition("table", 0)
        try fill(p, keys: 5, rounds: 40)
        let before = try readAll(p)
        // The newest value of each key among records in sealed segments, and all records of the active one.
        let summary = try log.compact()
        #expect(summary.segmentsCleaned > 0 && summary.recordsRemoved > 0)
        #expect(summary.bytesAfter < summary.bytesBefore)
        let after = try readAll(p)
        #expect(after.count < before.count)
        // Offsets never change: every surviving record is the one that had its offset before.
        let byOffset = Dictionary(uniqueKeysWithValues: before.map { ($0.offset, $0) })
        for record in after { #expect(byOffset[record.offset] == record) }
        // The latest value of every key survives.
        var latest: [[UInt8]: StoredRecord] = [:]
        for record in before { latest[record.record.key ?? []] = record }
        for record in latest.values { #expect(after.contains(record)) }
        // Reading from an offset that was removed gives the next surviving record.
        let gap = try #require((0..<p.highWatermark).first { offset in !after.contains { $0.offset == offset } })
        let next = try RecordBatchDecoder().records(in: try p.read(from: gap, maxBytes: 1 << 20).records).first { $0.offset >= gap }
        #expect(next?.offset == after.first { $0.offset > gap }?.offset)
        // It survives a restart, and appends continue at the same end.
        let end = p.logEndOffset
        try log.close()
        let reopened = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        let q = try reopened.partition("table", 0)
        #expect(try readAll(q) == after)
        #expect(try q.append(records: [Record(key: Array("k1".utf8), value: [1], timestamp: Self.t0)]).baseOffset == end)
        try reopened.close()
    }

    @Test func tombstonesStayForDeleteRetentionThenGo() throws {
        let dir = TemporaryDirectory()
        let now = Mutex<Int64>(Self.t0 + 1_000)
        let log = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        try log.createTopic(
            "table", partitions: 1, configs: ["cleanup.policy": "compact", "segment.bytes": "1024", "delete.retention.ms": "60000"])
        let p = try log.partition("table", 0)
        try fill(p, keys: 3, rounds: 30, tombstone: 2)
        try fill(p, keys: 1, rounds: 30)  // push the tombstone into a sealed segment
        _ = try log.compact()
        let tombstone = { try readAll(p).filter { $0.record.key == Array("k2".utf8) } }
        #expect(try tombstone().count == 1)
        #expect(try tombstone().first?.record.value == nil)
        now.withLock { $0 += 120_000 }
        _ = try log.compact()
        #expect(try tombstone().isEmpty)
        try log.close()
    }

    @Test func keylessRecordsAreRefusedOnCompactedTopics() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("table", partitions: 1, configs: ["cleanup.policy": "compact"])
        let p = try log.partition("table", 0)
        #expect(throws: LogError.self) { try p.append(records: [Record(key: nil, value: [1], timestamp: 1)]) }
        #expect(p.logEndOffset == 0)
        try log.close()
    }

    /// A crash between the commit point (`.swap` durable) and the end of the swap, or before it
    /// (`.cleaned` only): the next open finishes or discards the copy; no record is lost either way.
    @Test(arguments: ["cleaned", "swap"])
    func interruptedCompactionIsFinishedOrDiscardedOnOpen(leftover: String) throws {
        let dir = TemporaryDirectory()
        let now = Mutex<Int64>(Self.t0 + 1_000)
        do {
            let log = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
            try log.createTopic("table", partitions: 1, configs: ["cleanup.policy": "compact", "segment.bytes": "1024"])
            try fill(try log.partition("table", 0), keys: 4, rounds: 30)
            try log.close()
        }
        // Compact a copy of the directory, then stage its first cleaned segment as a leftover.
        let copy = TemporaryDirectory()
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: dir.path, toPath: copy.path)
        let compacted = try LogManager(directory: copy.path, clock: { now.withLock { $0 } }, options: noBackground)
        _ = try compacted.compact()
        let expectedAfter = try readAll(try compacted.partition("table", 0))
        try compacted.close()
        let original = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        let expectedBefore = try readAll(try original.partition("table", 0))
        try original.close()
        let segment = "/table-0/00000000000000000000.log"
        try FileManager.default.copyItem(atPath: copy.path + segment, toPath: dir.path + segment + "." + leftover)
        try FileManager.default.removeItem(atPath: dir.path + "/.sluice_cleanshutdown")

        let reopened = try LogManager(directory: dir.path, clock: { now.withLock { $0 } }, options: noBackground)
        let records = try readAll(try reopened.partition("table", 0))
        if leftover == "cleaned" {
            #expect(records == expectedBefore)
        } else {
            // Only the first segment was swapped: it matches the compacted copy, the rest the original.
            let keys = Set(expectedBefore.map(\.offset))
            #expect(records.allSatisfy { keys.contains($0.offset) })
            #expect(records.count < expectedBefore.count)
            for record in expectedAfter { #expect(records.contains(record)) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + segment + "." + leftover))
        try reopened.close()
    }
}
