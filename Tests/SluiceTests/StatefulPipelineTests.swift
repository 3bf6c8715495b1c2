import Foundation
import Sluice
import SluiceClient
import SluiceLog
import SluiceTestSupport
import Testing

/// One sale: what the stateful pipelines below group and aggregate.
struct Sale: Codable, Sendable, Equatable {
    var region: String
    var amount: Int
    var ts: Int64
}

struct RegionTotal: Codable, Sendable, Equatable {
    var count = 0
    var sum = 0
}

/// groupBy / windowed / aggregate / count / reduce and merge, end to end on a real log, checked
/// against totals computed directly from the input.
@Suite("Stateful pipelines")
struct StatefulPipelineTests {
    let directory = TemporaryDirectory("sluice-stateful")

    /// Writes `sales` to `topic` (created with `partitions`), keyed by an id so that one region's
    /// sales spread over every partition: grouping by region must repartition.
    func load(_ sales: [Sale], topic: String = "sales", partitions: Int = 3, firstId: Int = 0) throws {
        let log = try LogManager(directory: directory.path)
        defer { try? log.close() }
        if !log.topicNames().contains(topic) { _ = try log.createTopic(topic, partitions: partitions) }
        let encoder = JSONEncoder()
        var records: [[SluiceLog.Record]] = Array(repeating: [], count: partitions)
        for (i, sale) in sales.enumerated() {
            records[(firstId + i) % partitions].append(
                SluiceLog.Record(key: Array("s\(firstId + i)".utf8), value: Array(try encoder.encode(sale)), timestamp: sale.ts))
        }
        // Batches of 25, as a producer would write them: a poll returns whole batches, so one
        // batch per partition would hand a branch each partition's whole history at once.
        for p in 0..<partitions {
            for start in stride(from: 0, to: records[p].count, by: 25) {
                _ = try log.partition(topic, Int32(p)).append(records: Array(records[p][start..<min(start + 25, records[p].count)]))
            }
        }
    }

    func options(reset: Bool = false) -> RunOptions {
        var options = RunOptions()
        options.dataDirectory = directory.path
        options.untilIdle = true
        options.progress = false
        options.reset = reset
        return options
    }

    /// The latest value of every key of `topic`, as raw bytes.
    func latest(_ topic: String) throws -> [[UInt8]: [UInt8]] {
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        var out: [[UInt8]: [UInt8]] = [:]
        for p in 0..<Int32(try log.partitionCount(topic)) {
            _ = try log.partition(topic, p).forEachRecord(from: 0) { view in
                guard let key = view.key else { return }
                out[Array(key)] = view.value.map { Array($0) }
            }
        }
        return out
    }

    func randomSales(_ count: Int, seed: UInt64, startTs: Int64 = 0) -> [Sale] {
        var random = SplitMix64(seed: seed)
        var ts = startTs
        return (0..<count).map { _ in
            ts += Int64(random.next() % 700)
            return Sale(region: ["eu", "us", "ap", "sa"][Int(random.next() % 4)], amount: Int(random.next() % 100), ts: ts)
        }
    }

    func windowTotals(_ sales: [Sale], size: Int64) -> [String: RegionTotal] {
        var totals: [String: RegionTotal] = [:]
        for sale in sales {
            let key = "\(sale.region)@\(sale.ts - sale.ts % size)"
            totals[key, default: RegionTotal()].count += 1
            totals[key, default: RegionTotal()].sum += sale.amount
        }
        return totals
    }

