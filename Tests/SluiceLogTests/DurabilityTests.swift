import SluiceTestSupport
import Foundation
import Synchronization
import Testing

@testable import SluiceLog

/// The durability contract (reliability.md §3.7, invariants I1–I10) checked against
/// `FaultyStorage`'s fault model (F2–F8, F14). Every failure names its seed; rerun one with
/// `SLUICE_FAULT_SEED=<seed> swift test --filter <test function>`. `SLUICE_FULL_TESTS=1` runs the
/// full sizes. The suite is split over several files (`Durability*Tests.swift`).
@Suite("Durability under injected faults")
struct DurabilityTests {
    // MARK: D3 power loss, strict durability

    /// Random workloads in `strict` mode (topic create/delete, partition increases, appends of
    /// one or several batches, the producer, retention, clean and kill -9 restarts) crash at a
    /// random operation (before or after it); the disk is rebuilt by a random power-loss fate (F2
    /// drop, F3 torn, F4 garbage, F5 reordered; directory operations dropped, an ordered prefix
    /// kept, or all kept), and the recovered log must hold every acknowledged record at its offset
    /// (I1), be a prefix of what was sent (I2), be dense (I4) and CRC-valid (I5), open without
    /// error (I10), have no orphan files or half topics, and take new appends at its end. Two
    /// crash cycles per seed.
    @Test("D3 power loss in strict mode loses nothing acknowledged", arguments: 0..<4)
    func d3PowerLossStrict(shard: Int) {
        let seeds = FaultTests.seeds(base: 3_000_000, count: FaultTests.size(ci: 1000, full: 100_000), shard: shard, of: 4)
        let failures = FaultFailures("D3 shard \(shard)")
        for seed in seeds {
            if let failure = Self.powerLossRun(seed: seed, settings: CrashWorkload.Settings()) { failures.record(seed: seed, failure) }
        }
        failures.report(runs: seeds.count)
    }

    /// D3 with a restart in between: the process crashes (kill -9), the log is reopened on what
    /// the page cache holds and read (without appending), and only then the power fails. Whatever
    /// the restarted log served (records and topics) must survive (I1, I4): a recovered tail or
    /// topic change that was never made durable must not be shown to readers and then vanish.
    @Test("D3 kill -9, restart and read, then power loss", arguments: 0..<2)
    func d3RestartThenPowerLoss(shard: Int) {
        let seeds = FaultTests.seeds(base: 3_500_000, count: FaultTests.size(ci: 240, full: 20_000), shard: shard, of: 2)
        let failures = FaultFailures("D3 restart shard \(shard)")
        for seed in seeds {
            if let failure = Self.powerLossRun(seed: seed, settings: CrashWorkload.Settings(), cycles: 1, restartFirst: 1) {
                failures.record(seed: seed, failure)
            }
        }
        failures.report(runs: seeds.count)
    }

    /// One seed of D3 (and, with other settings, D4 and D5).
    static func powerLossRun(
        seed: UInt64, settings: CrashWorkload.Settings, cycles: Int = 2, lies: Bool = false, restartFirst: Double = 0,
        expectAfterPowerLoss: (CrashWorkload) -> CrashWorkload.Expectations = { _ in CrashWorkload.Expectations() }
    ) -> String? {
        let workload = CrashWorkload(seed: seed, settings: settings)
        var notes: [String] = []
        do {
            try workload.openLog()
            try workload.execute(.createTopic("t0", partitions: workload.rng.int(1...3), configs: workload.randomConfigs()))
            if lies {
                let directories = workload.rng.chance(0.3)
                workload.storage.setFsyncLies(true, directories: directories)
                notes.append("fsync lies from here on\(directories ? ", directory fsync too" : "")")
            }
            for cycle in 0..<cycles {
                let steps = workload.rng.int(4...24)
                workload.storage.armCrash(
                    FaultyStorage.CrashPlan(
                        at: workload.rng.int(1...(steps * 5)), kinds: FaultyStorage.Operation.mutations, afterOperation: workload.rng.chance(0.5)))
                _ = try workload.run(steps: steps)
                notes.append("cycle \(cycle): crashed \(workload.storage.crashedAt ?? "after the last step (no crash point reached)")")
                let time = workload.clock.now
                workload.abandon()
                if workload.rng.chance(restartFirst) {
                    // kill -9 first: the restarted log recovers from the page cache and readers
                    // see what it recovered; then the power fails before anything else happens.
                    workload.storage.processCrash()
                    notes.append("process crash, restart and read")
                    var expect = CrashWorkload.Expectations()
                    expect.appendAfterRecovery = false
                    if lies {
                        expect.offlineAllowed = true
                    }
                    _ = try workload.verifyRecovery(expect)
                    workload.abandon()
                }
                notes.append("power loss: " + workload.storage.powerLoss(seed: workload.rng.next()))
                var expect = expectAfterPowerLoss(workload)
                if let window = settings.flushMs, settings.durability == "interval", settings.flushMessages == nil {
                    expect.lossAllowedFrom = time - window
                }
                let outcome = try workload.verifyRecovery(expect)
                if let loud = outcome.loudOpenFailure {
                    notes.append("open failed loudly: \(loud)")
                    return nil
                }
                if lies { workload.storage.setFsyncLies(true, directories: false) }
            }
            if seed % 4 == 0 {
                // And the recovered log closes cleanly and reopens to the same contents.
                workload.storage.clearFaults()
                try workload.execute(.cleanRestart)
                workload.abandon()
                var expect = CrashWorkload.Expectations()
                expect.offlineAllowed = lies
                _ = try workload.verifyRecovery(expect)
            }
            workload.abandon()
            return nil
        } catch {
            return "\(error)\n  " + workload.describe(notes)
        }
    }

