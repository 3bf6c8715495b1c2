import Foundation
import Synchronization
import Testing

@testable import SluiceLog

@Suite("Producer batching")
struct LogProducerTests {
    @Test func keyedRecordsLandOnTheirMurmur2PartitionInOrder() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("orders", partitions: 3)
        let acked = Mutex(0)
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 16 << 10
        configuration.onAcknowledged = { ack in acked.withLock { $0 += ack.recordCount } }
        let producer = LogProducer(log: log, configuration: configuration)
        for i in 0..<10_000 {
            try producer.send(topic: "orders", record: Record(key: Array("customer-\(i % 97)".utf8), value: Array("order \(i)".utf8), timestamp: Int64(i)))
        }
        try producer.close()
        #expect(acked.withLock { $0 } == 10_000)
        var total = 0
        for id in 0..<Int32(3) {
            let stored = try readAll(try log.partition("orders", id))
            total += stored.count
            #expect(stored.map(\.offset) == Array(0..<Int64(stored.count)))
            for record in stored {
                #expect(Partitioner.partition(forKey: record.record.key ?? [], partitionCount: 3) == id)
            }
            // Per key, order is preserved.
            let sequence = stored.map { Int(String(decoding: $0.record.value ?? [], as: UTF8.self).split(separator: " ")[1]) ?? -1 }
            #expect(sequence == sequence.sorted())
        }
        #expect(total == 10_000)
        try log.close()
    }

    @Test func lingerWritesAPartialBatchWithoutFlush() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1)
        let producer = LogProducer(log: log)
        try producer.send(topic: "t", record: Record(value: Array("lonely".utf8), timestamp: 1))
        let partition = try log.partition("t", 0)
        #expect(partition.waitForData(after: 0, timeoutMs: 5_000))
        try producer.close()
        try log.close()
    }

    @Test func recordsWithoutAKeyMoveOnToAnotherPartitionWhenTheirBatchIsFull() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 4, configs: ["compression.type": "uncompressed"])
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 4 << 10
        let producer = LogProducer(log: log, configuration: configuration)
        let padding = String(repeating: "x", count: 90)
        for i in 0..<400 { try producer.send(topic: "t", record: Record(value: Array("\(padding) \(i)".utf8), timestamp: 1)) }
        try producer.close()
        var partitionOf: [Int: Int32] = [:]
        for id in 0..<Int32(4) {
            for stored in try readAll(try log.partition("t", id)) {
                let n = String(decoding: stored.record.value ?? [], as: UTF8.self).split(separator: " ").last.flatMap { Int($0) } ?? -1
                partitionOf[n] = id
            }
        }
        #expect(partitionOf.count == 400)
        let order = (0..<400).map { partitionOf[$0] ?? -1 }
        let switches = zip(order, order.dropFirst()).filter { $0 != $1 }.count
        #expect(switches >= 1, "records without a key never left their first partition")
        #expect(switches <= 400 / 30, "records without a key moved on before their batch was full: \(switches) switches")
        try log.close()
    }

    @Test func unknownTopicAndPartitionAreRefused() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 2)
        let producer = LogProducer(log: log)
        #expect(throws: LogError.self) { try producer.send(topic: "nope", record: Record(value: [1], timestamp: 1)) }
        #expect(throws: LogError.self) { try producer.send(topic: "t", partition: 2, record: Record(value: [1], timestamp: 1)) }
        try producer.close()
        try log.close()
    }
}

@Suite("Producer linger")
struct LogProducerLingerTests {
    @Test func aRecordAfterAnIdleSpellIsWrittenWithinLinger() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1, configs: ["durability": "none"])
        var configuration = LogProducerConfiguration()
        configuration.lingerMs = 5
        let producer = LogProducer(log: log, configuration: configuration)
        let partition = try log.partition("t", 0)
        var took: [UInt64] = []
        for i in 0..<7 {
            usleep(150_000)  // idle: the writer has nothing open
            let start = DispatchTime.now().uptimeNanoseconds
            try producer.send(topic: "t", record: Record(value: [UInt8(i)], timestamp: 1))
            #expect(partition.waitForData(after: Int64(i), timeoutMs: 5_000))
            took.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        // Without the wake-up a record waited for the writer's 100 ms idle sleep: ~50 ms median.
        let median = took.sorted()[took.count / 2]
        #expect(median < 30_000_000, "median record took \(median / 1_000_000) ms with linger.ms=5")
        try producer.close()
        try log.close()
    }
}
