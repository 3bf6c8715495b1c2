import SluiceTestSupport
import Foundation
import Testing

@testable import SluiceLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reliability plan D1 (research/reliability.md §3.7, §7.1): a real child process appends in
/// `strict` durability from four writer threads and a batching `LogProducer` to a topic of
/// eight partitions whose segments roll every 32 KiB, reporting each acknowledged append on its
/// stdout; the parent kills it with SIGKILL 20–500 ms after starting it, reopens the data
/// directory read-write (recovery) and checks invariants I1–I5:
///
/// - I1 every acknowledged record is at its acknowledged offset with its content (hash);
/// - I2 what the log holds is what the child wrote: every record is the exact record its
///   identity names, and each (run, source, partition) sequence is a gap-free prefix 0, 1, 2, …
///   (for the producer too: it must keep each partition's send order);
/// - I3 no record appears twice, no two acknowledgements share an offset;
/// - I4 offsets are dense and increasing (batch after batch, record after record), offsets the
///   previous recovery exposed keep their bytes (batch CRC and offsets) in every later run, and
///   the next run appends exactly at the recovered end (its first offset is the previous end);
/// - I5 every batch served passes `RecordBatchDecoder`'s CRC-32C and shape checks, and the
///   partition's bytes on disk are exactly the batches served (a torn tail was cut).
///
/// 50 cycles by default (well under a minute on two cores); `SLUICE_FULL_TESTS=1` runs 1,000.
/// `SLUICE_CRASH_CYCLES=N` and `SLUICE_CRASH_SEED=S` override the count and replay a seed. A data
/// directory serves 50 cycles, then a fresh one starts (so re-reading it stays cheap and topic
/// creation is crashed into too). After a failure the directory is kept and its path printed.
@Suite("Crash loop: kill -9 during strict appends", .serialized)
struct LogCrashLoopTests {
    @Test("D1: acknowledged strict appends survive kill -9 (child process)")
    func acknowledgedAppendsSurviveKillNine() throws {
        let worker = try CrashTestWorker.path()
        var loop = LogCrashLoop(worker: worker, settings: .fromEnvironment())
        try loop.run()
    }
}

struct LogCrashLoopSettings {
    var cycles: Int
    var cyclesPerDirectory = 50
    var seed: UInt64
    var killAfterMs: ClosedRange<Int> = 20...500
    var topic = "crash"
    var partitions = 8
    var writers = 4
    var producers = 1
    var configs = ["durability": "strict", "segment.bytes": "32768", "index.interval.bytes": "1024"]
    /// Whether a producer's records must be in send order in each partition too (as a writer
    /// thread's always must). Off, only repeats of a producer's records fail and reordered ones
    /// are counted in the summary: a switch for investigating a producer that reorders (this
    /// loop found one; `LogProducerOrderTests` reproduces it).
    var checkProducerOrder = true

    static func fromEnvironment() -> LogCrashLoopSettings {
        let environment = ProcessInfo.processInfo.environment
        let full = environment["SLUICE_FULL_TESTS"] == "1"
        let cycles = environment["SLUICE_CRASH_CYCLES"].flatMap { Int($0) } ?? (full ? 1000 : 50)
        let seed = environment["SLUICE_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64(UInt32.max))
        return LogCrashLoopSettings(cycles: cycles, seed: seed)
    }
}

/// One acknowledged append, as the child reported it.
struct CrashAck {
    var partition: Int
    var baseOffset: Int64
    var lastOffset: Int64
    var source: String
    var firstSeq: Int
    var count: Int
    var hash: UInt64
}

/// What one child run printed.
struct CrashChildReport {
    var ends: [Int: (start: Int64, end: Int64, highWatermark: Int64)] = [:]
    var ready = false
    var acks: [CrashAck] = []
    var errors: [String] = []
    var malformed: [String] = []

