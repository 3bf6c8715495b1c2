import SluiceTestSupport
import Foundation
import Synchronization
import Testing

@testable import SluiceLog

/// Sizes, seeds and shared helpers of the fault-injection suites.
enum FaultTests {
    /// `SLUICE_FULL_TESTS=1` runs every loop at its full size.
    static let full = ProcessInfo.processInfo.environment["SLUICE_FULL_TESTS"] == "1"
    /// `SLUICE_FAULT_SEED=<n>` runs only that seed (in every test that takes seeds), with a trace.
    static let replaySeed: UInt64? = ProcessInfo.processInfo.environment["SLUICE_FAULT_SEED"].flatMap { UInt64($0) }
    static let directory = "/data"

    static func size(ci: Int, full: Int) -> Int { Self.full ? full : ci }

    /// The seeds of one shard of a test: `base + i` for every `i ≡ shard (mod shards)`.
    static func seeds(base: UInt64, count: Int, shard: Int = 0, of shards: Int = 1) -> [UInt64] {
        if let replaySeed { return shard == 0 ? [replaySeed] : [] }
        return stride(from: shard, to: count, by: shards).map { base + UInt64($0) }
    }

    static let options: LogManager.Options = {
        var options = LogManager.Options()
        options.backgroundTasks = false
        return options
    }()

    static func openLog(_ storage: FaultyStorage, clock: FaultClock) throws -> LogManager {
        try LogManager(directory: directory, io: storage, clock: { clock.now }, options: options)
    }

    /// A record whose value names where it was sent, so a misplaced record is recognisable.
    static func record(_ rng: inout SplitMix64, tag: String, index: Int, timestamp: Int64) -> Record {
        var value = Array("\(tag)#\(index)|".utf8)
        switch rng.int(0...3) {
        case 0: break
        case 1: value += [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: rng.int(1...200))
        case 2: value += Array(String(rng.next(), radix: 36).utf8)
        default: value += Array(String(repeating: "{\"event\":\"order\",\"n\":\(index)}", count: rng.int(1...4)).utf8)
        }
        let key: [UInt8]? = rng.chance(0.7) ? Array("k\(rng.int(0...20))".utf8) : nil
        return Record(key: key, value: value, timestamp: timestamp)
    }

    /// One RecordBatch v2 frame holding `records`.
    static func batch(_ records: [Record], compression: CompressionCodec) throws -> [UInt8] {
        var builder = RecordBatchBuilder()
        for record in records { builder.append(record) }
        return try RecordBatchEncoder(compression: compression).encode(builder)
    }

    static func isCorruption(_ error: any Error) -> Bool {
        guard let error = error as? LogError else { return false }
        return error.kind == .corruptLog || error.kind == .corruptMessage
    }
}

/// The injected clock (milliseconds).
final class FaultClock: Sendable {
    private let value = Mutex<Int64>(1_700_000_000_000)

    var now: Int64 { value.withLock { $0 } }

    func advance(by milliseconds: Int64) {
        value.withLock { $0 += milliseconds }
    }
}

/// A broken invariant, with what was found.
struct Violation: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects the failures of a seed loop and reports them, each with its seed, as test issues.
final class FaultFailures: Sendable {
    let test: String
    /// The test function, for the replay command.
    let function: String
    private let items = Mutex<[String]>([])

    init(_ test: String, function: String = #function) {
        self.test = test
        self.function = String(function.prefix { $0 != "(" })
    }

    func record(seed: UInt64, _ message: String) {
        items.withLock { $0.append("seed \(seed): \(message)\n  replay: SLUICE_FAULT_SEED=\(seed) swift test --filter \(function)") }
    }

    func record(_ message: String) {
        items.withLock { $0.append(message) }
    }

    var count: Int { items.withLock { $0.count } }

