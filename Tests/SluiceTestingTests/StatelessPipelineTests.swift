import Sluice
import SluiceTesting
import Testing

@Suite("A stateless pipeline over three partitions")
struct StatelessPipelineTests {
    /// 30 orders, every 4th cancelled: the first 15 to explicit partitions, the rest by key.
    func pipeOrders(into driver: PipelineTestDriver) throws -> [Order] {
        var orders: [Order] = []
        for i in 0..<30 {
            let order = Order(id: "o\(i)", amount: i, status: i % 4 == 0 ? "cancelled" : "paid")
            orders.append(order)
            try driver.pipe(Topics.orders, key: order.id, value: order, timestamp: 1_000 + Int64(i), partition: i < 15 ? Int32(i % 3) : nil)
        }
        return orders
    }

    @Test func everyPartitionIsProcessedAndCommitted() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(), partitions: 3)
        let orders = try pipeOrders(into: driver)
        try driver.process()

        let kept = orders.filter { $0.status != "cancelled" }
        let payments = try driver.records(Topics.payments)
        #expect(payments.count == kept.count)
        #expect(Set(payments.map(\.value)) == Set(kept.map { Payment(orderId: $0.id, amount: $0.amount) }))
        #expect(payments.allSatisfy { $0.key == $0.value.orderId }, "keys are kept")
        #expect(payments.allSatisfy { $0.timestamp == 1_000 + Int64($0.value.amount) }, "timestamps are kept")

        // In each output partition, the records of one source partition keep their order
        // (one task per source partition; orders 0..<15 went to partition `amount % 3`).
        var perPartition = 0
        for partition in Int32(0)..<3 {
            let amounts = try driver.records(Topics.payments, partition: partition).map(\.value.amount)
            perPartition += amounts.count
            for source in 0..<3 {
                let fromSource = amounts.filter { $0 < 15 && $0 % 3 == source }
                #expect(fromSource == fromSource.sorted())
            }
        }
        #expect(perPartition == payments.count, "records(topic) is every partition's records")
        #expect(try driver.rawRecords("orders").count == 30)
        let firstOfPartition0 = try driver.rawRecords("orders", partition: 0).prefix(5).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        #expect(firstOfPartition0 == ["o0", "o3", "o6", "o9", "o12"], "explicit partitions are kept")

        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"))
        let summary = driver.summary()
        #expect(summary.branches.map(\.group) == ["payment"])
        #expect(summary.branches[0].consumed == 30)
        #expect(summary.branches[0].produced == kept.count)
    }

    @Test func theSameCallsGiveTheSameLog() throws {
        // Two stream threads per instance: two members in every group, formed together.
        func run() throws -> [RawRecord] {
            var options = PipelineTestDriver.Options()
            options.partitions = 3
            options.threads = 2
            let driver = try PipelineTestDriver(Pipelines.stats(withAudit: true), options: options)
            try driver.pipe(Reference.sales(300, seed: 3))
            try driver.process()
            try driver.pipe(Reference.sales(200, seed: 4, firstId: 300, startTs: 250_000))
            try driver.process()
            return try driver.rawRecords(Topics.totals.name) + driver.rawRecords(Topics.byRegion.name) + driver.rawRecords(Topics.audit.name)
                + driver.rawRecords("__consumer_offsets").map { RawRecord(topic: $0.topic, partition: $0.partition, offset: $0.offset, timestamp: 0, key: $0.key, value: nil) }
        }
        let first = try run()
        #expect(first.count > 1_000)
        for _ in 0..<3 { #expect(try run() == first) }
    }
}