    /// Region totals per tumbling window. With `preAggregated`, the aggregation has a merger, so
    /// each source partition's task folds its sales and repartitions per-window partials.
    func statsPipeline(size: Int64 = 10_000, preAggregated: Bool = false) -> Pipeline {
        let add: @Sendable (inout RegionTotal, Sale) -> Void = { total, sale in
            total.count += 1
            total.sum += sale.amount
        }
        let merge: @Sendable (inout RegionTotal, RegionTotal) -> Void = { total, other in
            total.count += other.count
            total.sum += other.sum
        }
        return Pipeline("shop") {
            Branch(group: "stats", from: Topic<String, Sale>("sales")) { $0
                .groupBy(\.region)
                // Records of one region reach the repartition topic from 3 source partitions, a
                // poll's worth at a time, so their timestamps interleave: grace covers that skew.
                .windowed(.tumbling(size: size), grace: .seconds(3_600))
                .aggregate(RegionTotal(), merger: preAggregated ? merge : nil, add)
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(Topic<String, RegionTotal>("region-totals"))
            }
        }
    }

    func decodedTotals() throws -> [String: RegionTotal] {
        let decoder = JSONDecoder()
        var out: [String: RegionTotal] = [:]
        for (key, value) in try latest("region-totals") {
            out[String(decoding: key, as: UTF8.self)] = try decoder.decode(RegionTotal.self, from: Data(value))
        }
        return out
    }

    /// The pre-aggregating store finds short string keys without hashing (`SmallKeyIndex`);
    /// with far more keys than its table holds, and keys it never remembers (long, non-ASCII),
    /// every total must still be exact.
    @Test func preAggregationIsExactForManyShortLongAndNonASCIIKeys() throws {
        var random = SplitMix64(seed: 29)
        let names = (0..<150).map { "r\($0)" } + (0..<30).map { "a-region-with-a-long-name-\($0)" } + (0..<20).map { "régión-\($0)" }
        var ts: Int64 = 0
        let sales = (0..<4_000).map { _ in
            ts += Int64(random.next() % 50)
            return Sale(region: names[Int(random.next() % UInt64(names.count))], amount: Int(random.next() % 100), ts: ts)
        }
        try load(sales)
        let summary = try statsPipeline(preAggregated: true).run(options())
        #expect(summary.branches[0].late == 0)
        #expect(try decodedTotals() == windowTotals(sales, size: 10_000))
    }

    @Test(arguments: [false, true])
    func windowedAggregateThroughARepartitionMatchesTheReference(preAggregated: Bool) throws {
        let sales = randomSales(3_000, seed: 11)
        try load(sales)
        let summary = try statsPipeline(preAggregated: preAggregated).run(options())
        if preAggregated {
            #expect(summary.branches[0].consumed < 4_500, "each sale once, then a partial per changed window and batch")
        } else {
            #expect(summary.branches[0].consumed == 6_000, "each sale is read from its source and from the repartition topic")
        }
        #expect(summary.branches[0].late == 0)
        #expect(try decodedTotals() == windowTotals(sales, size: 10_000))

        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        let topics = Set(log.topicNames(includeInternal: true))
        if preAggregated {
            #expect(topics.contains("shop-stats-groupBy-0-partials-repartition"))
            #expect(!topics.contains("shop-stats-groupBy-0-repartition"))
            #expect(topics.contains("shop-stats-aggregate-2-partial-changelog"))
        } else {
            #expect(topics.contains("shop-stats-groupBy-0-repartition"))
        }
        #expect(topics.contains("shop-stats-aggregate-2-changelog"))
    }