    /// Records at most `limit` issues, then one that counts the rest.
    func report(runs: Int, limit: Int = 5, sourceLocation: SourceLocation = #_sourceLocation) {
        let all = items.withLock { $0 }
        for message in all.prefix(limit) {
            Issue.record(Comment(rawValue: "\(test): \(message)"), sourceLocation: sourceLocation)
        }
        if all.count > limit {
            Issue.record(Comment(rawValue: "\(test): \(all.count - limit) more failures (\(all.count) of \(runs) runs failed)"), sourceLocation: sourceLocation)
        }
        print("[\(test)] \(runs) runs, \(all.count) failed")
        // Failures grouped by their first line with the numbers taken out, with one seed each.
        var groups: [String: (count: Int, example: String)] = [:]
        for message in all {
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            let body = line.hasPrefix("seed ") ? String(line.drop { $0 != ":" }.dropFirst(2)) : line
            let key = String(body.map { $0.isNumber ? "#" : $0 }.prefix(160))
            groups[key, default: (0, String(line.prefix(24)))].count += 1
        }
        for (key, group) in groups.sorted(by: { $0.value.count > $1.value.count }) {
            print("[\(test)]   \(group.count)× \(key)  (e.g. \(group.example.split(separator: ":").first ?? ""))")
        }
    }
}

/// What a validated read of a whole partition found.
struct ReadBack {
    var records: [StoredRecord] = []
    /// Each served batch's bytes, by base offset.
    var batches: [(baseOffset: Int64, bytes: [UInt8])] = []
    var logStartOffset: Int64 = 0
    var highWatermark: Int64 = 0
}

/// Reads every batch of `partition` from its log start to its high watermark and checks what the
/// log promises of served data: whole batches only, each CRC-valid with `recordsCount ==
/// lastOffsetDelta + 1` (I5), batches contiguous and record offsets dense (I4), nothing past the
/// high watermark. Throws the log's own error or a `Violation`.
func readValidated(_ partition: Partition, maxBytes: Int = 1 << 16) throws -> ReadBack {
    let decoder = try RecordBatchDecoder()
    var out = ReadBack(logStartOffset: partition.logStartOffset, highWatermark: partition.highWatermark)
    var next = out.logStartOffset
    while next < out.highWatermark {
        let fetch = try partition.read(from: next, maxBytes: maxBytes)
        guard !fetch.records.isEmpty else { throw Violation("read from offset \(next) (high watermark \(out.highWatermark)) returned nothing") }
        var expected: Int64? = nil
        try fetch.records.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[position...])
                let header = try RecordBatchHeader(parsing: rest)
                try header.validateShape()
                guard header.totalSize <= rest.count else { throw Violation("a partial batch was served at offset \(header.baseOffset)") }
                let batch = UnsafeRawBufferPointer(rebasing: rest[..<header.totalSize])
                try header.validate(batch: batch)
                guard Int64(header.recordsCount) == Int64(header.lastOffsetDelta) + 1 else {
                    throw Violation("served batch at \(header.baseOffset) has \(header.recordsCount) records and last offset delta \(header.lastOffsetDelta)")
                }
                if let expected {
                    guard header.baseOffset == expected else {
                        throw Violation("served batches are not contiguous: batch at \(header.baseOffset) follows one ending at \(expected)")
                    }
                } else {
                    guard header.baseOffset <= next, header.lastOffset >= next else {
                        throw Violation("read from offset \(next) served a batch covering \(header.baseOffset)...\(header.lastOffset)")
                    }
                }
                guard header.lastOffset < out.highWatermark else {
                    throw Violation("served a batch ending at \(header.lastOffset), past the high watermark \(out.highWatermark)")
                }
                var delta: Int64 = 0
                try decoder.forEachRecord(in: batch, header: header) { view in
                    guard view.offset == header.baseOffset + delta else {
                        throw Violation("record offsets in batch \(header.baseOffset) are not dense: \(view.offset) after \(header.baseOffset + delta - 1)")
                    }
                    delta += 1
                    if view.offset >= next { out.records.append(StoredRecord(offset: view.offset, record: Record(view))) }
                }
                out.batches.append((header.baseOffset, [UInt8](batch)))
                expected = header.nextOffset
                position += header.totalSize
            }
        }
        guard let end = expected, end > next else { throw Violation("read from offset \(next) made no progress") }
        next = end
    }
    let offsets = out.records.map(\.offset)
    guard offsets == Array(out.logStartOffset..<out.highWatermark) else {
        throw Violation("offsets read are not dense from \(out.logStartOffset) to \(out.highWatermark): first \(offsets.prefix(3)), count \(offsets.count)")
    }
    return out
}

