import Foundation
import SluiceLog
import Testing

@testable import SluiceGroups

@Suite("Offset store on __consumer_offsets")
struct OffsetStoreTests {
    func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "/sluice-offsets-\(UUID().uuidString)"
    }

    func options() -> LogManager.Options {
        var options = LogManager.Options()
        options.backgroundTasks = false
        return options
    }

    @Test func commitsSurviveARestartAndStayPerGroup() throws {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = try LogManager(directory: path, options: options())
            try log.createTopic("orders", partitions: 3)
            for p in 0..<Int32(3) {
                _ = try log.partition("orders", p).append(records: (0..<20).map { Record(key: [UInt8($0)], value: [1], timestamp: 1) })
            }
            let store = try OffsetStore(log: log, partitionCount: 5)
            try store.commit(group: "payment", offsets: [TopicPartition("orders", 0): OffsetCommitValue(offset: 5, commitTimestamp: 10)])
            try store.commit(
                group: "payment",
                offsets: [
                    TopicPartition("orders", 0): OffsetCommitValue(offset: 12, metadata: "m", commitTimestamp: 11),
                    TopicPartition("orders", 1): OffsetCommitValue(offset: 3, commitTimestamp: 11),
                ])
            try store.commit(group: "shipping", offsets: [TopicPartition("orders", 0): OffsetCommitValue(offset: 1, commitTimestamp: 12)])
            try store.delete(group: "shipping")
            #expect(store.committed(group: "payment", TopicPartition("orders", 0))?.offset == 12)
            try log.close()
        }
        let log = try LogManager(directory: path, options: options())
        let store = try OffsetStore(log: log, partitionCount: 5)
        #expect(store.groups == ["payment"])
        #expect(store.committed(group: "payment", TopicPartition("orders", 0)) == OffsetCommitValue(offset: 12, metadata: "m", commitTimestamp: 11))
        #expect(store.committed(group: "payment", TopicPartition("orders", 1))?.offset == 3)
        #expect(store.committedOffsets(group: "shipping").isEmpty)
        #expect(store.report.isEmpty)
        // The commits sit in Kafka's partition for the group ("shipping" hashes there too).
        let home = OffsetsTopic.partition(forGroup: "payment", partitionCount: 5)
        #expect(OffsetsTopic.partition(forGroup: "shipping", partitionCount: 5) == home)
        #expect(try log.partition(OffsetsTopic.name, home).highWatermark == 3 + 2)
        try log.close()
    }

    /// I8: an offset committed past what the log kept is clamped to the recovered end, and said.
    @Test func offsetsPastTheLogEndAreClampedAndReported() throws {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = try LogManager(directory: path, options: options())
            try log.createTopic("orders", partitions: 1)
            _ = try log.partition("orders", 0).append(records: (0..<4).map { Record(key: [UInt8($0)], value: [1], timestamp: 1) })
            let store = try OffsetStore(log: log, partitionCount: 2)
            try store.commit(group: "stats", offsets: [TopicPartition("orders", 0): OffsetCommitValue(offset: 9, commitTimestamp: 1)])
            try log.close()
        }
        let log = try LogManager(directory: path, options: options())
        let store = try OffsetStore(log: log, partitionCount: 2)
        #expect(store.committed(group: "stats", TopicPartition("orders", 0))?.offset == 4)
        #expect(store.report.count == 1)
        #expect(store.report.first?.contains("past its log end 4") == true)
        try log.close()
    }

    @Test func compactionKeepsTheLatestCommitPerPartition() throws {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try LogManager(directory: path, options: options())
        try log.createTopic("orders", partitions: 1)
        _ = try log.partition("orders", 0).append(records: (0..<200).map { Record(key: [UInt8($0 % 256)], value: [1], timestamp: 1) })
        let store = try OffsetStore(log: log, partitionCount: 1)
        try log.alterTopic(OffsetsTopic.name, configs: ["segment.bytes": "2048"])
        for offset in 1...150 {
            try store.commit(group: "g", offsets: [TopicPartition("orders", 0): OffsetCommitValue(offset: Int64(offset), commitTimestamp: 1)])
        }
        let summary = try log.compact()
        #expect(summary.recordsRemoved > 0)
        try log.close()
        let reopened = try LogManager(directory: path, options: options())
        #expect(try OffsetStore(log: reopened, partitionCount: 1).committed(group: "g", TopicPartition("orders", 0))?.offset == 150)
        try reopened.close()
    }
}
