import Foundation
import Sluice
import SluiceClient
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Synchronization
import Testing

struct Order: Codable, Sendable, Equatable {
    var orderId: String
    var region: String
    var amount: Double
    var status: String
}

struct Payment: Codable, Sendable, Equatable {
    var orderId: String
    var amount: Double
}

/// Pipelines run end to end on a real embedded log.
@Suite("Pipeline runtime")
struct PipelineTests {
    let directory = TemporaryDirectory("sluice-pipeline")

    /// `orders` (2 partitions) with `count` orders, every 5th cancelled, plus `poison` undecodable records.
    func seed(count: Int, poison: Int = 0) throws {
        let log = try LogManager(directory: directory.path)
        defer { try? log.close() }
        _ = try log.createTopic("orders", partitions: 2)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var records: [[SluiceLog.Record]] = [[], []]
        for i in 0..<count {
            let order = Order(orderId: "o\(i)", region: ["eu", "us"][i % 2], amount: Double(i), status: i % 5 == 0 ? "cancelled" : "paid")
            records[i % 2].append(SluiceLog.Record(key: Array("c\(i)".utf8), value: Array(try encoder.encode(order)), timestamp: Int64(i)))
        }
        for i in 0..<poison {
            records[0].append(SluiceLog.Record(key: Array("bad\(i)".utf8), value: Array("{not json".utf8), headers: [.init(key: "h", value: [1])], timestamp: 0))
        }
        for p in 0..<2 where !records[p].isEmpty { _ = try log.partition("orders", Int32(p)).append(records: records[p]) }
    }

    func options() -> RunOptions {
        var options = RunOptions()
        options.dataDirectory = directory.path
        options.untilIdle = true
        options.progress = false
        return options
    }

    func values(_ topic: String) throws -> [[UInt8]] {
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        var out: [[UInt8]] = []
        for p in 0..<Int32(try log.partitionCount(topic)) {
            try log.partition(topic, p).forEachRecord(from: 0) { out.append(Array($0.value ?? UnsafeRawBufferPointer(start: nil, count: 0))) }
        }
        return out
    }

    @Test func branchesRunIndependentlyAndCommitWhatTheyProduced() throws {
        try seed(count: 100)
        let orders = Topic<String, Order>("orders")
        let shipped = Mutex<[String]>([])
        let pipeline = Pipeline("orders-test") {
            Branch(group: "payment", from: orders) { $0
                .filter { $0.status != "cancelled" }
                .map { Payment(orderId: $0.orderId, amount: $0.amount * 2) }
                .to(Topic<String, Payment>("payments"))
            }
            Branch(group: "shipping", from: orders) { $0
                .filter { $0.region == "eu" }
                .forEach { record in shipped.withLock { $0.append(record.value.orderId) } }
            }
        }
        let summary = try pipeline.run(options())
        #expect(summary.branches.map(\.consumed) == [100, 100])
        #expect(summary.branches[0].produced == 80)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let payments = try values("payments").map { try decoder.decode(Payment.self, from: Data($0)) }
        #expect(payments.count == 80)
        #expect(Set(payments.map(\.orderId)).count == 80)
        #expect(shipped.withLock { $0.count } == 50)

        // Both groups committed everything; a second run has nothing to do.
        let again = try pipeline.run(options())
        #expect(again.branches.map(\.consumed) == [0, 0])
        // --reset replays both.
        var reset = options()
        reset.reset = true
        #expect(try pipeline.run(reset).branches.map(\.consumed) == [100, 100])
    }

    @Test func poisonRecordsGoToTheDeadLetterTopicWithTheirOriginalBytes() throws {
        try seed(count: 10, poison: 2)
        let pipeline = Pipeline("dlq-test") {
            Branch(group: "payment", from: Topic<String, Order>("orders"), onError: .deadLetter("orders-dlq")) { $0
                .map { Payment(orderId: $0.orderId, amount: $0.amount) }
                .to(Topic<String, Payment>("payments"))
            }
        }
        let summary = try pipeline.run(options())
        #expect(summary.branches[0].deadLettered == 2)
        #expect(try values("payments").count == 10)
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        var dead: [(key: String, value: String, headers: [String])] = []
        try log.partition("orders-dlq", 0).forEachRecord(from: 0) { view in
            dead.append(
                (String(decoding: view.key ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self),
                 String(decoding: view.value ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self), view.headers().map(\.key)))
        }
        for p in 1..<Int32(try log.partitionCount("orders-dlq")) {
            try log.partition("orders-dlq", p).forEachRecord(from: 0) { view in
                dead.append(
                    (String(decoding: view.key ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self),
                     String(decoding: view.value ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self), view.headers().map(\.key)))
            }
        }
        #expect(dead.map(\.value) == ["{not json", "{not json"])
        #expect(Set(dead.map(\.key)) == ["bad0", "bad1"])
        #expect(dead.allSatisfy { $0.headers == ["h", "sluice.error", "sluice.branch", "sluice.source.topic", "sluice.source.partition", "sluice.source.offset"] })
    }

