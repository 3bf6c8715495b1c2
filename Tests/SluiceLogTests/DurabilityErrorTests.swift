import SluiceTestSupport
import Foundation
import Synchronization
import Testing

@testable import SluiceLog

extension DurabilityTests {
    // MARK: D11 ENOSPC / EIO / short write

    /// The Nth write fails (ENOSPC or EIO, nothing written; or a short write, then ENOSPC), once
    /// or until "space is freed". The append that hit it throws a storage error (Kafka 56),
    /// acknowledges nothing, and leaves nothing visible: the high watermark does not move, a read
    /// shows only acknowledged records, and the next successful append lands right after the last
    /// acknowledged one. After a power loss and a reopen, every acknowledged record is intact.
    @Test("D11 write errors: nothing acknowledged, nothing half visible", arguments: 0..<2)
    func d11WriteErrors(shard: Int) {
        let seeds = FaultTests.seeds(base: 11_000_000, count: FaultTests.size(ci: 200, full: 5_000), shard: shard, of: 2)
        let failures = FaultFailures("D11 shard \(shard)")
        for seed in seeds {
            let workload = CrashWorkload(seed: seed, settings: CrashWorkload.Settings())
            var notes: [String] = []
            do {
                try workload.openLog()
                try workload.execute(.createTopic("w", partitions: 2, configs: workload.randomConfigs()))
                let fault = FaultyStorage.WriteFault(
                    nth: workload.rng.int(1...40), failure: workload.rng.pick(FaultyStorage.WriteFailure.allCases),
                    pathContains: workload.rng.chance(0.5) ? ".log" : nil, persistent: workload.rng.chance(0.3))
                let clearAfter = workload.rng.int(1...3)
                workload.storage.setWriteFault(fault)
                notes.append("fault: \(fault)")
                var failed = 0
                for _ in 0..<30 {
                    if failed >= clearAfter { workload.storage.setWriteFault(nil) }
                    try faultyAppend(workload, topic: "w") { error, partition, hwBefore, model in
                        failed += 1
                        guard !workload.storage.injectedFaults.isEmpty else { throw Violation("append failed without an injected fault: \(error)") }
                        guard (error as? LogError)?.kind == .storage else {
                            throw Violation("the failed append threw \(type(of: error)) \(error), not a LogError of kind storage")
                        }
                        guard partition.highWatermark == hwBefore else {
                            throw Violation("the high watermark moved from \(hwBefore) to \(partition.highWatermark) although the append failed")
                        }
                        let read = try readValidated(partition)
                        guard read.records.map(\.record) == Array(model.sent[Int(read.logStartOffset)..<Int(model.acknowledged)]) else {
                            throw Violation("after the failed append, readers see records that were never acknowledged")
                        }
                        return true  // retract: nothing of it may remain
                    }
                }
                workload.storage.setWriteFault(nil)
                notes.append("injected: \(workload.storage.injectedFaults)")
                workload.abandon()
                notes.append("power loss: " + workload.storage.powerLoss(seed: workload.rng.next()))
                _ = try workload.verifyRecovery(CrashWorkload.Expectations())
                workload.abandon()
            } catch {
                failures.record(seed: seed, "\(error)\n  " + workload.describe(notes + ["injected: \(workload.storage.injectedFaults)"]))
            }
        }
        failures.report(runs: seeds.count)
    }

