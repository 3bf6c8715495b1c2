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
        let (data, events) = try Self.loaded(10_000, seed: 5, into: directory)
        // Every cycle appends more events (also to the file the reference reads), so each run
        // has work in hand when it is killed, and kills land at random points of it.
        var generator = OrderEventGenerator(seed: 5)
        var skipped: [UInt8] = []
        generator.appendLines(count: 10_000, to: &skipped)

        var random = SplitMix64(seed: 5)
        var crashes = 0  // kills before the payment branch had committed everything loaded
        for cycle in 0..<Self.cycles {
            var more: [UInt8] = []
            generator.appendLines(count: 15_000, to: &more)
            let part = directory.path + "/events-\(cycle).jsonl"
            try Data(more).write(to: URL(fileURLWithPath: part))
            let all = try FileHandle(forWritingTo: URL(fileURLWithPath: events))
            try all.seekToEnd()
            try all.write(contentsOf: Data(more))
            try all.close()
            let load = try OrderEventsBinary.run(["--input", part, "--load-only", "--no-progress", "--data-dir", data])
            try #require(load.succeeded, "\(load)")
            let child = try CrashWorkerProcess(
                executable: try OrderEventsBinary.located.get(),
                arguments: ["--until-idle", "--no-progress", "--data-dir", data, "--max-poll-records", "\(Self.maxPollRecords)"],
                standardErrorPath: directory.path + "/stderr-\(cycle).txt")
            // Mid-run: once the payment branch has committed part of the new events, after a
            // random number of further polls of its progress.
            let loaded = 10_000 + (cycle + 1) * 15_000
            let before = try OrderEventsShutdownTests.committed("payment", in: data)
            var polls = Int(random.next() % 20)
            let deadline = ContinuousClock.now + .seconds(60)
            while child.termination == nil, ContinuousClock.now < deadline {
                let committed = (try? OrderEventsShutdownTests.committed("payment", in: data)) ?? before
                if committed >= loaded { break }  // too late: it caught up
                if committed > before {
                    if polls == 0 { break }
                    polls -= 1
                }
                child.readLines(until: DispatchTime.now().uptimeNanoseconds + 1_000_000)
            }
            if child.termination == nil {
                let midRun = (try? OrderEventsShutdownTests.committed("payment", in: data)).map { $0 < loaded } ?? false
                child.kill(SIGKILL)
                if child.wait() == .signaled(SIGKILL), midRun { crashes += 1 }
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
        let shipmentDuplicates = try Self.count("shipments", in: data) - (Int(reference["shipping"] ?? "") ?? 0)
        #expect(shipmentDuplicates >= 0 && shipmentDuplicates <= crashes * inFlight, "\(shipmentDuplicates) duplicate shipments")

        try Self.expectOutputsEqualTheReference(eventsFile: events, data: data)
    }

    /// Record by record, not only in total: every payment and shipment (each copy of a
    /// duplicate too) is the one the pipeline's logic makes of its order, every expected one is
    /// there, and the latest value of each `region@window` equals the reference window.
    static func expectOutputsEqualTheReference(eventsFile: String, data: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var payments: [String: OrderLogic.Payment] = [:]
        var shipments: [String: OrderLogic.Shipment] = [:]
        var windows: [String: OrderLogic.RegionStats] = [:]
        for line in try String(contentsOfFile: eventsFile, encoding: .utf8).split(separator: "\n") {
            let event = try decoder.decode(OrderEvent.self, from: Data(line.utf8))
            guard event.status != .cancelled else { continue }
            let order = try OrderLogic.EnrichedOrder(event)
            payments[order.orderId] = OrderLogic.Payment(order)
            if OrderLogic.needsShipping(order) { shipments[order.orderId] = OrderLogic.Shipment(order) }
            let start = order.ts / OrderLogic.windowMs * OrderLogic.windowMs
            windows["\(order.region)@\(start)", default: OrderLogic.RegionStats()].add(order)
        }

        let log = try LogManager(directory: data, readOnly: true)
        defer { try? log.close() }
        func forEach(_ topic: String, _ body: (String, Data) throws -> Void) throws {
            for p in 0..<Int32(try log.partitionCount(topic)) {
                try log.partition(topic, p).forEachRecord(from: 0) { record in
                    guard let key = record.key, let value = record.value else { return }
                    try body(String(decoding: key, as: UTF8.self), Data(value))
                }
            }
        }
        /// Every record of `topic` is its order's expected value, and every expected one is there.
        func expectEach<Value: Decodable & Equatable>(_ topic: String, is expected: [String: Value]) throws {
            var seen: Set<String> = []
            try forEach(topic) { key, value in
                let decoded = try decoder.decode(Value.self, from: value)
                #expect(decoded == expected[key], "\(topic) record of \(key)")
                seen.insert(key)
            }
            #expect(seen == Set(expected.keys), "every expected order in \(topic)")
        }
        try expectEach("payments", is: payments)
        try expectEach("shipments", is: shipments)
        var latest: [String: OrderLogic.RegionStats] = [:]
        try forEach("region-stats") { key, value in latest[key] = try decoder.decode(OrderLogic.RegionStats.self, from: value) }
        #expect(Set(latest.keys) == Set(windows.keys))
        for (key, expected) in windows {
            guard let stats = latest[key] else { continue }
            #expect(stats.count == expected.count, "\(key)")
            #expect(abs(stats.sumUsd - expected.sumUsd) <= 1e-6 * max(1, expected.sumUsd), "\(key): \(stats.sumUsd) vs \(expected.sumUsd)")
        }
    }

    /// `count` events of the generator (`seed`) written to a file in `directory` and loaded
    /// into a data directory there. - Returns: the data directory and the events file.
    static func loaded(_ count: Int, seed: Int, into directory: TemporaryDirectory) throws -> (data: String, events: String) {
        let data = directory.path + "/data"
        let events = directory.path + "/events.jsonl"
        var generator = OrderEventGenerator(seed: seed)
        try generator.write(count: count, toFileAt: events)
        let load = try OrderEventsBinary.run(["--input", events, "--load-only", "--no-progress", "--data-dir", data])
        try #require(load.succeeded, "\(load)")
        return (data, events)
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