// MARK: - The model of what was sent and acknowledged

/// One partition as the client saw it. Offsets are dense and assigned in send order, so the
/// record sent `i`-th is the one the log must hold at offset `i` if it holds it at all.
final class ModelPartition {
    /// Every record handed to the log, acknowledged or not, in offset order.
    var sent: [Record] = []
    /// One past the last acknowledged offset.
    var acknowledged: Int64 = 0
    /// One past the last offset readers were shown after a recovery (a recovered tail that was
    /// never acknowledged, but is now served, must not vanish later: I4).
    var published: Int64 = 0
    /// Reported offline after a recovery (fsync lies): no longer written to or compared.
    var offline = false
    /// Clock reading when each record was acknowledged (`Int64.max`: not acknowledged).
    var acknowledgedAt: [Int64] = []
    /// How far retention may have moved the log start (deletes need not be durable, so the
    /// recovered start may be lower, never higher).
    var deletableBelow: Int64 = 0

    func send(_ records: [Record]) -> Int64 {
        let base = Int64(sent.count)
        sent += records
        acknowledgedAt += [Int64](repeating: .max, count: records.count)
        return base
    }

    func acknowledge(upTo end: Int64, at time: Int64) {
        guard end > acknowledged else { return }
        for offset in Int(acknowledged)..<Int(min(end, Int64(sent.count))) where acknowledgedAt[offset] == .max {
            acknowledgedAt[offset] = time
        }
        acknowledged = end
        published = max(published, end)
    }

    /// An append that failed without a crash left nothing behind: forget its records.
    func retract(_ count: Int) {
        sent.removeLast(count)
        acknowledgedAt.removeLast(count)
    }

    /// After a verified recovery: what the log holds is the new truth. Records recovered
    /// without ever being acknowledged are now served to readers: from here on they count as
    /// published at `time`.
    func adopt(highWatermark: Int64, logStartOffset: Int64, at time: Int64) {
        if Int64(sent.count) > highWatermark {
            sent.removeSubrange(Int(highWatermark)...)
            acknowledgedAt.removeSubrange(Int(highWatermark)...)
        }
        for offset in acknowledgedAt.indices where acknowledgedAt[offset] == .max { acknowledgedAt[offset] = time }
        acknowledged = min(acknowledged, highWatermark)
        published = highWatermark
        deletableBelow = max(deletableBelow, logStartOffset)
    }
}

final class ModelTopic {
    enum Status: String {
        case live
        /// `createTopic` was interrupted: the topic may exist (empty) or not.
        case createInterrupted
        /// `deleteTopic` was interrupted: the topic may exist (with its data) or not.
        case deleteInterrupted
    }

    let name: String
    let serial: Int
    var configs: [String: String]
    var partitions: [ModelPartition]
    var status: Status
    /// Partition counts the log may report (two while a partition increase was interrupted).
    var possibleCounts: Set<Int>
    /// The last recovery settled an interrupted create or partition increase (from what it found
    /// on the disk, which may have been only in the page cache).
    var settledAtRecovery = false

    init(name: String, serial: Int, partitions: Int, configs: [String: String], status: Status) {
        self.name = name
        self.serial = serial
        self.configs = configs
        self.partitions = (0..<partitions).map { _ in ModelPartition() }
        self.status = status
        possibleCounts = [partitions]
    }
}

// MARK: - A random (or scripted) workload that crashes, and the recovery check

/// Drives a `LogManager` on a `FaultyStorage` through topic creation and deletion, partition
/// increases, appends (`Partition.append(records:)`, multi-batch `Partition.append(_:)`, and
/// `LogProducer`), retention and restarts, keeping a model of every record sent and
/// acknowledged. A crash plan kills the process at some operation; `verifyRecovery` then checks
/// the recovered log against the model.
final class CrashWorkload {
    struct Settings {
        var durability = "strict"
        var flushMs: Int64? = nil
        var flushMessages: Int64? = nil
        var topicOperations = true
        var producer = true
        var multiBatch = true
        var retention = true
        var restarts = true
        /// The interval-mode flusher, run on every clock tick (the background thread is off).
        var tickFlusher = false
    }