    init(lines: [String], topic: String) {
        for line in lines {
            let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            switch words.first {
            case "ack":
                guard words.count == 9, words[1] == topic, let partition = Int(words[2]), let base = Int64(words[3]),
                    let last = Int64(words[4]), let firstSeq = Int(words[6]), let count = Int(words[7]),
                    let hash = UInt64(words[8], radix: 16)
                else {
                    malformed.append(line)
                    continue
                }
                acks.append(
                    CrashAck(
                        partition: partition, baseOffset: base, lastOffset: last, source: words[5], firstSeq: firstSeq, count: count,
                        hash: hash))
            case "end":
                guard words.count == 6, words[1] == topic, let partition = Int(words[2]), let start = Int64(words[3]),
                    let end = Int64(words[4]), let highWatermark = Int64(words[5])
                else {
                    malformed.append(line)
                    continue
                }
                ends[partition] = (start, end, highWatermark)
            case "ready": ready = true
            case "error": errors.append(line)
            default: malformed.append(line)
            }
        }
    }
}

/// The records of one (run, source) seen so far in one partition.
struct SourceSequence {
    /// One past the highest seq seen.
    var next = 0
    /// Every seq seen (kept for sources whose order is not checked).
    var seen = Set<Int>()
}

/// What the previous verified recovery left in one partition.
struct VerifiedPartition {
    struct Batch: Equatable {
        var baseOffset: Int64
        var lastOffset: Int64
        var crc: UInt32
        var size: Int
    }

    /// The recovered end: where the next run must append.
    var end: Int64 = 0
    var batches: [Batch] = []
    /// FNV-1a of each record's value, by offset.
    var valueHashes: [UInt64] = []
}

struct LogCrashLoop {
    let worker: String
    let settings: LogCrashLoopSettings
    private var random: SplitMix64

    // Totals for the summary line.
    private var cyclesRun = 0
    private var acksVerified = 0
    private var ackedRecordsVerified = 0
    private var recordsRead = 0
    private var batchesRead = 0
    private var killsBeforeReady = 0
    private var cyclesWithoutAcks = 0
    private var tornTailsCut = 0
    private var uncleanHandovers = 0
    private var recoveryMs: [Double] = []
    private var producerRecordsOutOfOrder = 0
    private var verificationSeconds = 0.0
    private var childSeconds = 0.0

    init(worker: String, settings: LogCrashLoopSettings) {
        self.worker = worker
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
    }

    mutating func run() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sluice-crash-loop-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var dataDirectory = ""
        var history: [VerifiedPartition] = []
        var topicExists = false
        var failed = false
        defer {
            if !failed { try? FileManager.default.removeItem(atPath: root) }
        }

