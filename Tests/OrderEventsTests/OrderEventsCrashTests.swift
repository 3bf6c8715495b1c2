import Foundation
import OrderEventsCore
import SluiceLog
import SluiceTestSupport
import Testing

/// `kill -9` of the real `order-events` process mid-run, several times, then a run to the end:
/// every expected output is there, the window totals equal `pipeline_plain.py`'s exactly, and
/// the duplicates the crashes caused stay within what was in flight (uncommitted) at each crash.
///
/// CI runs 4 crashes; `SLUICE_CRASH_CYCLES=N` (or `SLUICE_FULL_TESTS=1`, 25) runs more.
@Suite("order-events crash and restart")
struct OrderEventsCrashTests {
    static var cycles: Int {
        let environment = ProcessInfo.processInfo.environment
        if let cycles = environment["SLUICE_CRASH_CYCLES"].flatMap(Int.init) { return max(1, cycles) }
        return environment["SLUICE_FULL_TESTS"] == "1" ? 25 : 4
    }

    /// Small batches: many commits to crash between, and a tight bound on the duplicates.
    static let maxPollRecords = 1_000

    @Test func killedMidRunItLosesNothingAndCountsWindowsExactly() throws {
        let directory = TemporaryDirectory("order-events-crash")
        let data = directory.path + "/data"
        let events = directory.path + "/events.jsonl"
        var generator = OrderEventGenerator(seed: 5)
        try generator.write(count: 30_000, toFileAt: events)
        let load = try OrderEventsBinary.run(["--input", events, "--load-only", "--no-progress", "--data-dir", data])
        try #require(load.succeeded, "\(load)")

        var random = SplitMix64(seed: 5)
        var crashes = 0
        for cycle in 0..<Self.cycles {
            let child = try CrashWorkerProcess(
                executable: try OrderEventsBinary.located.get(),
                arguments: ["--until-idle", "--no-progress", "--data-dir", data, "--max-poll-records", "\(Self.maxPollRecords)"],
                standardErrorPath: directory.path + "/stderr-\(cycle).txt")
            // Somewhere in the run: the debug build needs a few seconds for all of it.
            let delay = 150 + random.next() % 1_200
            child.readLines(until: DispatchTime.now().uptimeNanoseconds + delay * 1_000_000)
            if child.termination == nil {
                child.kill(SIGKILL)
                if child.wait() == .signaled(SIGKILL) { crashes += 1 }
            }
        }
        let final = try OrderEventsBinary.run(["--until-idle", "--no-progress", "--data-dir", data], timeout: 300)
        try #require(final.succeeded, "\(final)")
        #expect(crashes >= 1, "at least one run was killed mid-way")

        let check = try CheckLine(in: final.stdout)
        let reference = try ReferencePipeline.check(eventsFile: events)
        for field in ["in", "kept", "payments", "shipping", "windows", "win_count"] {
            #expect(check[field] == reference[field], "\(field) after \(crashes) crashes: \(check) vs \(reference)")
        }
        OrderEventsRunTests.expectWindowsMatch(check, reference)

        // Duplicates: each crash can repeat at most what was uncommitted: per stream thread and
        // branch, the poll being processed, the one before it, whose outputs were still being
        // synced (a thread commits a batch one step later, once its outputs are durable), and
        // the one before that, whose commit was still landing (commits land in the background).
        let payments = try Self.count("payments", in: data)
        let duplicates = payments - (Int(reference["payments"] ?? "") ?? 0)
        print("order-events crash test: \(Self.cycles) runs, \(crashes) killed mid-run, \(duplicates) duplicate payments, \(check)")
        #expect(duplicates >= 0)
        let inFlight = ProcessInfo.processInfo.activeProcessorCount * 3 * Self.maxPollRecords
        #expect(duplicates <= crashes * inFlight, "\(duplicates) duplicate payments after \(crashes) crashes")
    }

    static func count(_ topic: String, in data: String) throws -> Int {
        let log = try LogManager(directory: data, readOnly: true)
        defer { try? log.close() }
        var total = 0
        for p in 0..<Int32(try log.partitionCount(topic)) {
            let partition = try log.partition(topic, p)
            total += Int(partition.highWatermark - partition.logStartOffset)
        }
        return total
    }
}
