import Foundation
import Sluice
import SluiceLog
import SluiceTestSupport
import Synchronization
import Testing

/// Branches of one stream thread that read the same topic decode each record once, even when
/// they do not read it in step (one also polls its repartition topic, which takes part of its
/// `max.poll.records`, so the two drift apart), and each still gets every record.
@Suite("Shared decoding")
struct SharedDecodingTests {
    let directory = TemporaryDirectory("sluice-shared-decoding")

    /// Counts every value it decodes (shared by all copies of the serde).
    struct CountingSerde: Serde {
        let decodes: Counter
        let json = JSONSerde<Sale>()

        func encode(_ value: Sale, into bytes: inout [UInt8]) throws { try json.encode(value, into: &bytes) }
        func decode(_ bytes: UnsafeRawBufferPointer) throws -> Sale {
            decodes.value.add(1, ordering: .relaxed)
            return try json.decode(bytes)
        }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// One stream thread for every branch, polls of 200 records: the branches drift apart.
    func oneThreadSmallPolls() -> RunOptions {
        var options = RunOptions()
        options.dataDirectory = directory.path
        options.untilIdle = true
        options.progress = false
        options.threads = 1
        options.maxPollRecords = 200
        return options
    }

    /// `count` sales over 2 partitions, in batches of 25 records (so that polls end at many
    /// different offsets).
    func load(_ count: Int) throws {
        let log = try LogManager(directory: directory.path)
        defer { try? log.close() }
        _ = try log.createTopic("sales", partitions: 2)
        for start in stride(from: 0, to: count, by: 25) {
            let records = (start..<min(count, start + 25)).map { i in
                SluiceLog.Record(
                    key: Array("s\(i)".utf8), value: Array(#"{"region":"r\#(i % 7)","amount":\#(i),"ts":\#(i)}"#.utf8), timestamp: Int64(i))
            }
            _ = try log.partition("sales", Int32(start / 25 % 2)).append(records: records)
        }
    }

    @Test("two branches, one thread: each record decoded once, every record processed by both")
    func eachRecordIsDecodedOnce() throws {
        let records = 6_000
        try load(records)
        let decodes = Counter()
        let sales = Topic<String, Sale>("sales", key: StringSerde(), value: CountingSerde(decodes: decodes))
        let pipeline = Pipeline("shared") {
            Branch(group: "amounts", from: sales) { $0.map { "\($0.amount)" }.to(Topic<String, String>("amounts")) }
            Branch(group: "regions", from: sales) { $0.groupBy(\.region).count().map { "\($0)" }.to(Topic<String, String>("region-counts")) }
        }
        let summary = try pipeline.run(oneThreadSmallPolls())

        let consumed = Dictionary(uniqueKeysWithValues: summary.branches.map { ($0.group, $0.consumed) })
        #expect(consumed["amounts"] == records)
        #expect((consumed["regions"] ?? 0) >= records, "the regions branch also reads its repartition topic")
        #expect(decodes.value.load(ordering: .relaxed) == records, "every record decoded once for both branches")
    }

    @Test("three branches from a shared stream, one thread: its steps run once per record while the branches drift apart")
    func sharedStepsRunOncePerRecord() throws {
        let records = 6_000
        try load(records)
        let decodes = Counter()
        let runs = Counter()
        let sales = Topic<String, Sale>("sales", key: StringSerde(), value: CountingSerde(decodes: decodes))
        let big = Stream(sales)
            .peek { _, _ in runs.value.add(1, ordering: .relaxed) }
            .filter { $0.amount % 3 != 0 }
            .shared("big")
        let pipeline = Pipeline("shared-steps") {
            Branch(group: "amounts", from: big) { $0.map { "\($0.amount)" }.to(Topic<String, String>("amounts")) }
            Branch(group: "regions", from: big) { $0.groupBy(\.region).count().map { "\($0)" }.to(Topic<String, String>("region-counts")) }
            Branch(group: "copies", from: big) { $0.to(Topic<String, Sale>("copies")) }
        }
        let summary = try pipeline.run(oneThreadSmallPolls())

        let produced = Dictionary(uniqueKeysWithValues: summary.branches.map { ($0.group, $0.produced) })
        let kept = (0..<records).filter { $0 % 3 != 0 }.count
        #expect(produced["amounts"] == kept)
        #expect(produced["copies"] == kept)
        #expect(runs.value.load(ordering: .relaxed) == records, "the shared steps ran once per record for the three branches")
        #expect(decodes.value.load(ordering: .relaxed) == records, "and decoded each record once")
    }
}
