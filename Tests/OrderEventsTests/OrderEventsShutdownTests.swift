import Foundation
import OrderEventsCore
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Testing

/// SIGTERM and SIGINT to the real `order-events` process mid-run: it finishes the batch in hand,
/// makes the outputs durable, commits and exits 0, so a restart repeats nothing (unlike a
/// `kill -9`, after which the uncommitted batches are processed again).
@Suite("order-events graceful shutdown")
struct OrderEventsShutdownTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalMidRunCommitsEverythingProcessedAndExitsZero(signal: Int32) throws {
        let directory = TemporaryDirectory("order-events-shutdown")
        let (data, events) = try OrderEventsCrashTests.loaded(30_000, seed: 9, into: directory)

        // Without --until-idle it runs until told to stop. Small batches, many commits: the
        // signal goes once the payment branch has committed some of the events, not all.
        let child = try CrashWorkerProcess(
            executable: try OrderEventsBinary.located.get(),
            arguments: ["--no-progress", "--data-dir", data, "--max-poll-records", "100"],
            standardErrorPath: directory.path + "/stderr.txt")
        let deadline = ContinuousClock.now + .seconds(60)
        var committedAtSignal = 0
        while ContinuousClock.now < deadline {
            committedAtSignal = (try? Self.committed("payment", in: data)) ?? 0
            if committedAtSignal > 0 { break }
            usleep(2_000)
        }
        child.kill(signal)
        let termination = child.wait()
        #expect(termination == .exited(0), "\(termination); stderr: \(child.standardError)")
        try #require(committedAtSignal > 0 && committedAtSignal < 30_000, "mid-run when signalled: \(committedAtSignal) committed")
        #expect(try Self.committed("payment", in: data) > committedAtSignal, "the batches in hand were finished and committed")

        let final = try OrderEventsBinary.run(["--until-idle", "--no-progress", "--data-dir", data], timeout: 300)
        try #require(final.succeeded, "\(final)")
        let check = try CheckLine(in: final.stdout)
        let reference = try ReferencePipeline.check(eventsFile: events)
        for field in ["in", "kept", "payments", "shipping", "windows", "win_count"] {
            #expect(check[field] == reference[field], "\(field): \(check) vs \(reference)")
        }
        // Nothing was processed twice: every payment and shipment record is a distinct order.
        #expect(try OrderEventsCrashTests.count("payments", in: data) == Int(reference["payments"] ?? ""))
        #expect(try OrderEventsCrashTests.count("shipments", in: data) == Int(reference["shipping"] ?? ""))
        try OrderEventsCrashTests.expectOutputsEqualTheReference(eventsFile: events, data: data)
    }

    /// Offsets `group` committed on `orders`, summed over its partitions (read-only: works
    /// while the process runs).
    static func committed(_ group: String, in data: String) throws -> Int {
        let log = try LogManager(directory: data, readOnly: true)
        defer { try? log.close() }
        return try OffsetStore(log: log).committedOffsets(group: group).filter { $0.key.topic == "orders" }.values.reduce(0) { $0 + Int($1.offset) }
    }
}
