import Foundation
import SluiceClient
import SluiceLog
import Testing

@Suite("Producer sessions")
struct ProducerSessionTests {
    @Test func aSessionsRecordsAreDurableAndInOrderPerKeyAfterItsFlush() throws {
        let cluster = try TestCluster(topics: ["t": 4])
        let producer = try Producer(backend: cluster.backend)
        let session = try producer.makeSession()
        for i in 0..<2_000 {
            try session.send(topic: "t", key: Array("customer-\(i % 13)".utf8), value: Array("\(i)".utf8), timestamp: Int64(i))
        }
        try session.flush()
        // Durable (below the high watermark) without closing the producer.
        let ends = try cluster.endOffsets("t")
        #expect(ends.values.reduce(0, +) == 2_000)
        var byKey: [String: [Int]] = [:]
        for id in 0..<Int32(4) {
            try cluster.log.partition("t", id).forEachRecord(from: 0) { view in
                let key = view.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
                #expect(Partitioner.partition(forKey: Array(key.utf8), partitionCount: 4) == id)
                byKey[key, default: []].append(view.value.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? -1)
            }
        }
        #expect(byKey.count == 13)
        for sequence in byKey.values { #expect(sequence == sequence.sorted()) }
        try producer.close()
    }

    @Test func aSessionDoesNotWaitForOrWriteTheSharedProducersRecords() throws {
        let cluster = try TestCluster(topics: ["a": 1, "b": 1])
        var configuration = ProducerConfiguration()
        configuration.lingerMs = 60_000  // the shared producer's record waits for its flush
        let producer = try Producer(backend: cluster.backend, configuration: configuration)
        let session = try producer.makeSession()
        let handle = try producer.send(topic: "a", key: nil, value: [1])
        try session.send(topic: "b", key: nil, value: [2])
        try session.flush()
        #expect(try cluster.log.partition("b", 0).highWatermark == 1)
        #expect(handle.result == nil)
        try producer.flush()
        #expect(try cluster.log.partition("a", 0).highWatermark == 1)
        try producer.close()
    }

    @Test func unknownTopicIsAClearErrorAtSend() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let producer = try Producer(backend: cluster.backend)
        let session = try producer.makeSession()
        #expect(throws: LogError.self) { try session.send(topic: "nope", key: nil, value: [1]) }
        try session.flush()
        try producer.close()
    }
}