    enum Step: CustomStringConvertible {
        case createTopic(String, partitions: Int, configs: [String: String])
        case deleteTopic(String)
        case addPartitions(String, count: Int)
        case append(String, partition: Int, records: Int)
        case appendBatches(String, partition: Int, batches: [Int])
        case produce(String, [(partition: Int, records: Int)], batchSize: Int)
        case retention
        case cleanRestart
        case crashRestart

        var description: String {
            switch self {
            case .createTopic(let name, let partitions, let configs): "createTopic \(name) ×\(partitions) \(configs.sorted { $0.key < $1.key })"
            case .deleteTopic(let name): "deleteTopic \(name)"
            case .addPartitions(let name, let count): "alterTopic \(name) partitions=\(count)"
            case .append(let name, let partition, let records): "append \(name)-\(partition) \(records) records"
            case .appendBatches(let name, let partition, let batches): "append \(name)-\(partition) batches \(batches)"
            case .produce(let name, let plan, let batchSize): "produce \(name) \(plan.map { "\($0.partition):\($0.records)" }) batch.size=\(batchSize)"
            case .retention: "enforceRetention"
            case .cleanRestart: "close + reopen"
            case .crashRestart: "kill -9 + reopen"
            }
        }
    }

    let storage: FaultyStorage
    let clock = FaultClock()
    var rng: SplitMix64
    var settings: Settings
    private(set) var log: LogManager?
    var topics: [String: ModelTopic] = [:]
    /// Topics whose interrupted delete the last recovery found done.
    var deletedAtRecovery: Set<String> = []
    var trace: [String] = []
    /// The recovery report of the last open, for failure messages.
    var lastRecoveryReport: [String] = []
    private var serial = 0
    var topicNames = ["t0", "t1", "t2", "t3"]

    init(seed: UInt64, settings: Settings, storage: FaultyStorage = FaultyStorage()) {
        self.storage = storage
        self.settings = settings
        rng = SplitMix64(seed: seed)
    }

    deinit { log?.abandonForTesting() }

    func openLog() throws {
        let log = try FaultTests.openLog(storage, clock: clock)
        lastRecoveryReport = log.recoveryReport
        self.log = log
    }

    func randomConfigs() -> [String: String] {
        var configs: [String: String] = [
            "durability": settings.durability,
            "segment.bytes": String(rng.int(1024...4096)),
            "index.interval.bytes": String(rng.pick([0, 64, 256, 1024])),
            "compression.type": rng.chance(0.3) ? "zstd" : "uncompressed",
        ]
        if let flushMs = settings.flushMs { configs["flush.ms"] = String(flushMs) }
        if let flushMessages = settings.flushMessages { configs["flush.messages"] = String(flushMessages) }
        if settings.retention && rng.chance(0.5) { configs["retention.bytes"] = String(rng.int(3000...12000)) }
        return configs
    }

    var liveTopics: [ModelTopic] { topics.values.filter { $0.status == .live }.sorted { $0.name < $1.name } }

