import Foundation
import Sluice
import SluiceTestSupport
import SluiceTesting
import SluiceWindows
import Testing

/// Operators and policies end to end through the driver, each against what it must do:
/// `.skip`, `forEach` retries, `selectKey` with `groupByKey`, sliding windows, and the
/// `record` / `count` AckModes.
@Suite("Operators and policies through the runtime")
struct OperatorCoverageTests {
    static let clicks = Topic<String, Int>("clicks")

    @Test func skipCountsAPoisonPillAndGoesOn() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(onError: .skip), partitions: 1)
        try driver.pipe(Topics.orders, key: "o1", value: Order(id: "o1", amount: 1, status: "paid"))
        try driver.pipeRaw(topic: "orders", key: Array("bad".utf8), value: Array("not json".utf8))
        try driver.pipe(Topics.orders, key: "o2", value: Order(id: "o2", amount: 2, status: "paid"))
        try driver.process()
        #expect(try driver.records(Topics.payments).map(\.value.orderId) == ["o1", "o2"])
        #expect(driver.summary().branches[0].skipped == 1)
        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"), "committed past the skipped record")
    }

    /// A side effect that fails twice is tried a third time, and the record's offset is
    /// committed only after it succeeded; one that keeps failing goes to the error policy.
    @Test func forEachRetriesThenHandsTheErrorToThePolicy() throws {
        struct Unavailable: Error {}
        let attempts = Counter()
        let pipeline = Pipeline("retrying") {
            Branch(group: "notify", from: Self.clicks, onError: .deadLetter("clicks-dlq")) { $0
                .forEach(retry: .exponential(attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2)) { record in
                    let n = attempts.increment(record.key ?? "")
                    if record.key == "flaky", n < 3 { throw Unavailable() }
                    if record.key == "down" { throw Unavailable() }
                }
            }
        }
        let driver = try PipelineTestDriver(pipeline, partitions: 1)
        for key in ["flaky", "down", "fine"] { try driver.pipe(Self.clicks, key: key, value: 1) }
        try driver.process()
        #expect(attempts.value("flaky") == 3, "failed twice, succeeded on the third try")
        #expect(attempts.value("down") == 3, "three tries, then the error policy")
        #expect(attempts.value("fine") == 1)
        #expect(try driver.rawRecords("clicks-dlq").map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["down"])
        #expect(try driver.committedOffsets(group: "notify") == driver.endOffsets("clicks"))
    }

    @Test func asyncForEachRunsInOrder() throws {
        let seen = Counter()
        let pipeline = Pipeline("async") {
            Branch(group: "notify", from: Self.clicks) { $0
                .forEach { (record: Sluice.Record<String, Int>) async throws in
                    try await Task.sleep(for: .milliseconds(1))
                    seen.append(record.value)
                }
            }
        }
        let driver = try PipelineTestDriver(pipeline, partitions: 1)
        for i in 0..<20 { try driver.pipe(Self.clicks, key: "k", value: i) }
        try driver.process()
        #expect(seen.values == Array(0..<20))
    }

    /// `selectKey` changes the key, so `groupByKey` repartitions: counts per new key are exact
    /// over several partitions, with every key's count in one partition.
    @Test func groupByKeyAfterSelectKeyRepartitions() throws {
        let pipeline = Pipeline("rekey") {
            Branch(group: "counts", from: Self.clicks) { $0
                .selectKey { _, value in "bucket-\(value % 4)" }
                .groupByKey(keySerde: StringSerde(), valueSerde: JSONSerde<Int>())
                .count(named: "per-bucket")
                .to(Topic<String, Int>("bucket-counts"))
            }
        }
        #expect(pipeline.describe().contains("repartition(rekey-counts-groupByKey"))
        let driver = try PipelineTestDriver(pipeline, partitions: 3)
        var random = SplitMix64(seed: 5)
        var expected: [String: Int] = [:]
        for i in 0..<300 {
            let value = Int(random.next() % 1_000)
            try driver.pipe(Self.clicks, key: "user-\(i % 7)", value: value)
            expected["bucket-\(value % 4)", default: 0] += 1
        }
        try driver.process()
        #expect(try driver.table(Topic<String, Int>("bucket-counts")) == expected)
    }

    /// Sliding windows through the runtime (store, changelog, forwarding) give what the window
    /// engine — checked against a brute force in `SluiceWindowsTests` — gives on the same input.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func slidingWindowsGiveTheEnginesFinalResults(seed: UInt64) throws {
        let pipeline = Pipeline("sliding") {
            Branch(group: "windows", from: Self.clicks) { $0
                .groupByKey(keySerde: StringSerde(), valueSerde: JSONSerde<Int>())
                .windowed(.sliding(size: 10), grace: .milliseconds(5), emit: .onClose)
                .aggregate(0, named: "sums") { sum, value in sum += value }
                .mapKey { "\($0.key)@\($0.window.start)-\($0.window.end)" }
                .to(Topic<String, Int>("sums"))
            }
        }
        var options = PipelineTestDriver.Options()
        options.maxPollRecords = 1 + Int(seed * 7)
        let driver = try PipelineTestDriver(pipeline, options: options)
        var engine = try WindowedAggregation<String, Int, Int>(
            windows: .sliding(size: 10), grace: 5, emit: .onClose, initializer: { 0 }, aggregator: { $0 += $1 })
        var results: [WindowedAggregation<String, Int, Int>.Result] = []
        var random = SplitMix64(seed: seed)
        var ts: Int64 = 0
        let clicks: [(String, Int, Int64)] = (0..<200).map { _ in
            ts += Int64(random.next() % 6)
            // Now and then a little out of order, within the grace.
            let jitter = random.next() % 5 == 0 ? Int64(random.next() % 4) : 0
            return ("user-\(random.next() % 3)", Int(random.next() % 10), max(0, ts - jitter))
        }
        for (key, value, timestamp) in clicks {
            try driver.pipe(Self.clicks, key: key, value: value, timestamp: timestamp)
            _ = try engine.process(key: key, value: value, timestamp: timestamp, into: &results)
        }
        try driver.process()
        // Every window closes once event time moves past its end and grace, without a record.
        try driver.advanceStreamTime(to: ts + 1_000)
        engine.advance(streamTime: ts + 1_000, into: &results)
        var expected: [String: Int] = [:]
        for result in results where result.kind == .final {
            expected["\(result.key)@\(result.window.start)-\(result.window.end)"] = result.aggregate
        }
        #expect(!expected.isEmpty)
        #expect(try driver.table(Topic<String, Int>("sums")) == expected)
        #expect(driver.summary().branches[0].late == engine.lateRecordCount)
    }

    /// Final results without a later record: `advanceStreamTime` closes the windows, through
    /// the pre-aggregating path too (partials merged by the key's task).
    @Test(arguments: [false, true])
    func advancingStreamTimeClosesWindows(preAggregated: Bool) throws {
        let totals = Topic<String, Totals>("closed-totals")
        var merger: (@Sendable (inout Totals, Totals) -> Void)?
        if preAggregated { merger = { total, other in total.merge(other) } }
        let pipeline = Pipeline("closing") {
            Branch(group: "stats", from: Topics.sales) { $0
                .groupBy(\.region)
                .windowed(.tumbling(.seconds(10)), grace: .seconds(3_600), emit: .onClose)
                .aggregate(Totals(), named: "totals", merger: merger) { $0.add($1) }
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(totals)
            }
        }
        #expect(pipeline.describe().contains("preAggregate") == preAggregated)
        let driver = try PipelineTestDriver(pipeline, partitions: 2)
        let sales = Reference.sales(300, seed: 41)
        try driver.pipe(sales)
        try driver.process()
        let lastTs = sales.map(\.ts).max() ?? 0
        let open = Reference.windowTotals(sales).filter { key, _ in
            (Int64(key.split(separator: "@").last ?? "") ?? 0) + 10_000 + 3_600_000 > lastTs
        }
        #expect(!open.isEmpty, "the last windows are still open")
        #expect(try driver.table(totals).keys.allSatisfy { open[$0] == nil }, "no open window emitted")

        let committed = try driver.committedOffsets(group: "stats")
        try driver.advanceStreamTime(to: lastTs + 10_000 + 3_600_000)
        #expect(try driver.table(totals) == Reference.windowTotals(sales))
        #expect(try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self).isEmpty, "closed windows are dropped")
        #expect(try driver.committedOffsets(group: "stats") == committed, "offsets did not move")
    }

    @Test func recordAckModeCommitsEveryRecord() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(ackMode: .record), partitions: 1)
        for i in 0..<5 { try driver.pipe(Topics.orders, key: "o\(i)", value: Order(id: "o\(i)", amount: i, status: "paid")) }
        try driver.crashAndRestart(branch: "payment", afterRecords: 3)
        #expect(try driver.committedOffsets(group: "payment")[TopicPartition("orders", 0)] == 3, "each record committed once processed")
        try driver.process()
        #expect(try driver.records(Topics.payments).count == 5, "no record processed twice")
    }

    @Test func countAckModeCommitsEveryNRecords() throws {
        let driver = try PipelineTestDriver(Pipelines.payments(ackMode: .count(4)), partitions: 1)
        for i in 0..<3 { try driver.pipe(Topics.orders, key: "o\(i)", value: Order(id: "o\(i)", amount: i, status: "paid")) }
        try driver.process()
        #expect(try driver.committedOffsets(group: "payment").isEmpty, "3 records: fewer than 4")
        try driver.pipe(Topics.orders, key: "o3", value: Order(id: "o3", amount: 3, status: "paid"))
        try driver.process()
        #expect(try driver.committedOffsets(group: "payment") == driver.endOffsets("orders"))
    }
}

/// A thread-safe tally for side effects under test.
final class Counter: @unchecked Sendable {  // all state under `lock`
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var list: [Int] = []

    func increment(_ key: String) -> Int {
        lock.withLock {
            counts[key, default: 0] += 1
            return counts[key, default: 0]
        }
    }

    func value(_ key: String) -> Int { lock.withLock { counts[key, default: 0] } }
    func append(_ value: Int) { lock.withLock { list.append(value) } }
    var values: [Int] { lock.withLock { list } }
}
