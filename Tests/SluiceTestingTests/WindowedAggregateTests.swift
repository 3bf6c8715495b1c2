import Sluice
import SluiceTesting
import Testing

@Suite("groupBy and windowed aggregates against a brute-force reference")
struct WindowedAggregateTests {
    @Test func theTableAndTheStoresEqualTheReference() throws {
        var options = PipelineTestDriver.Options()
        options.partitions = 3
        options.maxPollRecords = 250
        let driver = try PipelineTestDriver(Pipelines.stats(), options: options)
        let sales = Reference.sales(2_000, seed: 7)
        try driver.pipe(sales)
        try driver.process()

        let expected = Reference.windowTotals(sales)
        #expect(try driver.table(Topics.totals) == expected)

        // The window stores, every partition: each (region, window) in the task of its region.
        let windows = try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self)
        #expect(Dictionary(uniqueKeysWithValues: windows.map { ("\($0.key.key)@\($0.key.window.start)", $0.value) }) == expected)
        var perPartition = 0
        for partition in Int32(0)..<3 {
            let stored = try driver.store("totals", branch: "stats", partition: partition, as: [Windowed<String>: Totals].self)
            perPartition += stored.count
            let regions = Set(stored.keys.map(\.key))
            let latest = sales.filter { regions.contains($0.region) }.map(\.ts).max()
            #expect(try driver.streamTime(ofStore: "totals", branch: "stats", partition: partition) == latest)
        }
        #expect(perPartition == windows.count)

        let summary = driver.summary().branches[0]
        #expect(summary.consumed == 4_000, "each sale read from its source and from the repartition topic")
        #expect(summary.late == 0)
        #expect(try driver.committedOffsets(group: "stats") == driver.endOffsets("sales").merging(driver.endOffsets(Topics.byRegion.name)) { $1 })
    }

    @Test func keyValueStoresAreTypedByTheirKeyAndAggregate() throws {
        let pipeline = Pipeline("counting") {
            Branch(group: "counts", from: Topics.sales) { $0
                .groupBy(\.region)
                .count(named: "per-region")
                .map { "\($0)" }
                .to(Topic<String, String>("region-counts"))
            }
        }
        let driver = try PipelineTestDriver(pipeline, partitions: 2)
        let sales = Reference.sales(500, seed: 8)
        try driver.pipe(sales)
        try driver.process()

        let expected = Dictionary(grouping: sales, by: \.region).mapValues(\.count)
        #expect(try driver.store("per-region", branch: "counts", as: [String: Int].self) == expected)
        #expect(try driver.table(Topic<String, String>("region-counts")).mapValues { Int($0) } == expected.mapValues { Optional($0) })
        #expect(throws: PipelineTestDriverError.self) { try driver.store("per-region", branch: "counts", as: [String: String].self) }
        #expect(throws: PipelineTestDriverError.self) { try driver.store("nope", branch: "counts", as: [String: Int].self) }
    }

    /// Pre-aggregation (a `groupBy` and a merger over tumbling or hopping windows) with no
    /// grace: records in order in one partition are all on time, so none may be lost on the
    /// way through the partials, whatever order the keys' windows changed in within a batch.
    @Test(arguments: [(1, false), (1_000, false), (1, true), (1_000, true)])
    func preAggregationLosesNoRecordThatWasOnTimeInItsPartition(maxPollRecords: Int, hopping: Bool) throws {
        let counts = Topic<String, Int>("region-counts")
        let (size, advance): (Int64, Int64) = hopping ? (60_000, 30_000) : (60_000, 60_000)
        let pipeline = Pipeline("shop") {
            Branch(group: "stats", from: Topics.sales) { $0
                .groupBy(\.region)
                .windowed(hopping ? .hopping(size: size, advance: advance) : .tumbling(size: size))
                .count(named: "per-minute")  // grace 0
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(counts)
            }
        }
        #expect(pipeline.describe().contains("preAggregate"))
        var options = PipelineTestDriver.Options()
        options.maxPollRecords = maxPollRecords
        let driver = try PipelineTestDriver(pipeline, options: options)
        var expected: [String: Int] = [:]
        let sales: [(String, Int64)] = [("a", 59_000), ("b", 59_000), ("a", 61_000), ("b", 61_000), ("c", 119_500), ("a", 120_000)]
        for (n, (region, ts)) in sales.enumerated() {
            try driver.pipe(Topics.sales, key: "\(n)", value: Sale(id: n, region: region, amount: 1, ts: ts), timestamp: ts)
            var start = ts / advance * advance
            while start + size > ts {
                expected["\(region)@\(start)", default: 0] += 1
                start -= advance
            }
        }
        try driver.process()
        #expect(try driver.table(counts) == expected)
        #expect(driver.summary().branches[0].late == 0)
    }
}
