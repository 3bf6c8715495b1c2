import Sluice
import SluiceTesting
import Testing

@Suite("Poison pills")
struct DeadLetterTests {
    @Test func aPoisonPillReachesTheDeadLetterTopicWithItsOriginalBytes() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(onError: .deadLetter("orders-dlq")), partitions: 2)
        try driver.pipe(Topics.orders, key: "o1", value: Order(id: "o1", amount: 1, status: "paid"), timestamp: 10, partition: 0)
        let poison: [UInt8] = Array("{\"id\": \"o2\", \"amount\": \"lots\"".utf8)
        try driver.pipeRaw(topic: "orders", key: Array("o2".utf8), value: poison, timestamp: 20, partition: 1, headers: [RecordHeader(key: "trace", value: [7, 7])])
        try driver.pipe(Topics.orders, key: "o3", value: Order(id: "o3", amount: 3, status: "paid"), timestamp: 30, partition: 1)
        try driver.process()

        let dead = try driver.rawRecords("orders-dlq")
        #expect(dead.count == 1)
        let letter = try #require(dead.first)
        #expect(letter.key == Array("o2".utf8))
        #expect(letter.value == poison)
        #expect(letter.timestamp == 20)
        #expect(letter.header("trace") == [7, 7], "the original headers come first")
        #expect(letter.header("sluice.branch").map { String(decoding: $0, as: UTF8.self) } == "payment")
        #expect(letter.header("sluice.source.topic").map { String(decoding: $0, as: UTF8.self) } == "orders")
        #expect(letter.header("sluice.source.partition").map { String(decoding: $0, as: UTF8.self) } == "1")
        #expect(letter.header("sluice.source.offset").map { String(decoding: $0, as: UTF8.self) } == "0")
        #expect(letter.header("sluice.error")?.isEmpty == false)

        // The pipeline went on past it, and committed past it.
        #expect(try driver.records(Topics.payments).map(\.value.orderId).sorted() == ["o1", "o3"])
        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"))
        #expect(driver.summary().branches[0].deadLettered == 1)
        // A typed read of the input reports the undecodable record instead of skipping it.
        #expect(throws: PipelineTestDriverError.self) { try driver.records(Topics.orders) }
    }

    @Test func underFailTheBranchStopsAtThePoisonPill() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(), partitions: 1)
        try driver.pipe(Topics.orders, key: "o1", value: Order(id: "o1", amount: 1, status: "paid"))
        try driver.pipeRaw(topic: "orders", key: nil, value: Array("not json".utf8))
        #expect(throws: PipelineError.self) { try driver.process() }
        #expect(try driver.committedOffsets(group: "payment").values.allSatisfy { $0 <= 1 }, "nothing committed past the pill")
    }
}
