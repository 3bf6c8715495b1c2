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

    /// Under `.fail` only the failing branch stops: another branch on the same topic reads to
    /// the end and keeps reading what comes later; the failure is reported every time.
    @Test func aBranchStoppedByAPoisonPillDoesNotStopTheOthers() throws {
        let audit = Topic<String, String>("orders-audit")
        let pipeline = Pipeline("checkout") {
            Branch(group: "payment", from: Topics.orders) { $0.map { Payment(orderId: $0.id, amount: $0.amount) }.to(Topics.payments) }
            Branch(group: "audit", from: Topic<String, String>("orders")) { $0.to(audit) }
        }
        var options = PipelineTestDriver.Options()
        options.partitions = 2
        options.maxPollRecords = 2
        let driver = try PipelineTestDriver(pipeline, options: options)
        for i in 0..<6 { try driver.pipe(Topics.orders, key: "o\(i)", value: Order(id: "o\(i)", amount: i, status: "paid"), partition: Int32(i % 2)) }
        try driver.pipeRaw(topic: "orders", key: Array("bad".utf8), value: Array("not json".utf8), partition: 0)
        for i in 6..<10 { try driver.pipe(Topics.orders, key: "o\(i)", value: Order(id: "o\(i)", amount: i, status: "paid"), partition: Int32(i % 2)) }

        #expect(throws: PipelineError.self) { try driver.process() }
        #expect(try driver.records(audit).count == 11, "the audit branch read past the pill")
        #expect(try driver.committedOffsets(group: "audit") == driver.endOffsets("orders"))
        let payment = try driver.committedOffsets(group: "payment")
        #expect((payment[TopicPartition("orders", 0)] ?? 0) <= 3, "nothing committed past the pill")

        try driver.pipe(Topics.orders, key: "o10", value: Order(id: "o10", amount: 10, status: "paid"), partition: 1)
        do {
            try driver.process()
            Issue.record("the stopped branch's failure was not reported again")
        } catch PipelineError.branchFailed(let group, _) {
            #expect(group == "payment")
        }
        #expect(try driver.records(audit).count == 12)
        #expect(driver.summary().branches[1].consumed == 12)
    }
}