    func randomStep() -> Step {
        let live = liveTopics
        let free = topicNames.filter { topics[$0] == nil }
        var choices: [(Int, () -> Step)] = []
        let writable = live.filter { $0.partitions.contains { !$0.offline } }
        if let topic = writable.isEmpty ? nil : rng.pick(writable) {
            let online = topic.partitions.indices.filter { !topic.partitions[$0].offline }
            let partition = rng.pick(online)
            choices.append((40, { .append(topic.name, partition: partition, records: self.rng.int(1...6)) }))
            if settings.multiBatch {
                choices.append((10, { .appendBatches(topic.name, partition: partition, batches: (0..<self.rng.int(2...3)).map { _ in self.rng.int(1...4) }) }))
            }
            if settings.producer {
                choices.append((10, {
                    let plan = (0..<self.rng.int(1...3)).map { _ in (partition: self.rng.pick(online), records: self.rng.int(1...25)) }
                    return .produce(topic.name, plan, batchSize: self.rng.int(256...3000))
                }))
            }
            if settings.topicOperations {
                if live.count > 1 { choices.append((3, { .deleteTopic(topic.name) })) }
                if topic.partitions.count < 4 { choices.append((3, { .addPartitions(topic.name, count: topic.partitions.count + 1) })) }
            }
        }
        if settings.topicOperations, let name = free.first {
            choices.append((live.isEmpty ? 100 : 4, { .createTopic(name, partitions: self.rng.int(1...3), configs: self.randomConfigs()) }))
        }
        if settings.retention { choices.append((6, { .retention })) }
        if settings.restarts {
            choices.append((3, { .cleanRestart }))
            choices.append((3, { .crashRestart }))
        }
        let total = choices.reduce(0) { $0 + $1.0 }
        var roll = rng.int(1...total)
        for (weight, make) in choices {
            roll -= weight
            if roll <= 0 { return make() }
        }
        return choices[0].1()
    }

    private func makeRecords(_ topic: ModelTopic, _ partition: Int, _ count: Int) -> [Record] {
        let model = topic.partitions[partition]
        return (0..<count).map { i in
            FaultTests.record(&rng, tag: "\(topic.name).\(topic.serial)-\(partition)", index: model.sent.count + i, timestamp: clock.now + Int64(i))
        }
    }

    private func requireLog() throws -> LogManager {
        guard let log else { throw Violation("no open log") }
        return log
    }

    /// Runs one step against the log and the model. Throws whatever the log throws.
    func execute(_ step: Step) throws {
        trace.append(step.description)
        clock.advance(by: 1)
        if settings.tickFlusher { log?.flushDuePartitions() }
        switch step {
        case .createTopic(let name, let partitions, let configs):
            serial += 1
            let topic = ModelTopic(name: name, serial: serial, partitions: partitions, configs: configs, status: .createInterrupted)
            topics[name] = topic
            try requireLog().createTopic(name, partitions: partitions, configs: configs)
            topic.status = .live
        case .deleteTopic(let name):
            guard let topic = topics[name] else { return }
            topic.status = .deleteInterrupted
            try requireLog().deleteTopic(name)
            topics[name] = nil
        case .addPartitions(let name, let count):
            guard let topic = topics[name] else { return }
            let old = topic.partitions.count
            topic.possibleCounts = [old, count]
            topic.partitions += (old..<count).map { _ in ModelPartition() }
            try requireLog().alterTopic(name, partitions: count)
            topic.possibleCounts = [count]
        case .append(let name, let id, let count):
            guard let topic = topics[name] else { return }
            let records = makeRecords(topic, id, count)
            let model = topic.partitions[id]
            let base = model.send(records)
            let result = try requireLog().partition(name, Int32(id)).append(records: records)
            guard result.baseOffset == base, result.recordCount == count else {
                throw Violation("append to \(name)-\(id) of \(count) records landed at \(result.baseOffset) (\(result.recordCount) records); \(base) expected")
            }
            model.acknowledge(upTo: result.nextOffset, at: clock.now)
        case .appendBatches(let name, let id, let counts):
            guard let topic = topics[name] else { return }
            let model = topic.partitions[id]
            var bytes: [UInt8] = []
            var all: [Record] = []
            for count in counts {
                let records = makeRecords(topic, id, count)
                _ = model.send(records)
                all += records
                bytes += try FaultTests.batch(records, compression: rng.chance(0.3) ? .zstd : .none)
            }
            let base = Int64(model.sent.count - all.count)
            let result = try requireLog().partition(name, Int32(id)).append(bytes)
            guard result.baseOffset == base, result.recordCount == all.count else {
                throw Violation("append of batches \(counts) to \(name)-\(id) landed at \(result.baseOffset) (\(result.recordCount) records); \(base) expected")
            }
            model.acknowledge(upTo: result.nextOffset, at: clock.now)
        case .produce(let name, let plan, let batchSize):
            guard let topic = topics[name] else { return }
            try produce(topic, plan, batchSize: batchSize)
        case .retention:
            let log = try requireLog()
            defer { noteRetention(log) }
            try log.enforceRetention()
        case .cleanRestart:
            let log = try requireLog()
            noteRetention(log)
            self.log = nil
            try log.close()
            try openLog()
        case .crashRestart:
            let log = try requireLog()
            noteRetention(log)
            self.log = nil
            log.abandonForTesting()
            storage.processCrash()
            try openLog()
        }
    }

