import Dispatch
import Foundation
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The at-least-once proof with real processes: a child consumer (`SluiceTestWorker
/// group-consume`) in group `g` turns each input record into one output record, makes the
/// outputs durable, then commits — and is killed with SIGKILL before processing a batch, between
/// processing and commit, during the commit, or at a random moment (startup, recovery, join).
///
/// After every crash the parent reopens the log (running recovery) and checks:
/// - **0 skipped**: every input record below the committed offset has an output;
/// - committed offsets never exceed the input's log end;
/// - the duplicates that appeared since the previous crash are at most that crash's
///   uncommitted window (outputs of records at or past the committed offset).
/// Then one last clean run must produce an output for every input record.
///
/// 100 crashes by default (about a minute on two cores); `SLUICE_FULL_TESTS=1` runs 1,000, and
/// `SLUICE_CRASH_CYCLES` / `SLUICE_CRASH_SEED` override the count and replay a seed.
@Suite("Crash matrix: consumer groups under kill -9", .serialized)
struct GroupCrashMatrixTests {
    static let modes = ["before-processing", "after-processing", "during-commit", "external"]
    static let inputPartitions = 4

    @Test func killedConsumersNeverSkipAndOnlyRepeatTheirUncommittedWindow() throws {
        let worker = try CrashTestWorker.path()
        let environment = ProcessInfo.processInfo.environment
        let cycles = Int(environment["SLUICE_CRASH_CYCLES"] ?? "") ?? (environment["SLUICE_FULL_TESTS"] == "1" ? 1_000 : 100)
        let seed = UInt64(environment["SLUICE_CRASH_SEED"] ?? "") ?? UInt64(DispatchTime.now().uptimeNanoseconds)
        var random = SplitMix64(seed: seed)
        let root = NSTemporaryDirectory() + "/sluice-group-crash-\(UUID().uuidString)"
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var keep = true
        defer { if !keep { try? FileManager.default.removeItem(atPath: root) } }
        let context = "seed \(seed) (replay: SLUICE_CRASH_SEED=\(seed) SLUICE_CRASH_CYCLES=\(cycles)); data kept in \(data)"

        var previous = Verification(skipped: 0, duplicates: 0, window: 0, outputs: 0)
        var kills: [String: Int] = [:]
        var maxWindow = 0
        var windows = 0
        var nextValue = 0
        for cycle in 0..<cycles {
            // New input, in stored batches of random size, so batch boundaries vary.
            try withLog(data) { log in
                if cycle == 0 {
                    _ = try log.createTopic("input", partitions: Self.inputPartitions)
                    _ = try log.createTopic("output", partitions: 2)
                }
                var left = Int.random(in: 20...80, using: &random)
                while left > 0 {
                    let n = min(left, Int.random(in: 1...30, using: &random))
                    let p = Int32.random(in: 0..<Int32(Self.inputPartitions), using: &random)
                    _ = try log.partition("input", p).append(
                        records: (0..<n).map { i in Record(value: Array("v\(nextValue + i)".utf8), timestamp: 1) })
                    nextValue += n
                    left -= n
                }
            }

            let mode = Self.modes[cycle % Self.modes.count]
            let arguments = [
                "group-consume", "--data-dir", data, "--group", "g", "--crash", mode,
                "--at-batch", "\(Int.random(in: 1...3, using: &random))", "--delay-us", "\(Int.random(in: 0...4000, using: &random))",
                "--max-poll-records", "\(Int.random(in: 5...40, using: &random))",
            ]
            let child = try CrashWorkerProcess(executable: worker, arguments: arguments, standardErrorPath: root + "/worker-stderr.txt")
            let start = DispatchTime.now().uptimeNanoseconds
            if mode == "external" {
                _ = child.readLines(until: start + UInt64(Int.random(in: 5...250, using: &random)) * 1_000_000)
            } else {
                // Self-kill, or (if batch K never comes: too little input) killed by us after 3 s.
                _ = child.readLines(until: start + 3_000_000_000)
            }
            child.kill(SIGKILL)
            let termination = child.wait()
            _ = child.drain()
            if let error = child.lines.first(where: { $0.hasPrefix("error") }) {
                Issue.record("cycle \(cycle) (\(mode)): the worker failed: \(error)\n\(child.standardError)\n\(context)")
                return
            }
            #expect(termination == .signaled(SIGKILL), "cycle \(cycle): \(termination)")
            let point = child.lines.last(where: { $0.hasPrefix("kill ") }).map { String($0.dropFirst(5)) } ?? "external"
            kills[point, default: 0] += 1

            let now = try verify(data)
            let context = "cycle \(cycle) (\(mode) \(arguments.suffix(6).joined(separator: " "))): \(context)"
            guard now.skipped == 0 else {
                Issue.record("\(now.skipped) input records below the committed offsets have no output; \(context)")
                return
            }
            let newDuplicates = now.duplicates - previous.duplicates
            guard newDuplicates <= previous.window else {
                Issue.record("\(newDuplicates) new duplicates, but the previous crash left only \(previous.window) uncommitted; \(context)")
                return
            }
            maxWindow = max(maxWindow, now.window)
            windows += now.window
            previous = now
        }

        // A clean run to the end: everything has an output.
        let child = try CrashWorkerProcess(
            executable: worker, arguments: ["group-consume", "--data-dir", data, "--group", "g", "--crash", "none"],
            standardErrorPath: root + "/worker-stderr.txt")
        _ = child.readLines(until: DispatchTime.now().uptimeNanoseconds + 60_000_000_000)
        let termination = child.wait()
        #expect(termination == .exited(0), "final clean run: \(termination) \(child.lines.suffix(3)) \(child.standardError)")
        let final = try verify(data, requireAll: true)
        #expect(final.skipped == 0, "\(final.skipped) input records never got an output; \(context)")
        print(
            "group crash matrix: \(cycles) crashes (\(kills.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))), "
                + "\(nextValue) inputs, 0 skipped, \(final.duplicates) duplicate outputs in total, "
                + "largest uncommitted window \(maxWindow), sum of windows \(windows); seed \(seed)")
        keep = final.skipped != 0 || termination != .exited(0)
    }

