import Foundation
import Sluice
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Synchronization
import Testing

/// Branches are separate consumer groups: one can be slow or replayed without the others
/// noticing.
@Suite("Branch independence")
struct BranchIndependenceTests {
    let directory = TemporaryDirectory("sluice-independence")

    func load(_ count: Int) throws {
        let log = try LogManager(directory: directory.path)
        defer { try? log.close() }
        if !log.topicNames().contains("sales") { _ = try log.createTopic("sales", partitions: 2) }
        let records = (0..<count).map { i in
            SluiceLog.Record(key: Array("s\(i)".utf8), value: Array(#"{"region":"eu","amount":\#(i),"ts":\#(i)}"#.utf8), timestamp: Int64(i))
        }
        _ = try log.partition("sales", 0).append(records: Array(records[..<(count / 2)]))
        _ = try log.partition("sales", 1).append(records: Array(records[(count / 2)...]))
    }

    func options() -> RunOptions {
        var options = RunOptions()
        options.dataDirectory = directory.path
        options.untilIdle = true
        options.progress = false
        return options
    }

    func committed(_ group: String) throws -> Int64 {
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        return try OffsetStore(log: log).committedOffsets(group: group).values.reduce(0) { $0 + $1.offset }
    }

    @Test func aSlowBranchDoesNotHoldUpTheOthers() throws {
        try load(1_000)
        let sales = Topic<String, Sale>("sales")
        let pipeline = Pipeline("independent") {
            Branch(group: "fast", from: sales) { $0.map { "\($0.amount)" }.to(Topic<String, String>("amounts")) }
            // 5 ms per record: at least 5 s for the 1,000 records.
            Branch(group: "slow", from: sales) { $0.forEach { _ in usleep(5_000) } }
        }
        let options = options()
        let finished = Atomic<Bool>(false)
        let runner = Thread {
            _ = try? pipeline.run(options)
            finished.store(true, ordering: .relaxed)
        }
        runner.start()
        defer { while !finished.load(ordering: .relaxed) { usleep(50_000) } }

        let start = ContinuousClock.now
        var fastDone: Duration?
        while ContinuousClock.now - start < .seconds(4) {
            if (try? committed("fast")) == 1_000 {
                fastDone = ContinuousClock.now - start
                break
            }
            usleep(20_000)
        }
        let slowCommitted = try committed("slow")
        #expect(fastDone != nil, "the fast branch finished while the slow one was still working")
        #expect(slowCommitted < 1_000, "the slow branch was still behind (\(slowCommitted) committed)")
    }

    @Test func resettingOneBranchReplaysOnlyThatBranch() throws {
        try load(200)
        let sales = Topic<String, Sale>("sales")
        let pipeline = Pipeline("replay") {
            Branch(group: "payment", from: sales) { $0.map { "\($0.amount)" }.to(Topic<String, String>("amounts")) }
            Branch(group: "stats", from: sales) { $0.groupBy(\.region).count().map { "\($0)" }.to(Topic<String, String>("counts")) }
        }
        _ = try pipeline.run(options())

        var replayStats = options()
        replayStats.resetBranches = ["stats"]
        let replay = try pipeline.run(replayStats)
        let consumed = Dictionary(uniqueKeysWithValues: replay.branches.map { ($0.group, $0.consumed) })
        #expect(consumed["payment"] == 0)
        #expect(consumed["stats"] == 400, "the 200 sales again, from the source and the repartition topic")
        let counts = try LogManager(directory: directory.path, readOnly: true)
        defer { try? counts.close() }
        var latest = ""
        for p in 0..<Int32(try counts.partitionCount("counts")) {
            _ = try counts.partition("counts", p).forEachRecord(from: 0) { view in
                latest = String(decoding: view.value ?? UnsafeRawBufferPointer(start: nil, count: 0), as: UTF8.self)
            }
        }
        #expect(latest == "200", "the replay rebuilt the count from scratch instead of adding to the old state")
    }

    /// The stats branch stopped (not started) does not hold payment back, keeps its offsets,
    /// and later catches up on its own; a reset then replays only the branches that run.
    @Test func aBranchLeftStoppedKeepsItsOffsetsAndCatchesUpAlone() throws {
        try load(300)
        let sales = Topic<String, Sale>("sales")
        let pipeline = Pipeline("partial") {
            Branch(group: "payment", from: sales) { $0.map { "\($0.amount)" }.to(Topic<String, String>("amounts")) }
            Branch(group: "stats", from: sales) { $0.groupBy(\.region).count().map { "\($0)" }.to(Topic<String, String>("counts")) }
        }
        var paymentOnly = options()
        paymentOnly.branches = ["payment"]
        let first = try pipeline.run(paymentOnly)
        #expect(first.branches.map(\.group) == ["payment"])
        #expect(try committed("payment") == 300)
        #expect(try committed("stats") == 0, "the stopped branch committed nothing")

        var statsOnly = options()
        statsOnly.branches = ["stats"]
        let second = try pipeline.run(statsOnly)
        #expect(second.branches.map(\.consumed) == [600], "the 300 sales, from the source and the repartition topic")
        #expect(try committed("stats") == 600, "its source and its repartition topic")

        statsOnly.reset = true  // replays only the branches that run
        let replay = try pipeline.run(statsOnly)
        #expect(replay.branches.map(\.consumed) == [600])
        #expect(try committed("payment") == 300, "payment was not reset")

        var unknown = options()
        unknown.branches = ["payments"]
        #expect(throws: PipelineError.self) { try pipeline.run(unknown) }
        unknown.branches = []
        #expect(throws: PipelineError.self) { try pipeline.run(unknown) }
        var resetOther = options()
        resetOther.branches = ["stats"]
        resetOther.resetBranches = ["payment"]
        #expect(throws: PipelineError.self) { try pipeline.run(resetOther) }
        #expect(try committed("payment") == 300, "a refused reset changed nothing")
    }
}