    /// One append (one batch, several batches in one call, or through the producer) to a random
    /// partition of `topic`. On failure `onFailure` checks it and says whether the records are
    /// gone for good (retract) or may have been written (kept, unacknowledged).
    /// - Returns: the partition appended to, and whether the append was acknowledged.
    @discardableResult
    func faultyAppend(
        _ workload: CrashWorkload, topic name: String, stopped: Set<Int> = [],
        onFailure: (any Error, Partition, Int64, ModelPartition) throws -> Bool
    ) throws -> (partition: Int, acknowledged: Bool) {
        guard let topic = workload.topics[name], let log = workload.log else { throw Violation("no topic \(name)") }
        workload.clock.advance(by: 1)
        if workload.settings.tickFlusher { log.flushDuePartitions() }
        let id = workload.rng.int(0...(topic.partitions.count - 1))
        let partition = try log.partition(name, Int32(id))
        let model = topic.partitions[id]
        let hwBefore = partition.highWatermark
        var records: [Record] = []
        var bytes: [UInt8] = []
        let batches = workload.rng.chance(0.4) ? workload.rng.int(2...3) : 1
        for _ in 0..<batches {
            let batch = (0..<workload.rng.int(1...5)).map { i in
                FaultTests.record(&workload.rng, tag: "\(name)-\(id)", index: model.sent.count + records.count + i, timestamp: workload.clock.now)
            }
            records += batch
            bytes += try FaultTests.batch(batch, compression: workload.rng.chance(0.3) ? .zstd : .none)
        }
        let base = model.send(records)
        workload.trace.append("append \(name)-\(id) \(batches) batches, \(records.count) records at \(base)")
        do {
            let result = batches == 1 ? try partition.append(records: records) : try partition.append(bytes)
            if stopped.contains(id) {
                throw Violation(
                    "\(name)-\(id) acknowledged an append (at \(result.baseOffset)) after an fsync of its log failed: not fail-stop (I9); failed fsyncs: \(workload.storage.failedSyncPaths)")
            }
            guard result.baseOffset == base else {
                throw Violation(
                    "append to \(name)-\(id) landed at \(result.baseOffset), not \(base): records of an earlier failed append were kept and are now visible")
            }
            model.acknowledge(upTo: result.nextOffset, at: workload.clock.now)
            return (id, true)
        } catch let error as Violation {
            throw error
        } catch {
            workload.trace.append("  failed: \(error)")
            if try onFailure(error, partition, hwBefore, model) { model.retract(records.count) }
            return (id, false)
        }
    }

    // MARK: D12 fsync EIO

    /// The Nth fsync of a segment fails with EIO, with Linux's semantics (the dirty pages are
    /// dropped from the disk's future; a retried fsync "succeeds"). The partition must stop
    /// accepting writes from then on (fail-stop, I9): no append to it is acknowledged again until
    /// the log is reopened, and in `strict` mode the failed append is not acknowledged nor its
    /// records published. After a power loss and a reopen, the partition opens, is a prefix of
    /// what was sent, and (strict) holds everything acknowledged.
    @Test("D12 fsync EIO: the partition fails stop, nothing it covered is acknowledged", arguments: 0..<2)
    func d12FsyncErrors(shard: Int) {
        let seeds = FaultTests.seeds(base: 12_000_000, count: FaultTests.size(ci: 240, full: 5_000), shard: shard, of: 2)
        let failures = FaultFailures("D12 shard \(shard)")
        for seed in seeds {
            var rng = SplitMix64(seed: seed)
            var settings = CrashWorkload.Settings()
            settings.durability = rng.pick(["strict", "strict", "interval", "none"])
            settings.flushMs = Int64(rng.int(2...10))
            settings.tickFlusher = settings.durability == "interval"
            let workload = CrashWorkload(seed: rng.next(), settings: settings)
            var notes: [String] = ["durability=\(settings.durability)"]
            do {
                try workload.openLog()
                try workload.execute(.createTopic("f", partitions: 2, configs: workload.randomConfigs()))
                let fault = FaultyStorage.SyncFault(nth: workload.rng.int(1...20), pathContains: ".log")
                workload.storage.setSyncFault(fault)
                notes.append("fault: EIO on fsync #\(fault.nth) of a .log")
                func stopped() -> Set<Int> {
                    Set(workload.storage.failedSyncPaths.compactMap { path in
                        path.split(separator: "/").first { $0.hasPrefix("f-") }.flatMap { Int($0.dropFirst(2)) }
                    })
                }
                for _ in 0..<30 {
                    let before = stopped()
                    let strict = settings.durability == "strict"
                    try faultyAppend(workload, topic: "f", stopped: before) { error, partition, hwBefore, _ in
                        guard !workload.storage.failedSyncPaths.isEmpty else { throw Violation("append failed without an injected fault: \(error)") }
                        if strict && partition.highWatermark != hwBefore && !before.contains(Int(partition.id)) {
                            throw Violation("strict: the high watermark moved from \(hwBefore) to \(partition.highWatermark) although the fsync failed")
                        }
                        return false  // may have been written
                    }
                }
                notes.append("injected: \(workload.storage.injectedFaults)")
                workload.abandon()
                notes.append("power loss: " + workload.storage.powerLoss(seed: workload.rng.next()))
                var expect = CrashWorkload.Expectations()
                expect.acknowledgedSurvive = settings.durability == "strict"
                _ = try workload.verifyRecovery(expect)
                workload.abandon()
            } catch {
                failures.record(seed: seed, "\(error)\n  " + workload.describe(notes + ["injected: \(workload.storage.injectedFaults)"]))
            }
        }
        failures.report(runs: seeds.count)
    }

