import Sluice
import SluiceTesting
import Testing

@Suite("Rebalances between instances")
struct RebalanceTests {
    static let statsPartitions: Set<TopicPartition> = Set(
        (Int32(0)..<3).flatMap { [TopicPartition("sales", $0), TopicPartition(Topics.byRegion.name, $0)] })

    @Test func stateMovesWithItsPartitionsAndTotalsStayRight() throws {
        let driver = try PipelineTestDriver(Pipelines.stats(), partitions: 3)
        let sales = Reference.sales(1_500, seed: 31)
        try driver.pipe(sales[..<600])
        try driver.process()
        #expect(try driver.assignment(branch: "stats", instance: 0) == Self.statsPartitions)
        var before: [Int32: [Windowed<String>: Totals]] = [:]
        for partition in Int32(0)..<3 {
            before[partition] = try driver.store("totals", branch: "stats", partition: partition, as: [Windowed<String>: Totals].self)
        }

        // Records piped before the rebalance are processed after it, by the new owners.
        try driver.pipe(sales[600..<900])
        try driver.addInstance()
        #expect(driver.instanceCount == 2)
        let first = try driver.assignment(branch: "stats", instance: 0)
        let second = try driver.assignment(branch: "stats", instance: 1)
        #expect(!first.isEmpty && !second.isEmpty)
        #expect(first.isDisjoint(with: second) && first.union(second) == Self.statsPartitions)
        // Range assignment: partition p of the source and of the repartition topic together.
        #expect(Set(second.map(\.partition)).count * 2 == second.count)
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales[..<900]))

        // The moved tasks restored their stores from the changelogs, then went on.
        let moved = second.filter { $0.topic == Topics.byRegion.name }.map(\.partition)
        for partition in moved {
            let now = try driver.store("totals", branch: "stats", partition: partition, as: [Windowed<String>: Totals].self)
            for (window, totals) in before[partition] ?? [:] {
                #expect((now[window]?.count ?? 0) >= totals.count, "restored, not started over")
            }
        }

        try driver.pipe(sales[900..<1_200])
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales[..<1_200]))

        // The first instance leaves: everything moves to the one left.
        try driver.removeInstance(at: 0)
        #expect(try driver.assignment(branch: "stats", instance: 0) == Self.statsPartitions)
        try driver.pipe(sales[1_200...])
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales))
        #expect(try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self).byWindowStart == Reference.windowTotals(sales))

        // Graceful handovers: nothing was processed twice.
        #expect(driver.summary().branches[0].consumed == 2 * sales.count)
        #expect(try driver.records(Topics.byRegion).count == sales.count)
    }

    /// Pre-aggregation across instances joining, leaving and crashing: partials keep their
    /// producers' versions, so the merged totals stay exact whoever owns which partition.
    @Test func preAggregatedTotalsStayExactAcrossRebalancesAndACrash() throws {
        #expect(Pipelines.stats(preAggregated: true).describe().contains("preAggregate"))
        var options = PipelineTestDriver.Options()
        options.partitions = 3
        options.maxPollRecords = 50
        let driver = try PipelineTestDriver(Pipelines.stats(preAggregated: true), options: options)
        let sales = Reference.sales(1_800, seed: 32)
        try driver.pipe(sales[..<500])
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales[..<500]))

        try driver.pipe(sales[500..<900])
        try driver.addInstance()
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales[..<900]))

        try driver.pipe(sales[900..<1_300])
        try driver.crashAndRestart(branch: "stats", afterRecords: 120, instance: 1)
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales[..<1_300]))

        try driver.removeInstance(at: 0)
        try driver.pipe(sales[1_300...])
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales))
    }

    @Test func instancesCanStartTogether() throws {
        var options = PipelineTestDriver.Options()
        options.partitions = 4
        options.instances = 2
        let driver = try PipelineTestDriver(Pipelines.payments(), options: options)
        for i in 0..<40 {
            try driver.pipe(Topics.orders, key: "o\(i)", value: Order(id: "o\(i)", amount: i, status: "paid"))
        }
        try driver.process()
        let first = try driver.assignment(branch: "payment", instance: 0)
        let second = try driver.assignment(branch: "payment", instance: 1)
        #expect(first.count == 2 && second.count == 2 && first.isDisjoint(with: second))
        #expect(try driver.records(Topics.payments).count == 40)
        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"))
    }
}