    private func produce(_ topic: ModelTopic, _ plan: [(partition: Int, records: Int)], batchSize: Int) throws {
        let log = try requireLog()
        let acks = Mutex<[Int: Int64]>([:])
        var configuration = LogProducerConfiguration()
        configuration.lingerMs = 600_000
        configuration.batchSize = batchSize
        configuration.onAcknowledged = { ack in
            acks.withLock { $0[Int(ack.partition)] = max($0[Int(ack.partition)] ?? 0, ack.baseOffset + Int64(ack.recordCount)) }
        }
        let producer = LogProducer(log: log, configuration: configuration)
        var outcome: (any Error)?
        do {
            for (id, count) in plan {
                let records = makeRecords(topic, id, count)
                _ = topic.partitions[id].send(records)
                for record in records { try producer.send(topic: topic.name, partition: Int32(id), record: record) }
            }
            try producer.flush()
        } catch {
            outcome = error
        }
        do { try producer.close() } catch { outcome = outcome ?? error }
        let now = clock.now
        for (id, end) in acks.withLock({ $0 }) { topic.partitions[id].acknowledge(upTo: end, at: now) }
        if let outcome { throw outcome }
        for (id, _) in plan {
            let model = topic.partitions[id]
            guard model.acknowledged == Int64(model.sent.count) else {
                throw Violation("producer flush returned but \(topic.name)-\(id) acknowledged only up to \(model.acknowledged) of \(model.sent.count)")
            }
        }
    }

    /// Retention may have moved log starts (in memory first, then the files).
    private func noteRetention(_ log: LogManager) {
        for topic in topics.values {
            for (id, model) in topic.partitions.enumerated() {
                if let partition = try? log.partition(topic.name, Int32(id)) {
                    model.deletableBelow = max(model.deletableBelow, partition.logStartOffset)
                }
            }
        }
    }

    /// Runs up to `steps` random steps. Returns true when the simulated process died.
    func run(steps: Int) throws -> Bool {
        for _ in 0..<steps {
            do {
                try execute(randomStep())
            } catch {
                if storage.hasCrashed { return true }
                throw Violation("step '\(trace.last ?? "")' failed without an injected fault: \(error)")
            }
            if storage.hasCrashed { return true }
        }
        return false
    }

    /// Runs `steps` in order; stops at the crash. Returns true when the simulated process died.
    func run(script: [Step]) throws -> Bool {
        for step in script {
            do {
                try execute(step)
            } catch {
                if storage.hasCrashed { return true }
                throw Violation("step '\(step)' failed without an injected fault: \(error)")
            }
            if storage.hasCrashed { return true }
        }
        return false
    }

    /// The process dies here: the log is dropped without closing, and a crash plan that was not
    /// reached is disarmed (it belonged to the dead process).
    func abandon() {
        storage.armCrash(nil)
        if let log {
            noteRetention(log)
            log.abandonForTesting()
        }
        log = nil
    }

    struct Expectations {
        /// I1: every acknowledged record survives.
        var acknowledgedSurvive = true
        /// Interval mode: acknowledged records may be lost if acknowledged at or after this time.
        var lossAllowedFrom: Int64? = nil
        /// Interval mode with flush.messages: at most this many acknowledged records lost per partition.
        var maxLostAcknowledged: Int64? = nil
        /// Partitions reported offline (corruptLog) are acceptable (fsync lies).
        var offlineAllowed = false
        /// Live topics may be gone (fsync lies).
        var topicLossAllowed = false
        /// The open may fail with a LogError (fsync lies: loud failure is acceptable).
        var loudOpenFailureAllowed = false
        /// Append one record to every partition after the check (an append fsyncs the segment,
        /// which would hide a recovered but never fsynced tail from a later power loss).
        var appendAfterRecovery = true
    }