    /// A deterministic case of D12 in `strict` mode: a two-batch append whose second batch rolls
    /// the segment, and the roll's fsync of the old segment fails. The next append must not be
    /// acknowledged (fail-stop), and whatever was acknowledged must survive a power loss.
    @Test("D12 strict: an fsync failing during a segment roll")
    func d12FailedFsyncDuringRoll() throws {
        let storage = FaultyStorage()
        let clock = FaultClock()
        var rng = SplitMix64(seed: 12_500_000)
        let log = try FaultTests.openLog(storage, clock: clock)
        try log.createTopic("s", partitions: 1, configs: ["segment.bytes": "1024", "compression.type": "uncompressed"])
        let partition = try log.partition("s", 0)
        var acknowledged: [Record] = []
        func records(_ count: Int, size: Int) -> [Record] {
            (0..<count).map { i in Record(value: Array("record \(acknowledged.count + i) ".utf8) + rng.bytes(size), timestamp: clock.now) }
        }
        // Batch 1 still fits in the segment; batch 2 does not, so writing it rolls first.
        let first = records(2, size: 40)
        let second = records(3, size: 200)
        let firstSize = try FaultTests.batch(first, compression: .none).count
        while true {
            let batch = records(1, size: 60)
            let size = try FaultTests.batch(batch, compression: .none).count
            guard partition.statistics.sizeInBytes + Int64(size + firstSize) <= 1024 else { break }
            _ = try partition.append(records: batch)
            acknowledged += batch
        }
        storage.setSyncFault(FaultyStorage.SyncFault(nth: 1, pathContains: ".log"))
        let failed: Bool
        do {
            _ = try partition.append(try FaultTests.batch(first, compression: .none) + FaultTests.batch(second, compression: .none))
            failed = false
        } catch {
            failed = true
        }
        #expect(failed, "the append whose roll fsync failed must throw")
        #expect(!storage.failedSyncPaths.isEmpty, "the injected fsync failure was not reached")
        let later = records(1, size: 10)
        var laterAcknowledged = false
        do {
            let result = try partition.append(records: later)
            laterAcknowledged = true
            Issue.record("after an fsync of \(storage.failedSyncPaths) failed, the partition acknowledged an append at \(result.baseOffset) (not fail-stop, I9); the high watermark is \(partition.highWatermark), \(acknowledged.count + later.count) records were acknowledged")
        } catch {}
        let visible = try readValidated(partition).records.map(\.record)
        if visible != acknowledged + (laterAcknowledged ? later : []) {
            Issue.record("readers see \(visible.count) records; only \(acknowledged.count + (laterAcknowledged ? 1 : 0)) were acknowledged: the failed append's first batch became visible")
        }
        log.abandonForTesting()
        storage.powerLoss(seed: 1, file: .dropUnsynced, directory: .dropUnsynced)
        let reopened = try FaultTests.openLog(storage, clock: clock)
        defer { reopened.abandonForTesting() }
        do {
            let recovered = try readValidated(try reopened.partition("s", 0)).records.map(\.record)
            let expected = acknowledged + (laterAcknowledged ? later : [])
            if Array(recovered.prefix(expected.count)) != expected {
                Issue.record("after the power loss \(recovered.count) records remain; the \(expected.count) acknowledged ones are not all there (I1)")
            }
        } catch {
            Issue.record("after the power loss the partition is unavailable: \(error)")
        }
    }

    // MARK: D13 crash at every directory operation