    // MARK: D4 interval durability

    /// `durability=interval` with `flush.ms` (or `flush.messages`), the interval flusher run on
    /// every clock tick. After a power loss, only records acknowledged within the last `flush.ms`
    /// (or at most `flush.messages` records per partition) may be missing; after a process crash
    /// alone, nothing acknowledged may be.
    @Test("D4 interval mode loses at most the last flush window", arguments: 0..<2)
    func d4IntervalMode(shard: Int) {
        let seeds = FaultTests.seeds(base: 4_000_000, count: FaultTests.size(ci: 200, full: 10_000), shard: shard, of: 2)
        let failures = FaultFailures("D4 shard \(shard)")
        for seed in seeds {
            var rng = SplitMix64(seed: seed)
            var settings = CrashWorkload.Settings()
            settings.durability = "interval"
            settings.topicOperations = false
            settings.tickFlusher = true
            let byMessages = rng.chance(0.3)
            settings.flushMs = byMessages ? 1_000_000_000 : Int64(rng.int(2...25))
            settings.flushMessages = byMessages ? Int64(rng.int(2...12)) : nil
            let failure = Self.powerLossRun(seed: seed, settings: settings, restartFirst: 0.3) { _ in
                var expect = CrashWorkload.Expectations()
                expect.acknowledgedSurvive = false
                expect.maxLostAcknowledged = settings.flushMessages
                return expect
            }
            if let failure { failures.record(seed: seed, "flush.ms=\(settings.flushMs ?? -1) flush.messages=\(settings.flushMessages.map(String.init) ?? "-"): " + failure) }
        }
        failures.report(runs: seeds.count)
    }

    /// A process crash alone (no power loss) in interval and none modes loses nothing acknowledged.
    @Test("D4 interval and none modes lose nothing on a process crash")
    func d4ProcessCrash() {
        let seeds = FaultTests.seeds(base: 4_500_000, count: FaultTests.size(ci: 150, full: 5_000))
        let failures = FaultFailures("D4 process crash")
        for seed in seeds {
            var settings = CrashWorkload.Settings()
            settings.durability = seed % 2 == 0 ? "interval" : "none"
            settings.flushMs = 10
            settings.tickFlusher = true
            let workload = CrashWorkload(seed: seed, settings: settings)
            var notes: [String] = []
            do {
                try workload.openLog()
                try workload.execute(.createTopic("t0", partitions: workload.rng.int(1...3), configs: workload.randomConfigs()))
                let steps = workload.rng.int(4...40)
                workload.storage.armCrash(
                    FaultyStorage.CrashPlan(at: workload.rng.int(1...(steps * 4)), kinds: FaultyStorage.Operation.mutations, afterOperation: workload.rng.chance(0.5)))
                _ = try workload.run(steps: steps)
                notes.append("crashed \(workload.storage.crashedAt ?? "after the last step")")
                workload.abandon()
                workload.storage.processCrash()
                _ = try workload.verifyRecovery(CrashWorkload.Expectations())
                workload.abandon()
            } catch {
                failures.record(seed: seed, "durability=\(settings.durability): \(error)\n  " + workload.describe(notes))
            }
        }
        failures.report(runs: seeds.count)
    }

    // MARK: D5 fsync lies

    /// fsync is a no-op (F6), then the power fails. Loss is allowed; an invalid batch served, a
    /// record at the wrong offset, or a crash during recovery is not. A partition or the whole
    /// directory refusing to open with a `LogError` counts as failing loudly (I10), and is counted.
    @Test("D5 fsync that lies loses data but never serves garbage", arguments: 0..<2)
    func d5FsyncLies(shard: Int) {
        let seeds = FaultTests.seeds(base: 5_000_000, count: FaultTests.size(ci: 200, full: 10_000), shard: shard, of: 2)
        let failures = FaultFailures("D5 shard \(shard)")
        for seed in seeds {
            var settings = CrashWorkload.Settings()
            settings.topicOperations = false
            let failure = Self.powerLossRun(seed: seed, settings: settings, lies: true, restartFirst: 0.3) { _ in
                var expect = CrashWorkload.Expectations()
                expect.acknowledgedSurvive = false
                expect.offlineAllowed = true
                expect.topicLossAllowed = true
                expect.loudOpenFailureAllowed = true
                return expect
            }
            if let failure { failures.record(seed: seed, failure) }
        }
        failures.report(runs: seeds.count)
    }
}
