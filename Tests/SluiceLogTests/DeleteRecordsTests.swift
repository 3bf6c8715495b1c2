import Foundation
import Testing

@testable import SluiceLog

/// Kafka's DeleteRecords on the embedded log: the start offset moves, records below it are gone
/// for readers, whole segments below it are deleted, and the start survives a reopen.
@Suite("Delete records")
struct DeleteRecordsTests {
    /// 200 records in segments of about 2 KiB.
    func filled(_ dir: TemporaryDirectory) throws -> (LogManager, Partition) {
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 2, configs: ["segment.bytes": "2048", "compression.type": "uncompressed"])
        let p = try log.partition("t", 0)
        for i in 0..<100 { _ = try p.append(records: records(2, from: i * 2)) }
        return (log, p)
    }

    @Test func theStartMovesAndWholeSegmentsBelowItGo() throws {
        let dir = TemporaryDirectory()
        let (log, p) = try filled(dir)
        let before = p.statistics
        #expect(before.segmentCount > 3)

        let results = try log.deleteRecords([.init(topic: "t", partition: 0, offset: 123)])
        #expect(try results[0].get() == 123)
        #expect(p.logStartOffset == 123)
        let after = p.statistics
        #expect(after.segmentCount < before.segmentCount, "segments wholly below 123 are deleted")
        #expect(after.logEndOffset == 200)
        // Below the start: out of range, as Kafka answers a fetch there.
        #expect(throws: LogError.self) { try p.read(from: 122, maxBytes: 1 << 20) }
        let left = try readAll(p)
        #expect(left.first?.offset == 123 && left.count == 77, "the segment holding 123 stays, its records below 123 are skipped")

        // A lower or equal offset changes nothing; -1 means the high watermark.
        #expect(try log.deleteRecords([.init(topic: "t", partition: 0, offset: 50)])[0].get() == 123)
        #expect(try log.deleteRecords([.init(topic: "t", partition: 0, offset: -1)])[0].get() == 200)
        #expect(try readAll(p).isEmpty)
        #expect(try p.append(records: records(1, from: 200)).baseOffset == 200, "appends go on after the end")
        try log.close()
    }

    @Test func theStartSurvivesAReopenAndACrash() throws {
        let dir = TemporaryDirectory()
        let (log, _) = try filled(dir)
        _ = try log.deleteRecords([.init(topic: "t", partition: 0, offset: 77)])
        try log.close()
        let reopened = try LogManager(directory: dir.path, options: noBackground)
        #expect(try reopened.partition("t", 0).logStartOffset == 77)
        #expect(try reopened.partition("t", 1).logStartOffset == 0)
        _ = try reopened.deleteRecords([.init(topic: "t", partition: 0, offset: 150)])
        reopened.abandonForTesting()  // no clean close: recovery reads the checkpoint too
        let recovered = try LogManager(directory: dir.path, options: noBackground)
        #expect(try recovered.partition("t", 0).logStartOffset == 150)
        #expect(try readAll(recovered.partition("t", 0)).first?.offset == 150)
        try recovered.close()
    }

    @Test func aTopicMadeAgainStartsAtZero() throws {
        let dir = TemporaryDirectory()
        let (log, _) = try filled(dir)
        _ = try log.deleteRecords([.init(topic: "t", partition: 0, offset: 150)])
        try log.deleteTopic("t")
        try log.createTopic("t", partitions: 1)
        _ = try log.partition("t", 0).append(records: records(3))
        try log.close()
        let reopened = try LogManager(directory: dir.path, options: noBackground)
        #expect(try reopened.partition("t", 0).logStartOffset == 0)
        #expect(try readAll(reopened.partition("t", 0)).count == 3)
        try reopened.close()
    }

    @Test func badRequestsAreRefusedPerPartitionWithKafkasCodes() throws {
        let dir = TemporaryDirectory()
        let (log, p) = try filled(dir)
        try log.createTopic("compacted", partitions: 1, configs: ["cleanup.policy": "compact"])
        let results = try log.deleteRecords([
            .init(topic: "t", partition: 0, offset: 201),
            .init(topic: "t", partition: 0, offset: -2),
            .init(topic: "t", partition: 9, offset: 0),
            .init(topic: "missing", partition: 0, offset: 0),
            .init(topic: "compacted", partition: 0, offset: 0),
            .init(topic: "t", partition: 1, offset: 0),
        ])
        func code(_ result: Result<Int64, LogError>) -> Int16? {
            if case .failure(let error) = result { return error.kind.kafkaCode }
            return nil
        }
        #expect(results.map(code) == [1, 1, 3, 3, 44, nil], "OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION, POLICY_VIOLATION")
        if case .failure(let error) = results[0] { #expect(error.message.contains("0...200")) }
        #expect(p.logStartOffset == 0, "a refused request changes nothing")
        try log.close()
        let readOnly = try LogManager(directory: dir.path, readOnly: true, options: noBackground)
        #expect(throws: LogError.self) { try readOnly.deleteRecords([.init(topic: "t", partition: 0, offset: 1)]) }
        try readOnly.close()
    }
}