    /// A scripted workload (segment rolls, retention deletes, topic create and delete, a
    /// partition increase, re-creating a deleted topic, the producer, a clean restart) crashes at
    /// every directory operation (create, rename, remove, directory fsync), before and after it,
    /// and the power fails (directory operations: none, an ordered prefix, or all of the unsynced
    /// ones survive). Reopening must succeed, keep every acknowledged record, and leave no orphan
    /// index, no unclaimed partition directory and no half topic.
    @Test("D13 crash at every directory operation of rolls, retention and topic changes")
    func d13DirectoryCrashPoints() throws {
        try directoryCrashPoints(fates: [.dropUnsynced, .orderedPrefix, .keepAll], label: "D13")
    }

    /// The same crash points, with any subset of the unsynced directory operations surviving
    /// (ALICE: some file systems persist directory operations out of order).
    @Test("D13 crash at every directory operation, directory operations reordered")
    func d13DirectoryCrashPointsReordered() throws {
        try directoryCrashPoints(fates: [.anySubset], label: "D13 reordered", every: FaultTests.full ? 1 : 3)
    }

    static let d13Seed: UInt64 = 13_000_000

    static var d13Script: [CrashWorkload.Step] {
        let small = ["segment.bytes": "1024", "index.interval.bytes": "128", "compression.type": "uncompressed"]
        var script: [CrashWorkload.Step] = [.createTopic("a", partitions: 2, configs: small.merging(["retention.bytes": "2500"]) { $1 })]
        for i in 0..<12 { script.append(.append("a", partition: i % 2, records: 3)) }
        script += [
            .retention,
            .createTopic("b", partitions: 1, configs: small),
            .append("b", partition: 0, records: 4),
            .addPartitions("b", count: 3),
            .append("b", partition: 2, records: 3),
            .deleteTopic("a"),
            .createTopic("a", partitions: 1, configs: small),
            .append("a", partition: 0, records: 2),
            .appendBatches("a", partition: 0, batches: [2, 3]),
            .produce("b", [(partition: 0, records: 6), (partition: 1, records: 6)], batchSize: 400),
            .cleanRestart,
            .append("b", partition: 1, records: 2),
            .retention,
        ]
        return script
    }

    func directoryCrashPoints(fates: [FaultyStorage.DirectoryFate], label: String, every: Int = 1, function: String = #function) throws {
        // A dry run counts the directory operations of the script.
        let dry = CrashWorkload(seed: Self.d13Seed, settings: CrashWorkload.Settings())
        try dry.openLog()
        let before = dry.storage.count(of: FaultyStorage.Operation.directoryOperations)
        _ = try dry.run(script: Self.d13Script)
        let total = dry.storage.count(of: FaultyStorage.Operation.directoryOperations) - before
        dry.abandon()
        try #require(total > 20)
        let failures = FaultFailures(label, function: function)
        var runs = 0
        for point in stride(from: 1, through: total, by: every) {
            for after in [false, true] {
                let chosen = FaultTests.full ? fates : [fates[(point + (after ? 1 : 0)) % fates.count]]
                for fate in chosen {
                    let runSeed = Self.d13Seed + UInt64(point * 10 + (after ? 1 : 0) * 5 + (fates.firstIndex(of: fate) ?? 0))
                    if let replay = FaultTests.replaySeed, replay != runSeed { continue }
                    runs += 1
                    let workload = CrashWorkload(seed: Self.d13Seed, settings: CrashWorkload.Settings())
                    var notes: [String] = []
                    do {
                        try workload.openLog()
                        workload.storage.armCrash(
                            FaultyStorage.CrashPlan(at: point, kinds: FaultyStorage.Operation.directoryOperations, afterOperation: after))
                        _ = try workload.run(script: Self.d13Script)
                        notes.append("crashed \(workload.storage.crashedAt ?? "nowhere (the script ended first)")")
                        workload.abandon()
                        var rng = SplitMix64(seed: runSeed)
                        notes.append("power loss: " + workload.storage.powerLoss(seed: rng.next(), directory: fate))
                        _ = try workload.verifyRecovery(CrashWorkload.Expectations())
                        workload.abandon()
                    } catch {
                        failures.record(seed: runSeed, "directory operation \(point) of \(total): \(error)\n  " + workload.describe(notes))
                    }
                }
            }
        }
        failures.report(runs: runs)
    }

