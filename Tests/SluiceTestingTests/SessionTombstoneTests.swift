import Sluice
import SluiceTestSupport
import SluiceTesting
import Testing

/// Session windows emitted on update: a session that grows or merges changes its window, so its
/// earlier windowed key must leave the output table. `aggregateWithTombstones` forwards nil for
/// it, and `to(_:)` writes a tombstone (Kafka's `KTable#toStream().to(…)`).
@Suite("session windows on update: replaced sessions become tombstones")
struct SessionTombstoneTests {
    static let clicks = Topic<String, Int>("clicks")
    static let sessions = Topic<String, Int>("sessions")
    static let gapMs: Int64 = 5

    /// Clicks per user session, keyed `user@first-last` (Kafka's inclusive session bounds).
    static func pipeline(tombstones: Bool) -> Pipeline {
        Pipeline("web") {
            Branch(group: "sessions", from: clicks) { stream in
                let windowed = stream
                    .groupByKey(keySerde: StringSerde(), valueSerde: JSONSerde<Int>())
                    .windowed(.sessions(gap: .milliseconds(gapMs)), grace: .seconds(3_600))
                let counts: Stream<Windowed<String>, Int?> =
                    tombstones
                    ? windowed.aggregateWithTombstones(0, named: "clicks", merger: { $0 += $1 }) { count, _ in count += 1 }
                    : windowed.aggregate(0, named: "clicks", merger: { $0 += $1 }) { count, _ in count += 1 }.map { Optional($0) }
                return counts.mapKey { "\($0.key)@\($0.window.start)-\($0.window.last)" }.to(sessions)
            }
        }
    }

    @Test func aBridgingClickMergesTwoSessionsAndTheirWindowsLeaveTheTable() throws {
        var options = PipelineTestDriver.Options()
        options.maxPollRecords = 1  // a batch per click: every update reaches the topic
        let driver = try PipelineTestDriver(Self.pipeline(tombstones: true), options: options)
        try driver.pipe(Self.clicks, key: "ann", value: 1, timestamp: 0)
        try driver.pipe(Self.clicks, key: "ann", value: 1, timestamp: 10)
        try driver.process()
        #expect(try driver.table(Self.sessions) == ["ann@0-0": 1, "ann@10-10": 1])

        try driver.pipe(Self.clicks, key: "ann", value: 1, timestamp: 5)  // within the gap of both
        try driver.process()
        #expect(try driver.table(Self.sessions) == ["ann@0-10": 3])
        let tombstones = try driver.rawRecords(Self.sessions.name).filter { $0.value == nil }.compactMap { $0.key }
        #expect(Set(tombstones.map { String(decoding: $0, as: UTF8.self) }) == ["ann@0-0", "ann@10-10"])
    }

    @Test func withoutTombstonesTheReplacedSessionsStayInTheTable() throws {
        var options = PipelineTestDriver.Options()
        options.maxPollRecords = 1
        let driver = try PipelineTestDriver(Self.pipeline(tombstones: false), options: options)
        for timestamp: Int64 in [0, 10, 5] {
            try driver.pipe(Self.clicks, key: "ann", value: 1, timestamp: timestamp)
            try driver.process()
        }
        #expect(try driver.table(Self.sessions) == ["ann@0-0": 1, "ann@10-10": 1, "ann@0-10": 3])
    }

    /// Random clicks of several users, in random order and batch sizes, over three partitions:
    /// the table holds exactly the sessions a brute force finds (clicks at most the gap apart).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func theTableHoldsExactlyTheReferenceSessions(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var options = PipelineTestDriver.Options()
        options.partitions = 3
        options.maxPollRecords = 1 + Int(random.next() % 20)
        let driver = try PipelineTestDriver(Self.pipeline(tombstones: true), options: options)
        var clicks: [(user: String, ts: Int64)] = []
        for _ in 0..<400 {
            clicks.append(("user-\(random.next() % 6)", Int64(random.next() % 600)))
        }
        for (n, click) in clicks.enumerated() {
            try driver.pipe(Self.clicks, key: click.user, value: 1, timestamp: click.ts)
            if n % 37 == 0 { try driver.process() }
        }
        try driver.process()

        var expected: [String: Int] = [:]
        for (user, stamps) in Dictionary(grouping: clicks, by: \.user).mapValues({ $0.map(\.ts).sorted() }) {
            var first = stamps[0]
            var last = stamps[0]
            var count = 0
            for ts in stamps {
                if ts - last > Self.gapMs {
                    expected["\(user)@\(first)-\(last)"] = count
                    (first, count) = (ts, 0)
                }
                last = ts
                count += 1
            }
            expected["\(user)@\(first)-\(last)"] = count
        }
        #expect(try driver.table(Self.sessions) == expected)
    }

    /// Fixed windows never replace one another: through the pre-aggregating path (a `groupBy`
    /// and a merger), `aggregateWithTombstones` gives `aggregate`'s table and no tombstone.
    @Test func fixedWindowsGiveNoTombstones() throws {
        let counts = Topic<String, Int>("counts")
        let pipeline = Pipeline("web") {
            Branch(group: "buckets", from: Self.clicks) { $0
                .groupBy { "bucket-\($0 % 3)" }
                .windowed(.tumbling(.milliseconds(100)), grace: .seconds(3_600))
                .aggregateWithTombstones(0, named: "per-bucket", merger: { $0 += $1 }) { count, _ in count += 1 }
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(counts)
            }
        }
        #expect(pipeline.describe().contains("preAggregate"))
        var options = PipelineTestDriver.Options()
        options.partitions = 2
        options.maxPollRecords = 7
        let driver = try PipelineTestDriver(pipeline, options: options)
        var random = SplitMix64(seed: 11)
        var expected: [String: Int] = [:]
        for i in 0..<300 {
            let value = Int(random.next() % 1_000)
            let ts = Int64(i * 3)
            try driver.pipe(Self.clicks, key: "user-\(i % 5)", value: value, timestamp: ts)
            expected["bucket-\(value % 3)@\(ts / 100 * 100)", default: 0] += 1
        }
        try driver.process()
        #expect(try driver.table(counts) == expected)
        #expect(try driver.rawRecords(counts.name).allSatisfy { $0.value != nil })
    }
}