    struct Outcome {
        var offlinePartitions = 0
        var loudOpenFailure: String?
        var lostAcknowledged: Int64 = 0
    }

    /// Opens the log on the post-crash disk and checks it against the model (I1, I2, I4, I5, I10,
    /// no orphan files, topics whole), then appends to every partition to check that it continues
    /// at the recovered end. Afterwards the model holds what the log holds.
    func verifyRecovery(_ expect: Expectations) throws -> Outcome {
        var outcome = Outcome()
        do {
            try openLog()
        } catch {
            if expect.loudOpenFailureAllowed, error is LogError {
                outcome.loudOpenFailure = "\(error)"
                return outcome
            }
            throw Violation("reopening failed (I10): \(error)")
        }
        let log = try requireLog()
        let names = Set(log.topicNames(includeInternal: true))
        let adoptionNote = ": the log restarted after the crash had settled it from the page cache without making the topic metadata durable"
        for name in names where topics[name] == nil {
            if deletedAtRecovery.contains(name) {
                throw Violation("topic \(name), gone after the restart (its deleteTopic was interrupted), is back after this power loss" + adoptionNote)
            }
            throw Violation("topic \(name) exists after recovery but was never created or was deleted")
        }
        deletedAtRecovery = []
        for topic in topics.values.sorted(by: { $0.name < $1.name }) {
            let settled = topic.settledAtRecovery
            topic.settledAtRecovery = topic.status != .live || topic.possibleCounts.count > 1
            guard names.contains(topic.name) else {
                if topic.status == .live && !expect.topicLossAllowed {
                    throw Violation("topic \(topic.name) is gone after recovery" + (settled ? " (its create had been interrupted)" + adoptionNote : ""))
                }
                if topic.status == .deleteInterrupted { deletedAtRecovery.insert(topic.name) }
                topics[topic.name] = nil
                continue
            }
            let count = try log.partitionCount(topic.name)
            guard topic.possibleCounts.contains(count) else {
                throw Violation(
                    "topic \(topic.name) has \(count) partitions after recovery; \(topic.possibleCounts.sorted()) possible"
                        + (settled ? " (its partition increase had been interrupted)" + adoptionNote : ""))
            }
            if topic.partitions.count > count { topic.partitions.removeSubrange(count...) }
            topic.possibleCounts = [count]
            topic.status = .live
            for id in 0..<count {
                try verifyPartition(log, topic, id, expect, &outcome)
            }
        }
        try checkFiles(log)
        return outcome
    }