    /// A topic deleted and created again under the same name, then a crash that leaves a torn
    /// (or garbage) tail after the acknowledged records of its active segment. The recovery
    /// checkpoint still holds the old topic's recovery point; the new partition must still
    /// recover (cut the tail), not go offline.
    @Test("D13 a re-created topic recovers from a torn tail")
    func d13RecreatedTopic() throws {
        let failures = FaultFailures("D13 re-created topic")
        let tails: [(String, ([UInt8]) -> [UInt8])] = [
            ("torn last batch", { Array($0.dropLast(7)) }),
            ("64 zero bytes after the tail", { $0 + [UInt8](repeating: 0, count: 64) }),
        ]
        for (label, damage) in tails {
            let storage = FaultyStorage()
            let clock = FaultClock()
            var rng = SplitMix64(seed: 13_500_000)
            let configs = ["segment.bytes": "1024", "compression.type": "uncompressed"]
            let log = try FaultTests.openLog(storage, clock: clock)
            try log.createTopic("t", partitions: 1, configs: configs)
            for i in 0..<40 { _ = try log.partition("t", 0).append(records: [FaultTests.record(&rng, tag: "old", index: i, timestamp: 1)]) }
            try log.deleteTopic("t")
            try log.createTopic("t", partitions: 1, configs: configs)
            let partition = try log.partition("t", 0)
            let acknowledged = (0..<3).map { i in FaultTests.record(&rng, tag: "new", index: i, timestamp: 2) }
            _ = try partition.append(records: acknowledged)
            // The next append is written and the process dies before its fsync; the disk keeps a
            // torn copy of it (or garbage).
            storage.armCrash(FaultyStorage.CrashPlan(at: 1, kinds: [.sync], afterOperation: false))
            _ = try? partition.append(records: (0..<3).map { i in FaultTests.record(&rng, tag: "new", index: 3 + i, timestamp: 3) })
            log.abandonForTesting()
            storage.powerLoss(seed: 1, file: .keepAll, directory: .keepAll)
            let path = FaultTests.directory + "/t-0/00000000000000000000.log"
            storage.replaceContents(of: path, with: damage(storage.contents(of: path) ?? []))
            do {
                let reopened = try FaultTests.openLog(storage, clock: clock)
                defer { reopened.abandonForTesting() }
                let read = try readValidated(try reopened.partition("t", 0))
                if Array(read.records.map(\.record).prefix(3)) != acknowledged {
                    failures.record("\(label): the 3 acknowledged records of the re-created topic are not intact")
                }
            } catch {
                failures.record("\(label): \(error)")
            }
        }
        failures.report(runs: tails.count)
    }

    /// Crash points in the very first open of a new data directory and the first topic: the next
    /// open must succeed (with or without the topic).
    @Test("D13 crash during the first open of a data directory")
    func d13FirstOpen() throws {
        let failures = FaultFailures("D13 first open")
        var runs = 0
        for point in 1...40 {
            for after in [false, true] {
                for fate in [FaultyStorage.DirectoryFate.dropUnsynced, .orderedPrefix, .keepAll] {
                    runs += 1
                    let storage = FaultyStorage()
                    let clock = FaultClock()
                    storage.armCrash(FaultyStorage.CrashPlan(at: point, kinds: FaultyStorage.Operation.directoryOperations, afterOperation: after))
                    var acknowledged = false
                    do {
                        let log = try FaultTests.openLog(storage, clock: clock)
                        try log.createTopic("t", partitions: 1)
                        _ = try log.partition("t", 0).append(records: [Record(value: [1], timestamp: 1)])
                        acknowledged = true
                        log.abandonForTesting()
                    } catch {}
                    let crashed = storage.crashedAt ?? "nowhere"
                    let loss = storage.powerLoss(seed: UInt64(point), directory: fate)
                    do {
                        let log = try FaultTests.openLog(storage, clock: clock)
                        defer { log.abandonForTesting() }
                        if acknowledged {
                            let read = try readValidated(try log.partition("t", 0))
                            if read.records.count != 1 { failures.record("crash \(crashed), \(loss): the acknowledged record is gone") }
                        }
                    } catch {
                        failures.record("crash \(crashed), \(loss): reopening fails: \(error)")
                    }
                }
            }
        }
        failures.report(runs: runs)
    }
}