    @Test func aFailingBranchStopsWithoutCommittingThePoisonRecord() throws {
        try seed(count: 4, poison: 1)
        let pipeline = Pipeline("fail-test") {
            Branch(group: "strict", from: Topic<String, Order>("orders")) { $0.forEach { _ in } }
        }
        #expect(throws: PipelineError.self) { try pipeline.run(options()) }
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        let committed = try OffsetStore(log: log).committedOffsets(group: "strict")
        let poisonOffset = try log.partition("orders", 0).highWatermark - 1
        #expect((committed[TopicPartition("orders", 0)]?.offset ?? 0) <= poisonOffset, "the poison record is read again on restart")
    }

    /// A failed branch stops only itself: the others read to the end (past the poison record),
    /// and the run then reports the failure.
    @Test func aFailingBranchDoesNotStopTheOthers() throws {
        try seed(count: 40, poison: 1)
        // More good records after the poison record in partition 0.
        do {
            let log = try LogManager(directory: directory.path)
            defer { try? log.close() }
            _ = try log.partition("orders", 0).append(records: (0..<5).map { i in
                SluiceLog.Record(key: Array("late\(i)".utf8), value: Array(#"{"order_id":"x\#(i)","region":"eu","amount":1,"status":"paid"}"#.utf8), timestamp: 100)
            })
        }
        let pipeline = Pipeline("independence") {
            Branch(group: "strict", from: Topic<String, Order>("orders")) { $0.map { $0.orderId }.to(Topic<String, String>("strict-out")) }
            Branch(group: "raw", from: Topic<String, String>("orders")) { $0.to(Topic<String, String>("raw-out")) }
        }
        var options = options()
        options.maxPollRecords = 4  // many steps: the raw branch is still reading when strict fails
        do {
            _ = try pipeline.run(options)
            Issue.record("the run did not report the strict branch's failure")
        } catch PipelineError.branchFailed(let group, _) {
            #expect(group == "strict")
        }
        #expect(try values("raw-out").count == 46, "the raw branch read everything, past the poison record")
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        let committed = try OffsetStore(log: log).committedOffsets(group: "strict")
        let poisonOffset = try log.partition("orders", 0).highWatermark - 6
        #expect((committed[TopicPartition("orders", 0)]?.offset ?? 0) <= poisonOffset, "the strict branch stopped at its poison record")
    }

    @Test func badDeclarationsAreClearErrors() throws {
        try seed(count: 1)
        let orders = Topic<String, Order>("orders")
        let twice = Pipeline("twice") {
            Branch(group: "same", from: orders) { $0.forEach { _ in } }
            Branch(group: "same", from: orders) { $0.forEach { _ in } }
        }
        #expect(throws: PipelineError.self) { try twice.validate() }
        let missing = Pipeline("missing") {
            Branch(group: "g", from: Topic<String, Order>("no-such-topic")) { $0.forEach { _ in } }
        }
        do {
            try missing.run(options())
            Issue.record("a branch on a missing topic ran")
        } catch let error as PipelineError {
            #expect("\(error)".contains("no-such-topic") && "\(error)".contains("Kafka error 3"))
        }
    }

    @Test func describeShowsTheTopology() {
        let pipeline = Pipeline("p") {
            Branch(group: "payment", from: Topic<String, Order>("orders"), onError: .deadLetter("dlq")) { $0
                .filter { $0.status != "cancelled" }
                .map { Payment(orderId: $0.orderId, amount: $0.amount) }
                .to(Topic<String, Payment>("payments"))
            }
        }
        #expect(pipeline.describe() == "Pipeline p\n  branch payment (ack batch): orders → filter → map → to(payments)  [dead letters → dlq]")
        let mermaid = pipeline.mermaid()
        #expect(mermaid.hasPrefix("flowchart LR"))
        #expect(mermaid.contains("t_orders([\"orders\"])") && mermaid.contains("-. errors .-> t_dlq"))
    }
}