    /// Hopping windows, final results only: each closed window is emitted once, equal to the
    /// reference, whether every record is repartitioned or per-window partials are.
    @Test(arguments: [false, true])
    func hoppingWindowsEmitFinalResultsOnce(preAggregated: Bool) throws {
        var random = SplitMix64(seed: 17)
        var ts: Int64 = 0
        let sales = (0..<3_000).map { _ in
            ts += Int64(random.next() % 20_000)
            return Sale(region: ["eu", "us", "ap"][Int(random.next() % 3)], amount: Int(random.next() % 50), ts: ts)
        }
        // One source partition: with several, stream time follows whichever partition a poll
        // read last, and a grace shorter than their skew would (rightly) drop records as late.
        try load(sales, partitions: 1)
        let (size, advance, grace): (Int64, Int64, Int64) = (60_000, 30_000, 1_800_000)
        let add: @Sendable (inout RegionTotal, Sale) -> Void = { total, sale in
            total.count += 1
            total.sum += sale.amount
        }
        let merge: @Sendable (inout RegionTotal, RegionTotal) -> Void = { total, other in
            total.count += other.count
            total.sum += other.sum
        }
        let pipeline = Pipeline("hops") {
            Branch(group: "stats", from: Topic<String, Sale>("sales")) { $0
                .groupBy(\.region)
                .windowed(.hopping(size: size, advance: advance), grace: .milliseconds(grace), emit: .onClose)
                .aggregate(RegionTotal(), merger: preAggregated ? merge : nil, add)
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(Topic<String, RegionTotal>("region-totals"))
            }
        }
        var options = options()
        options.maxPollRecords = 50
        let summary = try pipeline.run(options)
        #expect(summary.branches[0].late == 0)

        var expected: [String: RegionTotal] = [:]
        for sale in sales {
            var start = sale.ts - sale.ts % advance
            while start > sale.ts - size {
                if start + size + grace <= ts {  // closed by the last record's time
                    expected["\(sale.region)@\(start)", default: RegionTotal()].count += 1
                    expected["\(sale.region)@\(start)", default: RegionTotal()].sum += sale.amount
                }
                start -= advance
            }
        }
        var emitted = 0
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        for p in 0..<Int32(try log.partitionCount("region-totals")) {
            _ = try log.partition("region-totals", p).forEachRecord(from: 0) { _ in emitted += 1 }
        }
        #expect(emitted == expected.count, "each closed window once")
        #expect(try decodedTotals() == expected)
    }

    @Test func aRestartedPipelineContinuesFromItsChangelog() throws {
        let sales = randomSales(2_000, seed: 12)
        try load(Array(sales[..<1_200]))
        _ = try statsPipeline().run(options())
        try load(Array(sales[1_200...]), firstId: 1_200)
        let second = try statsPipeline().run(options())
        #expect(second.branches[0].consumed == 1_600, "only the new sales, twice (source and repartition)")
        #expect(try decodedTotals() == windowTotals(sales, size: 10_000), "windows opened in the first run kept their counts")
    }

    @Test func countAndReduceWithoutWindows() throws {
        let sales = randomSales(500, seed: 13)
        try load(sales)
        let pipeline = Pipeline("tables") {
            Branch(group: "counts", from: Topic<String, Sale>("sales")) { $0
                .groupBy(\.region)
                .count()
                .map { "\($0)" }
                .to(Topic<String, String>("region-counts"))
            }
            Branch(group: "largest", from: Topic<String, Sale>("sales")) { $0
                .groupBy(\.region)
                .reduce { $0.amount >= $1.amount ? $0 : $1 }
                .to(Topic<String, Sale>("largest-sale"))
            }
        }
        _ = try pipeline.run(options())
        let counts = try latest("region-counts").reduce(into: [String: Int]()) {
            $0[String(decoding: $1.key, as: UTF8.self)] = Int(String(decoding: $1.value, as: UTF8.self))
        }
        #expect(counts == Dictionary(grouping: sales, by: \.region).mapValues(\.count))
        let largest = try latest("largest-sale").reduce(into: [String: Int]()) {
            $0[String(decoding: $1.key, as: UTF8.self)] = try? JSONDecoder().decode(Sale.self, from: Data($1.value)).amount
        }
        #expect(largest == Dictionary(grouping: sales, by: \.region).mapValues { $0.map(\.amount).max() ?? 0 })
    }

