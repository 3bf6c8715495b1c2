import Sluice
import SluiceTesting
import Testing

@Suite("Crash and restart in the middle of a batch")
struct CrashRestartTests {
    func driver(maxPollRecords: Int = .max) throws -> PipelineTestDriver {
        var options = PipelineTestDriver.Options()
        options.partitions = 3
        options.maxPollRecords = maxPollRecords
        return try PipelineTestDriver(Pipelines.stats(withAudit: true), options: options)
    }

    /// 600 sales processed and committed, 600 more piped, then `stats` dies after `point` more
    /// records and everything restarts. Each poll takes all there is, so the first batch after
    /// the crash point is the 600 new sales (audit and stats read them in one pass, audit
    /// first in each run of records) and the next is their 600 repartitioned copies.
    ///
    /// At-least-once delivery: every output is there, and duplicates are only of the 600
    /// uncommitted sales. The sales the cut batch had already written to the repartition topic
    /// are written again on replay, so the repartition topic holds those twice; the window
    /// store applies each source record once (it remembers, with its state, the last origin it
    /// applied per source partition) and skips the second copies, so the table equals the
    /// reference over the input at every crash point.
    /// With purging on, a repartition topic keeps only what its branch has not committed: after
    /// each step the records below the committed offsets are gone. Aggregates stay exact
    /// across a crash, since a replay starts from the source, and what the purge deleted had
    /// been committed.
    @Test func purgedRepartitionTopicsKeepOnlyWhatIsUncommitted() throws {
        var options = PipelineTestDriver.Options()
        options.partitions = 3
        options.purgesRepartitionTopics = true
        let driver = try PipelineTestDriver(Pipelines.stats(withAudit: true), options: options)
        let sales = Reference.sales(1_200, seed: 22)
        try driver.pipe(sales[..<600])
        try driver.process()
        let ends = try driver.endOffsets(Topics.byRegion.name)
        #expect(ends.values.reduce(0, +) == 600, "every sale was repartitioned")
        #expect(try driver.committedOffsets(group: "stats").filter { $0.key.topic == Topics.byRegion.name } == ends)
        #expect(try driver.startOffsets(Topics.byRegion.name) == ends, "everything committed is purged")
        #expect(try driver.records(Topics.byRegion).isEmpty)
        #expect(try driver.startOffsets(Topics.sales.name).values.allSatisfy { $0 == 0 }, "sources are never purged")

        try driver.pipe(sales[600...])
        try driver.crashAndRestart(branch: "stats", afterRecords: 777)
        try driver.process()
        #expect(try driver.startOffsets(Topics.byRegion.name) == driver.endOffsets(Topics.byRegion.name))
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales))
    }

    @Test(arguments: [0, 1, 57, 599, 600, 601, 777, 1_199])
    func everyOutputSurvivesAndAggregatesStayExact(point: Int) throws {
        let driver = try driver()
        let sales = Reference.sales(1_200, seed: 21)
        try driver.pipe(sales[..<600])
        try driver.process()
        try driver.pipe(sales[600...])
        try driver.crashAndRestart(branch: "stats", afterRecords: point)
        try driver.process()

        let uncommitted = Set(sales[600...].map(\.id))
        let audit = try driver.records(Topics.audit).map(\.value.id)
        #expect(Set(audit) == Set(sales.map(\.id)), "every sale reached the audit topic")
        #expect(Self.duplicates(audit).isSubset(of: uncommitted))
        // Audit goes first through each run of the batch (`RunOptions.branchRunLength`
        // records), so it had processed the run stats died in, and no more.
        let run = RunOptions().branchRunLength
        #expect(audit.count - sales.count <= (point < 600 ? min(600, (point / run + 1) * run) : 0))

        let repartitioned = try driver.records(Topics.byRegion).map(\.value)
        #expect(Set(repartitioned.map(\.id)) == Set(sales.map(\.id)), "every sale was repartitioned")
        #expect(Self.duplicates(repartitioned.map(\.id)).isSubset(of: uncommitted))
        #expect(repartitioned.count - sales.count == (point < 600 ? point : 0), "the sales of the cut source batch were repartitioned twice")

        let expected = Reference.windowTotals(sales)
        #expect(try driver.table(Topics.totals) == expected)
        #expect(try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self).byWindowStart == expected)
        #expect(driver.summary().branches.first { $0.group == "stats" }?.late == 0)
        #expect(try driver.committedOffsets(group: "stats") == driver.endOffsets("sales").merging(driver.endOffsets(Topics.byRegion.name)) { $1 })
        #expect(try driver.committedOffsets(group: "audit") == driver.endOffsets("sales"))
    }

    /// The same with batches of about 100 records: the input is stored in batches of ~17 (50
    /// records over 3 partitions, each chunk made durable by a read) and a poll stops adding
    /// stored batches at 100, so the crash lands among several committed batches of both
    /// stages. (Where the repartition topic's batches end depends on the runtime producer's
    /// linger timer, so counts of duplicates are not checked, only the guarantees.)
    @Test(arguments: [150, 450, 900])
    func smallBatchesKeepTheSameGuarantees(point: Int) throws {
        let driver = try driver(maxPollRecords: 100)
        let sales = Reference.sales(1_200, seed: 25)
        for chunk in stride(from: 0, to: 1_200, by: 50) {
            try driver.pipe(sales[chunk..<chunk + 50])
            _ = try driver.endOffsets("sales")
            if chunk == 550 { try driver.process() }
        }
        try driver.crashAndRestart(branch: "stats", afterRecords: point)
        try driver.process()
        let uncommitted = Set(sales[600...].map(\.id))
        let repartitioned = try driver.records(Topics.byRegion).map(\.value)
        #expect(Set(repartitioned.map(\.id)) == Set(sales.map(\.id)))
        #expect(Self.duplicates(repartitioned.map(\.id)).isSubset(of: uncommitted))
        #expect(Self.duplicates(try driver.records(Topics.audit).map(\.value.id)).isSubset(of: uncommitted))
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales))
    }

    static func duplicates(_ ids: [Int]) -> Set<Int> {
        var seen: Set<Int> = []
        return Set(ids.filter { !seen.insert($0).inserted })
    }

    @Test func aCrashBeforeTheFirstRecordLosesAndDuplicatesNothing() throws {
        let driver = try driver()
        let sales = Reference.sales(1_200, seed: 22)
        try driver.pipe(sales)
        try driver.crashAndRestart(branch: "stats", afterRecords: 0)
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(sales))
        #expect(try driver.records(Topics.byRegion).count == sales.count)
    }

    @Test func storesRestoreFromTheirChangelogs() throws {
        let driver = try driver()
        let sales = Reference.sales(1_000, seed: 23)
        try driver.pipe(sales[..<900])
        try driver.process()
        let before = try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self)
        #expect(before.byWindowStart == Reference.windowTotals(sales[..<900]))

        // A graceful restart: the new tasks hold exactly what the old ones had.
        try driver.restart()
        try driver.process()
        #expect(try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self) == before)

        // A crash of the other branch on the same stream thread stops stats too, mid-batch.
        try driver.pipe(sales[900...])
        try driver.crashAndRestart(branch: "audit", afterRecords: 30)
        try driver.process()
        #expect(Set(try driver.records(Topics.byRegion).map(\.value.id)) == Set(sales.map(\.id)))
        #expect(try driver.store("totals", branch: "stats", as: [Windowed<String>: Totals].self).byWindowStart == Reference.windowTotals(sales))
    }

    @Test func aCrashPointBeyondTheInputIsReported() throws {
        let driver = try driver()
        try driver.pipe(Reference.sales(10, seed: 24))
        #expect(throws: PipelineTestDriverError.self) { try driver.crashAndRestart(branch: "stats", afterRecords: 1_000) }
        try driver.process()
        #expect(try driver.table(Topics.totals) == Reference.windowTotals(Reference.sales(10, seed: 24)))
    }
}