        for cycle in 0..<settings.cycles {
            if cycle % settings.cyclesPerDirectory == 0 {
                if !dataDirectory.isEmpty { try? FileManager.default.removeItem(atPath: dataDirectory) }
                dataDirectory = root + "/data-\(cycle / settings.cyclesPerDirectory)"
                history = Array(repeating: VerifiedPartition(), count: settings.partitions)
                topicExists = false
            }
            let failures = try runCycle(cycle, dataDirectory: dataDirectory, root: root, history: &history, topicExists: &topicExists)
            cyclesRun += 1
            if !failures.isEmpty {
                failed = true
                let context =
                    "cycle \(cycle) of \(settings.cycles) (replay with SLUICE_CRASH_SEED=\(settings.seed)); data directory kept at \(dataDirectory)"
                for failure in failures.prefix(25) { Issue.record("\(failure)\n[\(context)]") }
                if failures.count > 25 { Issue.record("… and \(failures.count - 25) more failures [\(context)]") }
                break
            }
        }

        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let maxRecovery = recoveryMs.max() ?? 0
        let meanRecovery = recoveryMs.isEmpty ? 0 : recoveryMs.reduce(0, +) / Double(recoveryMs.count)
        print(
            "[D1 kill -9 crash loop] cycles: \(cyclesRun), acks verified: \(acksVerified) (\(ackedRecordsVerified) records), "
                + "records read back: \(recordsRead) in \(batchesRead) CRC-checked batches, "
                + "max recovery: \(String(format: "%.1f", maxRecovery)) ms (mean \(String(format: "%.1f", meanRecovery)) ms), "
                + "torn tails cut: \(tornTailsCut), kills before ready: \(killsBeforeReady), runs without acks: \(cyclesWithoutAcks), "
                + "unclean hand-overs to the child: \(uncleanHandovers), "
                + (settings.checkProducerOrder ? "" : "producer records out of send order: \(producerRecordsOutOfOrder), ")
                + "seed: \(settings.seed), \(String(format: "%.1f", seconds)) s (children \(String(format: "%.1f", childSeconds)) s, verification \(String(format: "%.1f", verificationSeconds)) s)")
        if !failed {
            // Kills come 20–500 ms after the spawn, so some land before the first acknowledgement
            // (in the child's start-up or recovery, which is worth crashing too); but a loop in
            // which nearly every child died before appending would have tested little.
            #expect(acksVerified > 0, "no child run acknowledged anything: the loop tested nothing")
            #expect(
                cyclesRun - cyclesWithoutAcks >= max(1, cyclesRun / 10),
                "only \(cyclesRun - cyclesWithoutAcks) of \(cyclesRun) child runs acknowledged an append before being killed")
        }
    }

    /// One child run, kill, recovery and verification. - Returns: failures (empty when all is well).
    private mutating func runCycle(
        _ cycle: Int, dataDirectory: String, root: String, history: inout [VerifiedPartition], topicExists: inout Bool
    ) throws -> [String] {
        let generation = cycle + 1
        let killAfterMs = Int.random(in: settings.killAfterMs, using: &random)
        var arguments = [
            "log-append", "--data-dir", dataDirectory, "--generation", "\(generation)", "--topic", settings.topic,
            "--partitions", "\(settings.partitions)", "--writers", "\(settings.writers)", "--producers", "\(settings.producers)",
            "--seed", "\(random.next())", "--max-runtime-ms", "60000",
        ]
        for (key, value) in settings.configs.sorted(by: { $0.key < $1.key }) { arguments += ["--config", "\(key)=\(value)"] }

        // Run the child and kill it.
        let child = try CrashWorkerProcess(executable: worker, arguments: arguments, standardErrorPath: root + "/worker-stderr.txt")
        let start = DispatchTime.now().uptimeNanoseconds
        let stillRunning = child.readLines(until: start + UInt64(killAfterMs) * 1_000_000)
        child.kill(SIGKILL)
        let termination = child.wait()
        childSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let unterminated = child.drain()
        let report = CrashChildReport(lines: child.lines, topic: settings.topic)
        var failures: [String] = []
        let childContext = "child (generation \(generation), killed after \(killAfterMs) ms) \(termination)"
        if !stillRunning || termination != .signaled(SIGKILL) {
            failures.append(
                "\(childContext) before it was killed; errors: \(report.errors); stderr:\n\(child.standardError)")
        }
        if !report.errors.isEmpty { failures.append("\(childContext) reported errors: \(report.errors)") }
        if !report.malformed.isEmpty { failures.append("\(childContext) printed unexpected lines: \(report.malformed.prefix(5))") }
        if let unterminated { failures.append("\(childContext) left a line without its newline: \(unterminated.prefix(200))") }
        if !report.ready { killsBeforeReady += 1 }
        if report.acks.isEmpty { cyclesWithoutAcks += 1 }
        guard failures.isEmpty else { return failures }

        // The child's view after its own open (recovery): the previous recovered end, exactly.
        if report.ready && report.ends.count != settings.partitions {
            failures.append("\(childContext) reported \(report.ends.count) partitions before `ready`, expected \(settings.partitions)")
        }
        for (partition, opened) in report.ends.sorted(by: { $0.key < $1.key }) {
            guard partition >= 0, partition < settings.partitions else {
                failures.append("\(childContext) reported partition \(partition)")
                continue
            }
            let expected = history[partition].end
            if opened.start != 0 || opened.end != expected || opened.highWatermark != expected {
                failures.append(
                    "partition \(partition): the child opened it at start \(opened.start), end \(opened.end), high watermark \(opened.highWatermark); the previous recovery ended it at \(expected)"
                )
            }
        }

        // Recovery, timed.
        let opening = DispatchTime.now().uptimeNanoseconds
        let log: LogManager
        do {
            log = try LogManager(directory: dataDirectory)
        } catch {
            return failures + ["reopening \(dataDirectory) after the kill failed: \(error)"]
        }
        recoveryMs.append(Double(DispatchTime.now().uptimeNanoseconds - opening) / 1e6)
        tornTailsCut += log.recoveryReport.filter { $0.hasPrefix("truncated") }.count

        if log.topicNames(includeInternal: true).contains(settings.topic) {
            topicExists = true
            let verifying = DispatchTime.now().uptimeNanoseconds
            defer { verificationSeconds += Double(DispatchTime.now().uptimeNanoseconds - verifying) / 1e9 }
            let lastOnDirectory = cycle % settings.cyclesPerDirectory == settings.cyclesPerDirectory - 1 || cycle == settings.cycles - 1
            let verified = verify(
                log: log, generation: generation, history: history, acks: report.acks, decodeEverything: lastOnDirectory,
                failures: &failures)
            if failures.isEmpty {
                history = verified
                acksVerified += report.acks.count
                ackedRecordsVerified += report.acks.reduce(0) { $0 + $1.count }
            } else {
                failures.append("recovery report: \(log.recoveryReport)")
            }
        } else if topicExists || report.ready || !report.acks.isEmpty {
            failures.append(
                "topic \(settings.topic) is gone after recovery, though \(topicExists ? "an earlier recovery found it" : "the child created it"); recovery report: \(log.recoveryReport)"
            )
        }

        // Hand the directory to the next child cleanly (it then skips validation) or not (it then
        // runs recovery itself, and may be killed in the middle of it).
        if Bool.random(using: &random) {
            do { try log.close() } catch { failures.append("closing the log after verification failed: \(error)") }
        } else {
            log.abandonForTesting()
            uncleanHandovers += 1
        }
        return failures
    }

    /// Reads every partition from offset 0 through `Partition.read`, checks it against the
    /// previous cycle's state and this cycle's acknowledgements. - Returns: the new state.
    private mutating func verify(
        log: LogManager, generation: Int, history: [VerifiedPartition], acks: [CrashAck], decodeEverything: Bool,
        failures: inout [String]
    ) -> [VerifiedPartition] {
        var result = history
        let count = (try? log.partitionCount(settings.topic)) ?? -1
        guard count == settings.partitions else {
            failures.append("topic \(settings.topic) has \(count) partitions after recovery, expected \(settings.partitions)")
            return result
        }
        // Records below the previous recovered end were checked when they were new; each cycle
        // re-reads and CRC-checks their batches and compares offsets, size and CRC with what was
        // verified. The last cycle on a directory (`decodeEverything`) also decodes them again.
        let decodeOld = decodeEverything
        let decoder: RecordBatchDecoder
        do { decoder = try RecordBatchDecoder() } catch {
            failures.append("cannot make a decoder: \(error)")
            return result
        }
        var acksByPartition = [[CrashAck]](repeating: [], count: settings.partitions)
        for ack in acks {
            guard ack.partition >= 0, ack.partition < settings.partitions else {
                failures.append("an ack names partition \(ack.partition)")
                continue
            }
            acksByPartition[ack.partition].append(ack)
        }

        for id in 0..<settings.partitions {
            let previous = history[id]
            var state = VerifiedPartition()
            // Identity of each record at or after the previous end: (source, seq).
            var fresh: [(source: String, seq: Int)] = []
            let partition: Partition
            do {
                partition = try log.partition(settings.topic, Int32(id))
            } catch {
                failures.append("partition \(id) is not readable after recovery: \(error)")
                continue
            }
            let place = "partition \(id)"
            let end = partition.logEndOffset
            let highWatermark = partition.highWatermark
            if partition.logStartOffset != 0 { failures.append("\(place): log start offset \(partition.logStartOffset), expected 0") }
            if highWatermark != end {
                failures.append("\(place): high watermark \(highWatermark) differs from the log end \(end) right after recovery")
            }
            if end < previous.end {
                failures.append(
                    "\(place): the log ends at \(end) but the previous recovery ended it at \(previous.end): offsets \(end)..<\(previous.end) were lost"
                )
            }

            var sequences: [String: SourceSequence] = [:]
            var outOfOrder = 0
            defer { producerRecordsOutOfOrder += outOfOrder }
            var cursor: Int64 = 0
            var bytesServed: Int64 = 0
            var problems: [String] = []
            readLoop: while cursor < highWatermark && problems.isEmpty {
                let fetch: FetchResult
                do {
                    fetch = try partition.read(from: cursor, maxBytes: 1 << 20)
                } catch {
                    problems.append("\(place): read at offset \(cursor) failed: \(error)")
                    break
                }
                if fetch.records.isEmpty {
                    problems.append("\(place): read at offset \(cursor) returned nothing below the high watermark \(highWatermark)")
                    break
                }
                let covered: Int
                do {
                    covered = try fetch.records.withUnsafeBytes { raw in
                        try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                            guard problems.isEmpty else { return }
                            batchesRead += 1
                            let index = state.batches.count
                            let stored = VerifiedPartition.Batch(
                                baseOffset: header.baseOffset, lastOffset: header.lastOffset, crc: header.crc, size: header.totalSize)
                            if header.baseOffset != cursor {
                                problems.append(
                                    "\(place): batch \(index) has base offset \(header.baseOffset), expected \(cursor) (offsets must be dense)")
                                return
                            }
                            if header.recordsCount != header.lastOffsetDelta + 1 || header.compression != .zstd {
                                problems.append(
                                    "\(place): batch at \(cursor) has \(header.recordsCount) records, last offset delta \(header.lastOffsetDelta), codec \(String(describing: header.compression)) (expected count − 1 and zstd)"
                                )
                                return
                            }
                            let old = index < previous.batches.count
                            if old && previous.batches[index] != stored {
                                problems.append(
                                    "\(place): batch \(index) was \(previous.batches[index]) when last verified and is now \(stored): acknowledged bytes changed"
                                )
                                return
                            }
                            if old && !decodeOld {
                                state.valueHashes += previous.valueHashes[Int(header.baseOffset)...Int(header.lastOffset)]
                                recordsRead += Int(header.recordsCount)
                            } else {
                                var expected = header.baseOffset
                                try decoder.forEachRecord(in: batch, header: header) { view in
                                    guard problems.isEmpty else { return }
                                    recordsRead += 1
                                    if view.offset != expected {
                                        problems.append("\(place): record offset \(view.offset), expected \(expected)")
                                        return
                                    }
                                    expected += 1
                                    let valueHash = view.value.map { CrashRecords.fnv1a($0) } ?? 0
                                    if old || view.offset < previous.end {
                                        let before = Int(view.offset) < previous.valueHashes.count ? previous.valueHashes[Int(view.offset)] : nil
                                        if before != valueHash {
                                            problems.append("\(place): the record at offset \(view.offset) changed since it was last verified")
                                        }
                                    } else if let identity = checkFresh(
                                        view, partition: id, generation: generation, sequences: &sequences,
                                        outOfOrder: &outOfOrder, problems: &problems)
                                    {
                                        fresh.append(identity)
                                    }
                                    state.valueHashes.append(valueHash)
                                }
                                if problems.isEmpty && expected != header.nextOffset {
                                    problems.append("\(place): batch at \(header.baseOffset) ended at offset \(expected), header says \(header.nextOffset)")
                                }
                            }
                            state.batches.append(stored)
                            cursor = header.nextOffset
                        }
                    }
                } catch {
                    problems.append("\(place): a batch served at or after offset \(cursor) fails validation: \(error)")
                    break readLoop
                }
                if covered != fetch.records.count {
                    problems.append("\(place): read at \(cursor) served \(fetch.records.count - covered) bytes that are not a whole batch")
                }
                bytesServed += Int64(covered)
            }
            if !problems.isEmpty {
                failures += problems
                continue
            }
            if cursor != highWatermark { failures.append("\(place): reading ended at offset \(cursor), high watermark \(highWatermark)") }
            let statistics = partition.statistics
            if statistics.sizeInBytes != bytesServed {
                failures.append(
                    "\(place): the segments hold \(statistics.sizeInBytes) bytes but only \(bytesServed) bytes of valid batches were served")
            }
            let onDisk = logFileBytes(partition.directory)
            if onDisk != bytesServed {
                failures.append("\(place): the .log files hold \(onDisk) bytes on disk, the batches served \(bytesServed)")
            }
            state.end = end

            // Acknowledged appends of this run: present, at their offsets, with their content.
            var lastAcked: Int64 = -1
            for ack in acksByPartition[id].sorted(by: { $0.baseOffset < $1.baseOffset }) {
                let what = "\(place): ack of \(ack.source) s\(ack.firstSeq)..<\(ack.firstSeq + ack.count) at offsets \(ack.baseOffset)...\(ack.lastOffset)"
                guard ack.count >= 1, ack.lastOffset - ack.baseOffset + 1 == Int64(ack.count) else {
                    failures.append("\(what): \(ack.count) records do not fit those offsets")
                    continue
                }
                if ack.baseOffset <= lastAcked {
                    failures.append("\(what) overlaps another acknowledged append ending at \(lastAcked)")
                }
                lastAcked = max(lastAcked, ack.lastOffset)
                guard ack.baseOffset >= previous.end else {
                    failures.append("\(what) is below the previous recovered end \(previous.end): offsets were handed out twice")
                    continue
                }
                guard ack.lastOffset < end else {
                    failures.append("\(what): ACKNOWLEDGED RECORDS LOST, the recovered log ends at \(end)")
                    continue
                }
                for i in 0..<ack.count {
                    let identity = fresh[Int(ack.baseOffset - previous.end) + i]
                    if identity.source != ack.source || identity.seq != ack.firstSeq + i {
                        failures.append(
                            "\(what): offset \(ack.baseOffset + Int64(i)) holds \(identity.source) s\(identity.seq), not \(ack.source) s\(ack.firstSeq + i)")
                        break
                    }
                }
                let hash = CrashRecords.contentHash(valueHashes: state.valueHashes[Int(ack.baseOffset)...Int(ack.lastOffset)])
                if hash != ack.hash {
                    failures.append("\(what): stored content hash \(String(hash, radix: 16)), acknowledged \(String(ack.hash, radix: 16))")
                }
            }
            result[id] = state
        }
        return result
    }

    /// Checks a record written by this run's child: its value, key and headers are exactly those
    /// of the identity in its value, and its seq continues its source's sequence in this partition.
    private func checkFresh(
        _ view: RecordView, partition: Int, generation: Int, sequences: inout [String: SourceSequence], outOfOrder: inout Int,
        problems: inout [String]
    ) -> (source: String, seq: Int)? {
        let at = "partition \(partition) offset \(view.offset)"
        guard let value = view.value else {
            problems.append("\(at): record with a null value")
            return nil
        }
        guard let (recordGeneration, source, recordPartition, seq) = CrashRecords.identity(of: value) else {
            problems.append("\(at): a record no child wrote: \(String(decoding: value.prefix(120), as: UTF8.self))")
            return nil
        }
        let name = "g\(recordGeneration) \(source) s\(seq)"
        if recordGeneration != generation {
            problems.append("\(at): record \(name) is from generation \(recordGeneration), but offsets from the previous recovered end on belong to this run, \(generation)")
            return nil
        }
        if recordPartition != Int32(partition) {
            problems.append("\(at): record \(name) was written to partition \(recordPartition)")
            return nil
        }
        let expectedValue = CrashRecords.value(generation: generation, source: source, partition: recordPartition, seq: seq)
        if !value.elementsEqual(expectedValue) {
            problems.append("\(at): value of \(name) differs from what the child sent")
            return nil
        }
        if !(view.key?.elementsEqual(CrashRecords.key(source: source, partition: recordPartition)) ?? false) {
            problems.append("\(at): key of \(name) differs from what the child sent")
            return nil
        }
        if view.headers() != CrashRecords.headers(seq: seq) {
            problems.append("\(at): headers of \(name) differ from what the child sent: \(view.headers())")
            return nil
        }
        var sequence = sequences[source, default: SourceSequence()]
        defer { sequences[source] = sequence }
        if source.hasPrefix("w") || settings.checkProducerOrder {
            // A writer thread appends synchronously, and the producer writes each partition's
            // batches in send order, so a source's records are in order and a gap-free prefix
            // survives a kill: 0, 1, 2, … with no repeats.
            if seq != sequence.next {
                let kind = seq < sequence.next ? "a duplicate or reordered record" : "a gap (records \(source) s\(sequence.next)..<\(seq) are missing)"
                problems.append("\(at): \(name) follows \(source) s\(sequence.next - 1) in this partition: \(kind)")
                return nil
            }
        } else {
            // Producer order not checked (`checkProducerOrder`): only repeats are errors here.
            if sequence.seen.contains(seq) {
                problems.append("\(at): \(name) appears twice in this partition")
                return nil
            }
            sequence.seen.insert(seq)
            if seq < sequence.next { outOfOrder += 1 }
        }
        sequence.next = max(sequence.next, seq + 1)
        return (source, seq)
    }

    /// Total size of the `.log` files in a partition directory.
    private func logFileBytes(_ directory: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".log") }.reduce(Int64(0)) { total, name in
            var info = stat()
            return total + (stat(directory + "/" + name, &info) == 0 ? Int64(info.st_size) : 0)
        }
    }
}

