import SluiceClient
import Testing

@Suite("Producer")
struct ProducerTests {
    @Test func handlesCompleteWithDurableOffsetsInSendOrder() async throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let producer = try Producer(backend: cluster.backend)
        var handles: [SendHandle] = []
        for i in 0..<50 { handles.append(try producer.send(topic: "t", key: nil, value: Array("v\(i)".utf8))) }
        var offsets: [Int64] = []
        for handle in handles { offsets.append(try await handle.metadata.offset) }
        #expect(offsets == Array(0..<50))
        // Acknowledged means below the high watermark (durable in strict mode).
        #expect(try cluster.log.partition("t", 0).highWatermark == 50)
        try producer.close()
    }

    @Test func keyedRecordsKeepTheirPartition() async throws {
        let cluster = try TestCluster(topics: ["t": 4])
        let producer = try Producer(backend: cluster.backend)
        let first = try producer.send(topic: "t", key: Array("customer-7".utf8), value: [1])
        let second = try producer.send(topic: "t", key: Array("customer-7".utf8), value: [2])
        try producer.flush()
        let a = try await first.metadata
        let b = try await second.metadata
        #expect(a.partition == b.partition)
        #expect(b.offset == a.offset + 1)
        try producer.close()
    }

    @Test func unknownTopicIsAClearError() throws {
        let cluster = try TestCluster(topics: ["t": 1])
        let producer = try Producer(backend: cluster.backend)
        #expect(throws: LogError.self) { try producer.send(topic: "nope", key: nil, value: [1]) }
        try producer.close()
    }
}
