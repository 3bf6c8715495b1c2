import Sluice
import SluiceTesting
import Testing

@Suite("AckModes on the driver's wall clock")
struct AckModeTests {
    func orders(_ range: Range<Int>) -> [Order] { range.map { Order(id: "o\($0)", amount: $0, status: "paid") } }

    func pipe(_ orders: [Order], into driver: PipelineTestDriver) throws {
        for order in orders { try driver.pipe(Topics.orders, key: order.id, value: order) }
    }

    @Test func timeCommitsOnlyOnceTheClockHasMoved() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(ackMode: .time(milliseconds: 5_000)), partitions: 2)
        try pipe(orders(0..<10), into: driver)
        try driver.process()
        #expect(try driver.records(Topics.payments).count == 10, "processed and written")
        #expect(try driver.committedOffsets(group: "payment").isEmpty, "but not committed")

        driver.advanceWallClock(by: .milliseconds(4_999))
        try driver.process()
        #expect(try driver.committedOffsets(group: "payment").isEmpty)

        driver.advanceWallClock(by: .milliseconds(1))
        try driver.process()
        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"))
        #expect(driver.wallClockTime == 5_000)
    }

    @Test func aCrashUnderTimeCommitsRedoesEverythingUncommitted() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(ackMode: .time(milliseconds: 60_000)), partitions: 1)
        try pipe(orders(0..<10), into: driver)
        try driver.process()
        try pipe(orders(10..<15), into: driver)
        try driver.crashAndRestart(branch: "payment", afterRecords: 2)
        try driver.process()
        let payments = try driver.records(Topics.payments).map(\.value.orderId)
        #expect(Set(payments) == Set((0..<15).map { "o\($0)" }))
        // kill -9 commits nothing: the 10 processed before and the 2 of the cut batch were never
        // committed, so all 15 are processed again: 10 + 2 + 15 outputs.
        #expect(payments.count == 27)
    }
}