extension DeleteRecordsTests {
    /// A crash (and power loss) at every file-system mutation of a `deleteRecords` call: the
    /// reopened partition starts at the old start or the new one, never elsewhere, holds every
    /// record from there on intact, and keeps its end. Segment files go only after the new start
    /// is durable, so a start never moves back over deleted records.
    @Test func aCrashAnywhereLeavesTheOldOrTheNewStart() throws {
        func loaded() throws -> (FaultyStorage, FaultClock, LogManager, [Record]) {
            let storage = FaultyStorage()
            let clock = FaultClock()
            let log = try FaultTests.openLog(storage, clock: clock)
            try log.createTopic("t", partitions: 1, configs: ["segment.bytes": "1024", "compression.type": "uncompressed"])
            var rng = SplitMix64(seed: 107)
            let written = (0..<60).map { FaultTests.record(&rng, tag: "r", index: $0, timestamp: 1) }
            for record in written { _ = try log.partition("t", 0).append(records: [record]) }
            return (storage, clock, log, written)
        }
        let dry = try loaded()
        let before = dry.0.count(of: FaultyStorage.Operation.mutations)
        _ = try dry.2.deleteRecords([.init(topic: "t", partition: 0, offset: 45)])
        let total = dry.0.count(of: FaultyStorage.Operation.mutations) - before
        try #require(total >= 5, "a checkpoint write and segment deletions")
        let segmentsLeft = try dry.2.partition("t", 0).statistics.segmentCount
        dry.2.abandonForTesting()

        var runs = 0
        for point in 1...total {
            for after in [false, true] {
                for fate in [FaultyStorage.DirectoryFate.dropUnsynced, .orderedPrefix, .keepAll] {
                    runs += 1
                    let (storage, clock, log, written) = try loaded()
                    storage.armCrash(FaultyStorage.CrashPlan(at: point, kinds: FaultyStorage.Operation.mutations, afterOperation: after))
                    let returned = (try? log.deleteRecords([.init(topic: "t", partition: 0, offset: 45)])) != nil && storage.crashedAt == nil
                    log.abandonForTesting()
                    storage.powerLoss(seed: UInt64(point), file: .dropUnsynced, directory: fate)
                    let reopened = try FaultTests.openLog(storage, clock: clock)
                    let partition = try reopened.partition("t", 0)
                    let start = partition.logStartOffset
                    let context = "crash at mutation \(point) of \(total) (after: \(after)), directories \(fate.rawValue): start \(start)"
                    #expect(start == 45 || (!returned && start == 0), "\(context)")
                    #expect(partition.highWatermark == 60, "\(context)")
                    #expect(try readAll(partition).map(\.record) == Array(written[Int(start)...]), "\(context)")
                    // Whatever the crash left below the start goes with the next call.
                    _ = try reopened.deleteRecords([.init(topic: "t", partition: 0, offset: 45)])
                    #expect(partition.statistics.segmentCount == segmentsLeft, "\(context)")
                    reopened.abandonForTesting()
                }
            }
        }
        #expect(runs >= 30)
    }
}