    struct Verification {
        /// Input records that should have an output (below the committed offset, or all) but do not.
        var skipped: Int
        /// Output records beyond one per input record.
        var duplicates: Int
        /// Outputs of input records at or past the committed offset: what the next run repeats.
        var window: Int
        var outputs: Int
    }

    func withLog<T>(_ data: String, _ body: (LogManager) throws -> T) throws -> T {
        var options = LogManager.Options()
        options.backgroundTasks = false
        let log = try LogManager(directory: data, options: options)
        defer { try? log.close() }
        return try body(log)
    }

    func verify(_ data: String, requireAll: Bool = false) throws -> Verification {
        try withLog(data) { log in
            let store = try OffsetStore(log: log, partitionCount: 8)
            let committed = store.committedOffsets(group: "g")
            var counts: [String: Int] = [:]
            var outputs = 0
            for p in 0..<Int32(try log.partitionCount("output")) {
                try log.partition("output", p).forEachRecord(from: 0) { record in
                    counts[String(decoding: UnsafeRawBufferPointer(record.value ?? UnsafeRawBufferPointer(start: nil, count: 0)), as: UTF8.self), default: 0] += 1
                    outputs += 1
                }
            }
            var skipped = 0
            var window = 0
            for p in 0..<Int32(Self.inputPartitions) {
                let end = try log.partition("input", p).highWatermark
                let upTo = committed[TopicPartition("input", p)]?.offset ?? 0
                #expect(upTo <= end, "committed \(upTo) is past the log end \(end) of input-\(p)")
                let required = requireAll ? end : upTo
                for offset in 0..<required where counts["\(p):\(offset)", default: 0] == 0 { skipped += 1 }
                for offset in upTo..<end { window += counts["\(p):\(offset)", default: 0] }
            }
            return Verification(skipped: skipped, duplicates: outputs - counts.count, window: window, outputs: outputs)
        }
    }
}
