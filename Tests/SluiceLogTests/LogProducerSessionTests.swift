import Foundation
import Synchronization
import Testing

@testable import SluiceLog

@Suite("Producer sessions")
struct LogProducerSessionTests {
    private static func value(_ sender: Int, _ i: Int) -> [UInt8] { Array("\(sender) \(i)".utf8) }

    /// (sender, sequence number) of a record written by `value`.
    private static func parse(_ record: StoredRecord) -> (sender: Int, n: Int) {
        let parts = String(decoding: record.record.value ?? [], as: UTF8.self).split(separator: " ")
        return (Int(parts.first ?? "") ?? -1, Int(parts.last ?? "") ?? -1)
    }

    @Test func keyedRecordsLandOnTheirMurmur2PartitionInSendOrderAndAreReadableAfterFlush() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("orders", partitions: 3)
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 8 << 10  // several full batches per partition
        let producer = LogProducer(log: log, configuration: configuration)
        let session = producer.makeSession()
        for i in 0..<5_000 {
            try session.send(topic: "orders", key: Array("customer-\(i % 97)".utf8), value: Self.value(0, i), timestamp: Int64(i))
        }
        try session.flush()
        // No close: everything the session sent is in the log once `flush` returns.
        var total = 0
        for id in 0..<Int32(3) {
            let stored = try readAll(try log.partition("orders", id))
            total += stored.count
            for record in stored {
                #expect(Partitioner.partition(forKey: record.record.key ?? [], partitionCount: 3) == id)
            }
            let sequence = stored.map { Self.parse($0).n }
            #expect(sequence == sequence.sorted())
        }
        #expect(total == 5_000)
        try producer.close()
        try log.close()
    }

    @Test func recordsWithoutAKeyStickToAPartitionUntilItsBatchIsFull() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 4, configs: ["compression.type": "uncompressed"])
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 4 << 10
        let producer = LogProducer(log: log, configuration: configuration)
        let session = producer.makeSession()
        let padding = String(repeating: "x", count: 90)
        for i in 0..<400 { try session.send(topic: "t", key: nil, value: Array("0 \(padding) \(i)".utf8), timestamp: 1) }
        try session.flush()
        var partitionOf: [Int: Int32] = [:]
        for id in 0..<Int32(4) {
            for record in try readAll(try log.partition("t", id)) { partitionOf[Self.parse(record).n] = id }
        }
        #expect(partitionOf.count == 400)
        // Sticky: runs of about a batch (4 KiB of ~110-byte records) go to one partition, then
        // the next partition takes over.
        let order = (0..<400).map { partitionOf[$0] ?? -1 }
        let switches = zip(order, order.dropFirst()).filter { $0 != $1 }.count
        #expect(switches >= 1, "null-key records never moved on from their first partition")
        #expect(switches <= 400 / 30, "null-key records moved on before their batch was full: \(switches) switches")
        try producer.close()
        try log.close()
    }

    @Test func recordsWaitInTheSessionUntilItFlushesAndAnotherSessionsFlushDoesNotWriteThem() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("a", partitions: 1)
        try log.createTopic("b", partitions: 1)
        let producer = LogProducer(log: log)
        let first = producer.makeSession()
        let second = producer.makeSession()
        try first.send(topic: "a", key: nil, value: [1], timestamp: 1)
        try second.send(topic: "b", key: nil, value: [2], timestamp: 1)
        try second.flush()
        #expect(try log.partition("b", 0).highWatermark == 1)
        usleep(50_000)  // well past linger.ms: sessions have no linger timer
        #expect(try log.partition("a", 0).highWatermark == 0)
        try first.flush()
        #expect(try log.partition("a", 0).highWatermark == 1)
        // Nothing sent since: a flush returns at once.
        try first.flush()
        try producer.close()
        try log.close()
    }

    @Test func aFlushReportsTheFailureOfItsOwnBatchOnce() throws {
        let storage = FaultyStorage()
        let clock = FaultClock()
        let log = try FaultTests.openLog(storage, clock: clock)
        try log.createTopic("s", partitions: 1, configs: ["compression.type": "uncompressed"])
        try log.createTopic("other", partitions: 1, configs: ["compression.type": "uncompressed"])
        let producer = LogProducer(log: log)
        let failing = producer.makeSession()
        let healthy = producer.makeSession()
        try healthy.send(topic: "other", key: nil, value: [0], timestamp: clock.now)
        try healthy.flush()
        storage.setSyncFault(FaultyStorage.SyncFault(nth: 1, pathContains: "s-0"))
        try failing.send(topic: "s", key: nil, value: Array("lost".utf8), timestamp: clock.now)
        #expect(throws: (any Error).self) { try failing.flush() }
        #expect(!storage.failedSyncPaths.isEmpty, "the injected fsync failure was not reached")
        // Reported once, and never to another session.
        try failing.flush()
        try healthy.send(topic: "other", key: nil, value: [1], timestamp: clock.now)
        try healthy.flush()
        #expect(try log.partition("other", 0).highWatermark == 2)
        try? producer.close()
        try? log.close()
    }

    @Test func beginFlushHandsRecordsOverAndEachPointBecomesDurableInOrder() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1)
        let producer = LogProducer(log: log)
        let session = producer.makeSession()
        for i in 0..<1_000 { try session.send(topic: "t", key: nil, value: Self.value(0, i), timestamp: 1) }
        let first = try session.beginFlush()
        // The session goes on sending while the first records are written.
        for i in 1_000..<2_000 { try session.send(topic: "t", key: nil, value: Self.value(0, i), timestamp: 1) }
        let second = try session.beginFlush()
        #expect(first < second)
        try session.waitUntilDurable(first)
        #expect(try session.isDurable(first))
        #expect(try log.partition("t", 0).highWatermark >= 1_000, "a durable point's records are readable")
        try session.waitUntilDurable(second)
        #expect(try log.partition("t", 0).highWatermark == 2_000)
        #expect(try readAll(try log.partition("t", 0)).map { Self.parse($0).n } == Array(0..<2_000))
        // Nothing sent since: the next point is the same, and already durable.
        let third = try session.beginFlush()
        #expect(third == second)
        #expect(try session.isDurable(third))
        try producer.close()
        try log.close()
    }

    @Test func aDurabilityCheckReportsTheFailureOfItsOwnBatchOnce() throws {
        let storage = FaultyStorage()
        let clock = FaultClock()
        let log = try FaultTests.openLog(storage, clock: clock)
        try log.createTopic("s", partitions: 1, configs: ["compression.type": "uncompressed"])
        let producer = LogProducer(log: log)
        let session = producer.makeSession()
        storage.setSyncFault(FaultyStorage.SyncFault(nth: 1, pathContains: "s-0"))
        try session.send(topic: "s", key: nil, value: Array("lost".utf8), timestamp: clock.now)
        let point = try session.beginFlush()
        #expect(throws: (any Error).self) { try session.waitUntilDurable(point) }
        #expect(!storage.failedSyncPaths.isEmpty, "the injected fsync failure was not reached")
        // Reported once: the point's batch is done (failed).
        #expect(try session.isDurable(point))
        try? producer.close()
        try? log.close()
    }

    @Test func unknownTopicsPartitionsAndOversizedRecordsAreRefusedAtSend() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 2, configs: ["max.message.bytes": "20000"])
        let producer = LogProducer(log: log)
        let session = producer.makeSession()
        #expect(throws: LogError.self) { try session.send(topic: "nope", key: nil, value: [1], timestamp: 1) }
        #expect(throws: LogError.self) { try session.send(topic: "t", partition: 2, key: nil, value: [1], timestamp: 1) }
        #expect(throws: LogError.self) {
            try session.send(topic: "t", key: nil, value: [UInt8](repeating: 1, count: 30_000), timestamp: 1)
        }
        try session.send(topic: "t", partition: 1, key: nil, value: [1], timestamp: 1)
        try session.flush()
        #expect(try log.partition("t", 1).highWatermark == 1)
        try producer.close()
        try log.close()
    }

    @Test func anExplicitPartitionBeyondTheCachedCountIsFoundAfterTheTopicGrows() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1)
        let producer = LogProducer(log: log)
        let session = producer.makeSession()
        try session.send(topic: "t", key: nil, value: [1], timestamp: 1)
        try log.alterTopic("t", partitions: 3)
        try session.send(topic: "t", partition: 2, key: nil, value: [2], timestamp: 1)
        try session.flush()
        #expect(try log.partition("t", 0).highWatermark == 1)
        #expect(try log.partition("t", 2).highWatermark == 1)
        try producer.close()
        try log.close()
    }

    @Test func aFullBufferMemoryBlocksSealingButEverythingIsWrittenInOrder() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 2, configs: ["durability": "none"])
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 2 << 10
        configuration.bufferMemory = 1  // every sealed batch waits until the previous ones are written
        configuration.compressionThreads = 1
        let producer = LogProducer(log: log, configuration: configuration)
        let session = producer.makeSession()
        for i in 0..<3_000 {
            try session.send(topic: "t", key: Array("k\(i % 5)".utf8), value: Self.value(0, i), timestamp: 1)
        }
        try session.flush()
        var total = 0
        for id in 0..<Int32(2) {
            let sequence = try readAll(try log.partition("t", id)).map { Self.parse($0).n }
            #expect(sequence == sequence.sorted())
            total += sequence.count
        }
        #expect(total == 3_000)
        try producer.close()
        try log.close()
    }

    @Test func sessionsOnTwoThreadsEachFlushTheirOwnRecordsInOrder() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 3)
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 4 << 10
        let producer = LogProducer(log: log, configuration: configuration)
        let perThread = 20_000
        let errors = Mutex<[String]>([])
        let done = DispatchGroup()
        for sender in 0..<2 {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                let session = producer.makeSession()
                do {
                    for i in 0..<perThread {
                        try session.send(topic: "t", key: Array("key-\(sender)-\(i % 31)".utf8), value: Self.value(sender, i), timestamp: 1)
                        if i % 1_000 == 999 {
                            try session.flush()
                            // Everything this thread sent so far is readable now.
                            let stored = try (0..<Int32(3)).reduce(0) { sum, id in
                                sum + (try readAll(try log.partition("t", id)).filter { Self.parse($0).sender == sender }.count)
                            }
                            if stored != i + 1 { errors.withLock { $0.append("sender \(sender): \(stored) of \(i + 1) after flush") } }
                        }
                    }
                } catch {
                    errors.withLock { $0.append("sender \(sender): \(error)") }
                }
            }
            thread.start()
        }
        done.wait()
        #expect(errors.withLock { $0 } == [])
        var total = 0
        for id in 0..<Int32(3) {
            let stored = try readAll(try log.partition("t", id)).map(Self.parse)
            total += stored.count
            for sender in 0..<2 {
                let sequence = stored.filter { $0.sender == sender }.map(\.n)
                #expect(sequence == sequence.sorted())
            }
        }
        #expect(total == 2 * perThread)
        try producer.close()
        try log.close()
    }

    @Test("once there are as many sessions as cores, each compresses its own batches, and every record lands in order")
    func sessionsThatFillTheCoresCompressTheirOwnBatches() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("orders", partitions: 3)
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 8 << 10  // many sealed batches per session
        let producer = LogProducer(log: log, configuration: configuration)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var idle = (0..<cores - 1).map { _ in producer.makeSession() }
        #expect(!producer.sessionsCompressTheirOwnBatches, "fewer sessions than cores: the compressor threads compress")
        idle.append(producer.makeSession())
        #expect(producer.sessionsCompressTheirOwnBatches)
        idle.removeLast()
        #expect(!producer.sessionsCompressTheirOwnBatches, "a session's deinit counts it out")
        idle.removeAll()

        // One session per core, all open before any sends: each compresses its own batches.
        let opened = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for sender in 0..<cores {
            done.enter()
            Thread {
                defer { done.leave() }
                let session = producer.makeSession()
                opened.add(1, ordering: .sequentiallyConsistent)
                while opened.load(ordering: .sequentiallyConsistent) < cores { usleep(100) }
                if !producer.sessionsCompressTheirOwnBatches { failures.withLock { $0.append("sender \(sender): not compressing its own") } }
                do {
                    for i in 0..<3_000 {
                        try session.send(topic: "orders", key: Array("customer-\(i % 31)".utf8), value: Self.value(sender, i), timestamp: 1)
                    }
                    try session.flush()
                } catch {
                    failures.withLock { $0.append("sender \(sender): \(error)") }
                }
            }.start()
        }
        done.wait()
        #expect(failures.withLock { $0 } == [])
        var perSender: [Int: Int] = [:]
        for id in 0..<Int32(3) {
            var last: [Int: Int] = [:]
            for record in try readAll(try log.partition("orders", id)) {
                let (sender, n) = Self.parse(record)
                #expect(n > last[sender, default: -1], "sender \(sender) out of order in partition \(id)")
                last[sender] = n
                perSender[sender, default: 0] += 1
            }
        }
        #expect(perSender == Dictionary(uniqueKeysWithValues: (0..<cores).map { ($0, 3_000) }))
        try producer.close()
        try log.close()
    }
}