    private func verifyPartition(_ log: LogManager, _ topic: ModelTopic, _ id: Int, _ expect: Expectations, _ outcome: inout Outcome) throws {
        let model = topic.partitions[id]
        let name = "\(topic.name)-\(id)"
        if model.offline { return }
        let partition: Partition
        do {
            partition = try log.partition(topic.name, Int32(id))
        } catch {
            if expect.offlineAllowed, FaultTests.isCorruption(error) {
                outcome.offlinePartitions += 1
                model.offline = true  // no longer comparable; nothing more is sent to it
                return
            }
            throw Violation("partition \(name) is unavailable after recovery: \(error)")
        }
        let read: ReadBack
        do {
            read = try readValidated(partition)
        } catch {
            if expect.offlineAllowed, FaultTests.isCorruption(error) {
                outcome.offlinePartitions += 1  // refused to serve damage: failing loudly
                model.offline = true
                return
            }
            throw Violation("reading \(name) after recovery failed: \(error)")
        }
        // I2: what is there is what was sent, at the offsets it was given.
        for stored in read.records {
            guard stored.offset < Int64(model.sent.count) else {
                throw Violation("\(name) holds offset \(stored.offset) but only \(model.sent.count) records were ever sent")
            }
            guard stored.record == model.sent[Int(stored.offset)] else {
                throw Violation("\(name) offset \(stored.offset) holds a record that was not sent there: \(String(decoding: (stored.record.value ?? []).prefix(40), as: UTF8.self))")
            }
        }
        guard read.logStartOffset <= max(model.deletableBelow, 0) || read.logStartOffset == 0 else {
            throw Violation("\(name) starts at \(read.logStartOffset) after recovery but retention had reached only \(model.deletableBelow)")
        }
        // I1, I4 and the interval-mode bound.
        let hw = read.highWatermark
        let mustHave = max(model.acknowledged, model.published)
        if hw < mustHave {
            let lost = mustHave - hw
            outcome.lostAcknowledged += lost
            if expect.acknowledgedSurvive {
                if hw < model.acknowledged {
                    throw Violation("\(name) lost \(model.acknowledged - hw) acknowledged records: recovered end \(hw), acknowledged end \(model.acknowledged) (I1)")
                }
                throw Violation(
                    "\(name): offsets \(hw)..<\(model.published) were served to readers after an earlier recovery (recovered from the page cache, never fsynced) and vanished in this power loss; the log will now give those offsets to other records (I4)")
            }
            if let from = expect.lossAllowedFrom {
                let early = (Int(hw)..<Int(mustHave)).filter { model.acknowledgedAt[$0] < from }
                if let first = early.first {
                    throw Violation(
                        "\(name) lost \(early.count) records acknowledged (or served) before the last flush window: offset \(first) at \(model.acknowledgedAt[first]), window from \(from); recovered end \(hw), acknowledged end \(mustHave)")
                }
            }
            if let limit = expect.maxLostAcknowledged, lost > limit {
                throw Violation("\(name) lost \(lost) acknowledged records (recovered end \(hw), acknowledged end \(mustHave)), more than flush.messages=\(limit)")
            }
        }
        model.adopt(highWatermark: hw, logStartOffset: read.logStartOffset, at: clock.now)
        guard expect.appendAfterRecovery else { return }
        // New appends continue at the recovered end.
        let records = makeRecords(topic, id, 1)
        let base = model.send(records)
        let result: AppendResult
        do {
            result = try partition.append(records: records)
        } catch {
            throw Violation("appending to \(name) after recovery failed: \(error)")
        }
        guard result.baseOffset == base else {
            throw Violation("append to \(name) after recovery landed at \(result.baseOffset), not at the recovered end \(base)")
        }
        model.acknowledge(upTo: result.nextOffset, at: clock.now)
        let back = try readValidated(partition, maxBytes: 1 << 20).records.last
        guard back?.offset == base, back?.record == records[0] else {
            throw Violation("the record appended to \(name) after recovery does not read back")
        }
    }

    /// No orphan indexes, no partition directory without its topic, no leftovers of deletes.
    private func checkFiles(_ log: LogManager) throws {
        let root = FaultTests.directory
        for entry in try storage.contentsOfDirectory(root) where storage.isDirectory(root + "/" + entry) && entry != "topics" {
            guard let dash = entry.lastIndex(of: "-"), let id = Int(entry[entry.index(after: dash)...]) else { continue }
            let topic = String(entry[..<dash])
            guard let count = try? log.partitionCount(topic), id < count else {
                throw Violation("partition directory \(entry) survives recovery with no topic claiming it (half topic)")
            }
            let names = try storage.contentsOfDirectory(root + "/" + entry)
            let logs = Set(names.filter { $0.hasSuffix(".log") }.map { $0.dropLast(4) })
            for name in names {
                let stem = name.split(separator: ".").first ?? ""
                if (name.hasSuffix(".index") || name.hasSuffix(".timeindex")) && !logs.contains(stem) {
                    throw Violation("orphan index \(entry)/\(name) survives recovery")
                }
                if name.hasSuffix(".deleted") { throw Violation("leftover \(entry)/\(name) survives recovery") }
            }
        }
    }

    /// Everything about this run, for a failure message.
    func describe(_ notes: [String]) -> String {
        (notes + ["steps: " + trace.suffix(25).joined(separator: " | "), "recovery report: " + lastRecoveryReport.joined(separator: " | ")])
            .joined(separator: "\n  ")
    }
}
