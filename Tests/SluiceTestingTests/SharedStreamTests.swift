import Sluice
import SluiceTestSupport
import SluiceTesting
import Synchronization
import Testing

/// Branches that start from one `SharedStream`: the shared steps run once per record for all
/// of a thread's branches, and each branch still gets exactly what it would get with the
/// steps in its own body.
@Suite("Shared streams")
struct SharedStreamTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    struct Refused: Error {}

    static let big = Topic<String, Payment>("big-payments")
    static let small = Topic<String, Payment>("small-payments")
    static let all = Topic<String, Payment>("all-payments")

    /// Three branches from `kept` (not cancelled → payment, counted by a `peek`); an order
    /// with amount 13 makes the shared steps throw.
    static func pipeline(runs: Counter, expand: Bool = false, onError: ErrorPolicy = .deadLetter("orders-dlq")) -> Pipeline {
        let kept = Stream(Topics.orders)
            .peek { _, _ in runs.add() }
            .filter { $0.status != "cancelled" }
            .map { order -> Payment in
                guard order.amount != 13 else { throw Refused() }
                return Payment(orderId: order.id, amount: order.amount)
            }
            .flatMap { expand ? [$0, Payment(orderId: $0.orderId + "-fee", amount: 1)] : [$0] }
            .shared("kept")
        return Pipeline("shop") {
            Branch(group: "all", from: kept, onError: onError) { $0.to(all) }
            Branch(group: "big", from: kept, onError: onError) { $0.filter { $0.amount >= 20 }.to(big) }
            Branch(group: "small", from: kept, onError: onError) { $0.filter { $0.amount < 20 }.to(small) }
        }
    }

    func pipeOrders(_ count: Int, into driver: PipelineTestDriver) throws -> [Order] {
        let orders = (0..<count).map { Order(id: "o\($0)", amount: $0, status: $0 % 4 == 0 ? "cancelled" : "paid") }
        for order in orders { try driver.pipe(Topics.orders, key: order.id, value: order, timestamp: Int64(order.amount)) }
        return orders
    }

    @Test func theSharedStepsRunOncePerRecordAndEveryBranchGetsItsRecords() throws {
        let runs = Counter()
        let driver = try PipelineTestDriver(Self.pipeline(runs: runs), partitions: 3)
        let orders = try pipeOrders(40, into: driver)
        try driver.process()

        // Once per record, not once per branch; the record the steps fail on (o13) is run by
        // each branch.
        #expect(runs.count == 40 + 2)
        let kept = orders.filter { $0.status != "cancelled" && $0.amount != 13 }.map { Payment(orderId: $0.id, amount: $0.amount) }
        #expect(try Set(driver.records(Self.all).map(\.value)) == Set(kept))
        #expect(try driver.records(Self.all).count == kept.count)
        #expect(try Set(driver.records(Self.big).map(\.value)) == Set(kept.filter { $0.amount >= 20 }))
        #expect(try Set(driver.records(Self.small).map(\.value)) == Set(kept.filter { $0.amount < 20 }))
        #expect(try driver.records(Self.all).allSatisfy { $0.key == $0.value.orderId && $0.timestamp == Int64($0.value.amount) })
        for group in ["all", "big", "small"] {
            #expect(try driver.committedOffsets(group: group) == driver.endOffsets("orders"))
        }
    }

    @Test func aRecordTheSharedStepsFailOnGoesToEveryBranchsErrorPolicy() throws {
        let runs = Counter()
        let driver = try PipelineTestDriver(Self.pipeline(runs: runs), partitions: 2)
        _ = try pipeOrders(20, into: driver)
        try driver.process()

        let dead = try driver.rawRecords("orders-dlq")
        let branches = dead.compactMap { $0.header("sluice.branch").map { String(decoding: $0, as: UTF8.self) } }
        #expect(branches.sorted() == ["all", "big", "small"], "one dead letter per branch that read it")
        #expect(dead.allSatisfy { $0.key == Array("o13".utf8) })
        #expect(driver.summary().branches.allSatisfy { $0.deadLettered == 1 })
        // Each branch ran the failing steps itself; every other record once in all.
        #expect(runs.count == 20 + 2)
    }

    @Test func everyOutputOfAFlatMapReachesEveryBranch() throws {
        let runs = Counter()
        let driver = try PipelineTestDriver(Self.pipeline(runs: runs, expand: true), partitions: 1)
        let orders = try pipeOrders(12, into: driver)
        try driver.process()

        let kept = orders.filter { $0.status != "cancelled" && $0.amount != 13 }
        let all = try driver.records(Self.all).map(\.value.orderId)
        #expect(all == kept.flatMap { [$0.id, $0.id + "-fee"] }, "in order, both outputs of each order")
        #expect(try driver.records(Self.small).count == 2 * kept.filter { $0.amount < 20 }.count)
        #expect(runs.count == 12)
    }

    @Test func aBranchReplayedAloneRunsTheSharedStepsItself() throws {
        let directory = TemporaryDirectory("sluice-shared-stream")
        var driverOptions = PipelineTestDriver.Options()
        driverOptions.directory = directory.path
        driverOptions.partitions = 2
        let runs = Counter()
        let pipeline = Self.pipeline(runs: runs)
        let driver = try PipelineTestDriver(pipeline, options: driverOptions)
        _ = try pipeOrders(30, into: driver)
        try driver.close()

        var options = RunOptions()
        options.dataDirectory = directory.path
        options.untilIdle = true
        options.progress = false
        options.threads = 1
        let first = try pipeline.run(options)
        #expect(first.branches.map(\.consumed) == [30, 30, 30])
        #expect(runs.count == 30 + 2)

        options.resetBranches = ["big"]
        let again = try pipeline.run(options)
        let consumed = Dictionary(uniqueKeysWithValues: again.branches.map { ($0.group, $0.consumed) })
        let produced = Dictionary(uniqueKeysWithValues: again.branches.map { ($0.group, $0.produced) })
        #expect(consumed == ["all": 0, "big": 30, "small": 0], "only the reset branch replays")
        #expect(produced["big"] == (0..<30).filter { $0 % 4 != 0 && $0 != 13 && $0 >= 20 }.count)
        #expect(runs.count == 30 + 2 + 30, "the replaying branch ran the steps for itself")
    }

    @Test func describeShowsTheSharedSteps() {
        let text = Self.pipeline(runs: Counter()).describe()
        #expect(text.contains("orders → peek → filter → map → flatMap → shared(kept) → to(all-payments)"))
    }

    @Test func stateCannotBeShared() {
        let counted = Stream(Topics.orders).groupByKey().count().shared("counted")
        let pipeline = Pipeline("shop") {
            Branch(group: "a", from: counted) { $0.map { "\($0)" }.to(Topic<String, String>("counts")) }
        }
        #expect {
            try pipeline.validate()
        } throws: { error in
            "\(error)".contains("shared stream 'counted' keeps state store") && "\(error)".contains("only stateless steps can be shared")
        }
    }
}