    @Test func lateRecordsAreCountedAndRouted() throws {
        // In order, then three records older than anything still open (grace 0, 1 s windows).
        var sales = (0..<20).map { Sale(region: "eu", amount: 1, ts: Int64($0) * 500) }
        sales += [Sale(region: "eu", amount: 100, ts: 10), Sale(region: "eu", amount: 100, ts: 20), Sale(region: "eu", amount: 100, ts: 30)]
        try load(sales, partitions: 1)
        let pipeline = Pipeline("late") {
            Branch(group: "stats", from: Topic<String, Sale>("sales")) { $0
                .groupBy(\.region)
                .windowed(.tumbling(.seconds(1)), emit: .onClose, lateRecordsTo: Topic<String, Sale>("late-sales"))
                .count()
                .mapKey { "\($0.key)@\($0.window.start)" }
                .map { "\($0)" }
                .to(Topic<String, String>("counts"))
            }
        }
        let summary = try pipeline.run(options())
        #expect(summary.branches[0].late == 3)
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        var late = 0
        _ = try log.partition("late-sales", 0).forEachRecord(from: 0) { _ in late += 1 }
        #expect(late == 3)
        // onClose: only closed windows (0…8 s; the 9 s window is still open), each once, final.
        var finals: [String: String] = [:]
        var emitted = 0
        _ = try log.partition("counts", 0).forEachRecord(from: 0) { view in
            emitted += 1
            finals[String(decoding: view.key ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self)] =
                String(decoding: view.value ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self)
        }
        #expect(emitted == 9 && finals.count == 9)
        #expect(finals.values.allSatisfy { $0 == "2" })
    }

    @Test func mergeReadsBothTopics() throws {
        let online = randomSales(300, seed: 14)
        let stores = randomSales(200, seed: 15)
        try load(online, topic: "online", partitions: 2)
        try load(stores, topic: "in-store", partitions: 2)
        let pipeline = Pipeline("merged") {
            Branch(group: "all", from: Topic<String, Sale>("online")) { $0
                .merge(Topic<String, Sale>("in-store"))
                .groupBy(\.region)
                .count()
                .map { "\($0)" }
                .to(Topic<String, String>("all-counts"))
            }
        }
        _ = try pipeline.run(options())
        let counts = try latest("all-counts").reduce(into: [String: Int]()) {
            $0[String(decoding: $1.key, as: UTF8.self)] = Int(String(decoding: $1.value, as: UTF8.self))
        }
        #expect(counts == Dictionary(grouping: online + stores, by: \.region).mapValues(\.count))
    }

    @Test func invalidWindowsAreRefusedBeforeAnythingRuns() throws {
        for (spec, grace, expected) in [
            (WindowSpec.tumbling(size: -5), Duration.zero, "window size must be between 1"),
            (.hopping(size: 10, advance: 20), .zero, "advance (20 ms) must not exceed its size"),
            (.tumbling(size: 1000), .milliseconds(-1), "grace"),
        ] {
            let pipeline = Pipeline("bad") {
                Branch(group: "g", from: Topic<String, Sale>("sales")) { $0
                    .groupBy(\.region).windowed(spec, grace: grace).count()
                    .mapKey { $0.key }.map { "\($0)" }.to(Topic<String, String>("out"))
                }
            }
            #expect {
                try pipeline.validate()
            } throws: { error in
                "\(error)".contains(expected) && "\(error)".contains("branch g")
            }
        }
    }

    @Test func describeNamesRepartitionTopicsAndStores() {
        let text = statsPipeline().describe()
        #expect(text.contains("repartition(shop-stats-groupBy-0-repartition)"))
        #expect(text.contains("state store aggregate-2 (window tumbling(size: 10000)), changelog shop-stats-aggregate-2-changelog"))
        #expect(statsPipeline().mermaid().contains("t_shop_stats_groupBy_0_repartition"))

        let preAggregated = statsPipeline(preAggregated: true).describe()
        #expect(preAggregated.contains("preAggregate[aggregate-2-partial] → repartition(shop-stats-groupBy-0-partials-repartition) → combine[aggregate-2]"))
        #expect(preAggregated.contains("changelog shop-stats-aggregate-2-partial-changelog"))
        #expect(preAggregated.contains("changelog shop-stats-aggregate-2-changelog"))
    }
}
