import SluiceTestSupport
import Foundation
import Synchronization
import Testing

@testable import SluiceLog

/// A stopped log on a `FaultyStorage` disk, built once and cloned for each damaged variant.
struct DiskImage {
    var storage: FaultyStorage
    var clock: FaultClock
    /// Every record sent, per partition, at its offset.
    var sent: [[Record]]
    /// The batches each partition served before the damage, by base offset.
    var batches: [[(baseOffset: Int64, bytes: [UInt8])]]
    var highWatermarks: [Int64]
    var topic: String

    func partitionDirectory(_ id: Int) -> String { FaultTests.directory + "/\(topic)-\(id)" }

    func segmentLogs(_ id: Int) -> [String] {
        storage.files(under: partitionDirectory(id)).filter { $0.hasSuffix(".log") }
    }

    /// Builds a topic on a fresh disk, appends `appends(partition)` batches to each partition,
    /// then stops the process: cleanly (`close`) or not (a crash after the last acknowledgement).
    static func build(
        seed: UInt64, topic: String = "t", partitions: Int, configs: [String: String], appends: Int, recordsPerBatch: ClosedRange<Int>,
        clean: Bool, timestamps: (inout SplitMix64, Int) -> Int64 = { _, i in 1_700_000_000_000 + Int64(i) }
    ) throws -> DiskImage {
        var rng = SplitMix64(seed: seed)
        let storage = FaultyStorage()
        let clock = FaultClock()
        let log = try FaultTests.openLog(storage, clock: clock)
        try log.createTopic(topic, partitions: partitions, configs: configs)
        var sent: [[Record]] = Array(repeating: [], count: partitions)
        for _ in 0..<appends {
            for id in 0..<partitions {
                let count = rng.int(recordsPerBatch)
                let records = (0..<count).map { i in
                    FaultTests.record(&rng, tag: "\(topic)-\(id)", index: sent[id].count + i, timestamp: timestamps(&rng, sent[id].count + i))
                }
                _ = try log.partition(topic, Int32(id)).append(records: records)
                sent[id] += records
            }
            clock.advance(by: 1)
        }
        var batches: [[(baseOffset: Int64, bytes: [UInt8])]] = []
        var highWatermarks: [Int64] = []
        for id in 0..<partitions {
            let read = try readValidated(try log.partition(topic, Int32(id)))
            batches.append(read.batches)
            highWatermarks.append(read.highWatermark)
        }
        if clean { try log.close() } else { log.abandonForTesting() }
        storage.processCrash()
        return DiskImage(storage: storage, clock: clock, sent: sent, batches: batches, highWatermarks: highWatermarks, topic: topic)
    }
}

extension DurabilityTests {
    // MARK: D6 torn tail sweep

    /// After an unclean stop, the active segment is cut at every byte offset inside its last two
    /// batches. Recovery must end exactly at the end of the last whole batch before the cut: that
    /// high watermark, that file size, those records, and the next append lands there. Half the
    /// shapes restart cleanly before the last batches, so the recovery point is inside the
    /// active segment.
    @Test("D6 torn tail: every cut in the last two batches recovers to the last whole batch")
    func d6TornTailSweep() throws {
        let shapes = FaultTests.size(ci: 2, full: 10)
        let failures = FaultFailures("D6")
        var runs = 0
        for shape in 0..<shapes {
            let seed = 6_000_000 + UInt64(shape)
            if let replay = FaultTests.replaySeed, replay != seed { continue }
            var rng = SplitMix64(seed: seed)
            let compression = shape % 2 == 0 ? "uncompressed" : "zstd"
            let restartInside = shape % 4 >= 2
            let big = FaultTests.full && shape >= 4
            var image = try DiskImage.build(
                seed: seed, partitions: 1, configs: ["compression.type": compression, "index.interval.bytes": "128"],
                appends: rng.int(3...6), recordsPerBatch: big ? 1...20 : 1...3, clean: restartInside)
            if restartInside {
                // Reopen cleanly, then append two more batches and stop uncleanly.
                let log = try FaultTests.openLog(image.storage, clock: image.clock)
                let partition = try log.partition(image.topic, 0)
                for _ in 0..<2 {
                    let records = (0..<rng.int(1...3)).map { i in
                        FaultTests.record(&rng, tag: "t-0", index: image.sent[0].count + i, timestamp: 1_700_000_100_000 + Int64(i))
                    }
                    _ = try partition.append(records: records)
                    image.sent[0] += records
                }
                log.abandonForTesting()
                image.storage.processCrash()
            }
            let path = try #require(image.segmentLogs(0).last)
            let content = try #require(image.storage.contents(of: path))
            let frames = FaultyStorage.batchRanges(in: content)
            try #require(frames.count >= 2 && frames.last?.upperBound == content.count)
            let ends: [(position: Int, nextOffset: Int64)] = try frames.map { frame in
                let header = try content[frame].withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
                return (frame.upperBound, header.nextOffset)
            }
            let first = frames[frames.count - 2].lowerBound
            for cut in first...content.count {
                runs += 1
                let disk = image.storage.clone()
                disk.replaceContents(of: path, with: Array(content[..<cut]))
                let end = ends.last { $0.position <= cut } ?? (frames[0].lowerBound, 0)
                let expected: (position: Int, nextOffset: Int64) = cut < frames[0].upperBound ? (0, 0) : end
                do {
                    let log = try FaultTests.openLog(disk, clock: image.clock)
                    defer { log.abandonForTesting() }
                    let partition = try log.partition(image.topic, 0)
                    let segmentBase = Int64(path.split(separator: "/").last!.prefix(20))!
                    let expectedEnd = expected.position == 0 ? segmentBase : expected.nextOffset
                    guard partition.highWatermark == expectedEnd else {
                        throw Violation("cut at \(cut): recovered end \(partition.highWatermark), expected \(expectedEnd)")
                    }
                    guard disk.contents(of: path)?.count == expected.position else {
                        throw Violation("cut at \(cut): segment is \(disk.contents(of: path)?.count ?? -1) bytes after recovery, expected \(expected.position)")
                    }
                    let read = try readValidated(partition)
                    guard read.records.map(\.record) == Array(image.sent[0][Int(read.logStartOffset)..<Int(expectedEnd)]) else {
                        throw Violation("cut at \(cut): recovered records differ from those sent")
                    }
                    let next = try partition.append(records: [Record(value: [1, 2, 3], timestamp: 1)])
                    guard next.baseOffset == expectedEnd else { throw Violation("cut at \(cut): next append landed at \(next.baseOffset)") }
                } catch {
                    failures.record(seed: seed, "shape \(shape) (\(compression), restart inside: \(restartInside)): \(error)")
                }
            }
        }
        failures.report(runs: runs)
    }

    // MARK: D7 garbage after the tail

    /// Garbage after the last whole batch of the active segment (F4: zeros, random bytes, a stale
    /// copy of an earlier batch of this segment or of an older segment) is truncated away after
    /// an unclean stop; a stale copy is rejected by its offset (I4), never taken as data. Half
    /// the cases restart cleanly first, so the recovery point lies inside the active segment.
    @Test("D7 garbage after the tail is truncated, never served")
    func d7GarbageTail() throws {
        let images = FaultTests.size(ci: 4, full: 16)
        let failures = FaultFailures("D7")
        var runs = 0
        for n in 0..<images {
            let seed = 7_000_000 + UInt64(n)
            if let replay = FaultTests.replaySeed, replay != seed { continue }
            var rng = SplitMix64(seed: seed)
            let restartInside = n % 2 == 1
            var image = try DiskImage.build(
                seed: seed, partitions: 1, configs: ["segment.bytes": "1500", "compression.type": n % 4 < 2 ? "uncompressed" : "zstd"],
                appends: 14, recordsPerBatch: 1...4, clean: restartInside)
            if restartInside {
                let log = try FaultTests.openLog(image.storage, clock: image.clock)
                let records = (0..<2).map { i in FaultTests.record(&rng, tag: "t-0", index: image.sent[0].count + i, timestamp: 1_700_000_100_000) }
                _ = try log.partition(image.topic, 0).append(records: records)
                image.sent[0] += records
                log.abandonForTesting()
                image.storage.processCrash()
            }
            let logs = image.segmentLogs(0)
            let path = try #require(logs.last)
            let content = try #require(image.storage.contents(of: path))
            let ownBatches = FaultyStorage.batchRanges(in: content).map { Array(content[$0]) }
            let olderBatches = logs.dropLast().flatMap { older in
                let bytes = image.storage.contents(of: older) ?? []
                return FaultyStorage.batchRanges(in: bytes).map { Array(bytes[$0]) }
            }
            let expectedEnd = Int64(image.sent[0].count)
            var garbages: [(String, [UInt8])] = []
            for length in [1, 11, 60, 61, 62, 200, 4096] {
                garbages.append(("\(length) zero bytes", [UInt8](repeating: 0, count: length)))
                garbages.append(("\(length) random bytes", rng.bytes(length)))
            }
            for (i, batch) in ownBatches.enumerated() { garbages.append(("copy of batch \(i) of the active segment", batch)) }
            for batch in olderBatches.suffix(3) { garbages.append(("copy of a batch of an older segment", batch)) }
            if let last = ownBatches.last { garbages.append(("torn copy of the last batch", Array(last.prefix(last.count / 2)))) }
            for (label, garbage) in garbages {
                runs += 1
                let disk = image.storage.clone()
                disk.replaceContents(of: path, with: content + garbage)
                do {
                    let log = try FaultTests.openLog(disk, clock: image.clock)
                    defer { log.abandonForTesting() }
                    let partition = try log.partition(image.topic, 0)
                    guard partition.highWatermark == expectedEnd else {
                        throw Violation("recovered end \(partition.highWatermark), expected \(expectedEnd)")
                    }
                    guard disk.contents(of: path)?.count == content.count else { throw Violation("garbage not truncated") }
                    let read = try readValidated(partition)
                    guard read.records.map(\.record) == Array(image.sent[0][Int(read.logStartOffset)...]) else {
                        throw Violation("recovered records differ from those sent")
                    }
                } catch {
                    failures.record(seed: seed, "\(label) after the tail (restart inside the segment: \(restartInside)): \(error)")
                }
            }
        }
        failures.report(runs: runs)
    }

    // MARK: D8 bit flips in sealed segments

    /// Bits flipped in sealed segments with the process stopped, after a clean close and after an
    /// unclean stop, must be detected every time: the partition is offline at open with a
    /// `corruptLog` naming the file, or reading the damaged batch throws `corruptLog` /
    /// `corruptMessage`. No read returns a batch that differs from what was written, nothing is
    /// silently truncated (I7), other partitions are unaffected, and after a clean close and
    /// another open the damage is still reported, not "repaired" by truncation.
    @Test("D8 bit flips in sealed segments are always detected", arguments: [true, false])
    func d8BitFlips(clean: Bool) throws {
        let seed: UInt64 = clean ? 8_000_000 : 8_100_000
        let flips = FaultTests.size(ci: 250, full: 10_000)
        let image = try DiskImage.build(
            seed: seed, partitions: 3, configs: ["segment.bytes": "1024", "index.interval.bytes": "256", "compression.type": "uncompressed"],
            appends: 24, recordsPerBatch: 1...4, clean: clean)
        // Sealed: every segment after a clean close; all but the active one after a crash.
        let sealed = clean ? image.segmentLogs(0) : Array(image.segmentLogs(0).dropLast())
        try #require(sealed.count >= 2)
        let failures = FaultFailures("D8 \(clean ? "clean close" : "unclean stop")")
        var detectedOffline = 0
        var detectedOnRead = 0
        var runs = 0
        for n in 0..<flips {
            let flipSeed = seed + UInt64(n)
            if let replay = FaultTests.replaySeed, replay != flipSeed { continue }
            runs += 1
            var rng = SplitMix64(seed: flipSeed)
            let path = rng.pick(sealed)
            var bytes = try #require(image.storage.contents(of: path))
            let bits = n % 10 == 9 ? rng.int(2...8) : 1
            var flipped: [Int] = []
            for _ in 0..<bits {
                let bit = rng.int(0...(bytes.count * 8 - 1))
                bytes[bit / 8] ^= UInt8(1 << (bit % 8))
                flipped.append(bit)
            }
            let disk = image.storage.clone()
            disk.replaceContents(of: path, with: bytes)
            let original = try #require(image.storage.contents(of: path))
            let fields = flipped.map { Self.field(at: $0 / 8, in: original) }
            let where_ = "\(path.split(separator: "/").suffix(2).joined(separator: "/")) bits \(flipped) in \(fields.joined(separator: ", "))"
            do {
                for round in 0..<2 {
                    let log: LogManager
                    do {
                        log = try FaultTests.openLog(disk, clock: image.clock)
                    } catch {
                        throw Violation("round \(round): the log does not open (I10): \(error)")
                    }
                    let outcome: Detection
                    do {
                        outcome = try checkDamaged(log, image, path)
                    } catch {
                        throw Violation("round \(round)\(round == 1 ? " (reopened after the first open reported the damage)" : ""): \(error)")
                    }
                    if round == 0 {
                        if outcome == .offline { detectedOffline += 1 } else { detectedOnRead += 1 }
                    }
                    // Other partitions are unaffected.
                    for id in 1..<3 {
                        let read = try readValidated(try log.partition(image.topic, Int32(id)))
                        guard read.records.map(\.record) == image.sent[id] else { throw Violation("round \(round): partition \(id) changed") }
                    }
                    // Round 1: after a clean close (or a crash) and another open, the damage must
                    // still be reported rather than silently truncated away.
                    if round == 0 {
                        if rng.chance(0.5) { try? log.close() } else { log.abandonForTesting() }
                        disk.processCrash()
                    } else {
                        log.abandonForTesting()
                    }
                }
            } catch {
                failures.record(seed: flipSeed, "\(where_): \(error)")
            }
        }
        print("[D8 \(clean ? "clean" : "unclean")] \(detectedOffline) offline at open, \(detectedOnRead) detected on read")
        failures.report(runs: runs)
    }

    enum Detection { case offline, onRead }

    /// Which RecordBatch field holds byte `position` of a segment file.
    static func field(at position: Int, in bytes: [UInt8]) -> String {
        guard let batch = FaultyStorage.batchRanges(in: bytes).first(where: { $0.contains(position) }) else { return "byte \(position)" }
        let offset = position - batch.lowerBound
        let names: [(Range<Int>, String)] = [
            (0..<8, "baseOffset"), (8..<12, "batchLength"), (12..<16, "partitionLeaderEpoch"), (16..<17, "magic"), (17..<21, "crc"),
            (21..<23, "attributes"), (23..<27, "lastOffsetDelta"), (27..<35, "baseTimestamp"), (35..<43, "maxTimestamp"),
            (43..<51, "producerId"), (51..<53, "producerEpoch"), (53..<57, "baseSequence"), (57..<61, "recordsCount"),
        ]
        let name = names.first { $0.0.contains(offset) }?.1 ?? "records"
        return "\(name) (byte \(offset) of the batch at position \(batch.lowerBound))"
    }

    /// Checks partition 0 of a damaged image: offline with a `corruptLog` naming `path`, or every
    /// original batch either read back byte for byte or refused with a corruption error, and at
    /// least one refused.
    func checkDamaged(_ log: LogManager, _ image: DiskImage, _ path: String) throws -> Detection {
        let name = String(path.split(separator: "/").last!)
        let partition: Partition
        do {
            partition = try log.partition(image.topic, 0)
        } catch let error as LogError {
            guard error.kind == .corruptLog, error.message.contains(name) else {
                throw Violation("partition offline with \(error.kind) not naming \(name): \(error.message)")
            }
            return .offline
        }
        guard partition.highWatermark == image.highWatermarks[0] else {
            throw Violation(
                "partition is online with high watermark \(partition.highWatermark); it was \(image.highWatermarks[0]) (\(partition.highWatermark < image.highWatermarks[0] ? "durable data silently truncated, I7" : "offsets that were never written are now claimed"))")
        }
        var refused = 0
        for (base, original) in image.batches[0] {
            do {
                let fetch = try partition.read(from: base, maxBytes: 1)
                let served = FaultyStorage.batchRanges(in: fetch.records).first.map { Array(fetch.records[$0]) } ?? fetch.records
                guard served == original else {
                    if let other = image.batches[0].first(where: { $0.bytes == served }) {
                        throw Violation(
                            "read from offset \(base) served the intact batch at offset \(other.baseOffset) instead: offsets \(base)..<\(other.baseOffset) silently skipped")
                    }
                    let claimed = served.count >= 8 ? served[0..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) } : -1
                    throw Violation("read from offset \(base) served a damaged batch (its header says base offset \(claimed)); it passed the CRC check (I5)")
                }
            } catch let error as Violation {
                throw error
            } catch {
                guard FaultTests.isCorruption(error) else { throw Violation("read from offset \(base) failed with \(error), not a corruption error") }
                refused += 1
            }
        }
        guard refused > 0 else { throw Violation("the damage went unnoticed: every batch read back intact") }
        return .onRead
    }

    // MARK: D10 index damage

    /// `.index` and `.timeindex` files deleted, truncated, or overwritten with random bytes (all of
    /// them or a random range) with the process stopped: the log opens, and every lookup by
    /// offset and by timestamp gives exactly what it gave before (I6).
    @Test("D10 index damage: lookups identical after rebuild", arguments: [true, false])
    func d10IndexDamage(clean: Bool) throws {
        let seed: UInt64 = clean ? 10_000_000 : 10_100_000
        let cases = FaultTests.size(ci: 120, full: 10_000)
        // Timestamps that mostly rise, sometimes repeat or step back, so the time index is sparse.
        let image = try DiskImage.build(
            seed: seed, partitions: 2, configs: ["segment.bytes": "2048", "index.interval.bytes": "100", "compression.type": "uncompressed"],
            appends: 30, recordsPerBatch: 1...4, clean: clean,
            timestamps: { rng, i in 1_700_000_000_000 + Int64(i * 10) - (rng.chance(0.2) ? Int64(rng.int(0...40)) : 0) })
        let baseline = try FaultTests.openLog(image.storage.clone(), clock: image.clock)
        let lookups = try (0..<2).map { try indexLookups(baseline.partition(image.topic, Int32($0)), image) }
        baseline.abandonForTesting()
        let indexFiles = image.storage.files(under: FaultTests.directory).filter { $0.hasSuffix(".index") || $0.hasSuffix(".timeindex") }
        try #require(indexFiles.count >= 8)
        let failures = FaultFailures("D10 \(clean ? "clean close" : "unclean stop")")
        var runs = 0
        for n in 0..<cases {
            let caseSeed = seed + UInt64(n)
            if let replay = FaultTests.replaySeed, replay != caseSeed { continue }
            runs += 1
            var rng = SplitMix64(seed: caseSeed)
            let disk = image.storage.clone()
            var damage: [String] = []
            for _ in 0..<rng.int(1...3) {
                let path = rng.pick(indexFiles)
                let name = path.split(separator: "/").suffix(2).joined(separator: "/")
                guard let bytes = disk.contents(of: path) else { continue }
                switch rng.int(0...6) {
                case 0:
                    disk.deleteDurably(path)
                    damage.append("deleted \(name)")
                case 1:
                    let length = bytes.isEmpty ? 0 : rng.int(0...(bytes.count - 1))
                    disk.replaceContents(of: path, with: Array(bytes.prefix(length)))
                    damage.append("truncated \(name) to \(length) of \(bytes.count)")
                case 2:
                    disk.replaceContents(of: path, with: rng.bytes(bytes.count))
                    damage.append("filled \(name) with \(bytes.count) random bytes")
                case 3:
                    guard !bytes.isEmpty else { continue }
                    var changed = bytes
                    let start = rng.int(0...(bytes.count - 1))
                    let end = rng.int(start...min(bytes.count - 1, start + 12))
                    for i in start...end { changed[i] = UInt8.random(in: 0...255, using: &rng) }
                    disk.replaceContents(of: path, with: changed)
                    damage.append("random bytes over \(name)[\(start)...\(end)] of \(bytes.count)")
                case 4:
                    let length = rng.int(1...64)
                    disk.replaceContents(of: path, with: rng.bytes(length))
                    damage.append("replaced \(name) with \(length) random bytes")
                default:
                    // One flipped bit: often leaves the entries increasing, so the index still
                    // parses but points somewhere else.
                    guard !bytes.isEmpty else { continue }
                    var changed = bytes
                    let bit = rng.int(0...(bytes.count * 8 - 1))
                    changed[bit / 8] ^= UInt8(1 << (7 - bit % 8))
                    disk.replaceContents(of: path, with: changed)
                    damage.append("flipped bit \(bit % 8) of byte \(bit / 8) of \(name) (\(bytes.count) bytes)")
                }
            }
            do {
                let log: LogManager
                do { log = try FaultTests.openLog(disk, clock: image.clock) } catch { throw Violation("the log does not open (I10): \(error)") }
                defer { log.abandonForTesting() }
                for id in 0..<2 {
                    let partition: Partition
                    do { partition = try log.partition(image.topic, Int32(id)) } catch { throw Violation("partition \(id) offline: \(error)") }
                    let after = try indexLookups(partition, image)
                    if let diff = zip(after, lookups[id]).first(where: { $0.0 != $0.1 }) {
                        throw Violation("partition \(id): lookup \(diff.1.query) gave \(diff.0.answer), before the damage \(diff.1.answer)")
                    }
                }
            } catch {
                failures.record(seed: caseSeed, damage.joined(separator: "; ") + ": \(error)")
            }
        }
        failures.report(runs: runs)
    }

    /// A deterministic D10 case: the last entry of a sealed segment's offset index points one
    /// byte past its batch (still increasing, still inside the file, so the index parses). The log
    /// must open and rebuild it, not fail as a whole.
    @Test("D10 an offset index whose last entry is off by one byte")
    func d10LastIndexEntryMisplaced() throws {
        let image = try DiskImage.build(
            seed: 10_500_000, partitions: 2, configs: ["segment.bytes": "2048", "index.interval.bytes": "100", "compression.type": "uncompressed"],
            appends: 30, recordsPerBatch: 1...4, clean: true)
        let baseline = try FaultTests.openLog(image.storage.clone(), clock: image.clock)
        let before = try indexLookups(baseline.partition(image.topic, 0), image)
        baseline.abandonForTesting()
        let index = try #require(image.storage.files(under: image.partitionDirectory(0)).first { $0.hasSuffix(".index") })
        var bytes = try #require(image.storage.contents(of: index))
        try #require(bytes.count >= 16)
        bytes[bytes.count - 1] &+= 1  // low byte of the last entry's position
        let disk = image.storage.clone()
        disk.replaceContents(of: index, with: bytes)
        let log: LogManager
        do {
            log = try FaultTests.openLog(disk, clock: image.clock)
        } catch {
            Issue.record("one misplaced index entry in \(index) makes the whole data directory fail to open (I6, I10): \(error)")
            return
        }
        defer { log.abandonForTesting() }
        let after = try indexLookups(log.partition(image.topic, 0), image)
        if let diff = zip(after, before).first(where: { $0.0 != $0.1 }) {
            Issue.record("lookup \(diff.1.query) gave \(diff.0.answer), before the damage \(diff.1.answer)")
        }
    }

    struct Lookup: Equatable {
        var query: String
        var answer: String
    }

    /// Every offset's first served batch, and the answer for every timestamp around the data.
    func indexLookups(_ partition: Partition, _ image: DiskImage) throws -> [Lookup] {
        var out: [Lookup] = []
        for offset in partition.logStartOffset..<partition.highWatermark {
            let answer: String
            do {
                let fetch = try partition.read(from: offset, maxBytes: 1)
                let first = FaultyStorage.batchRanges(in: fetch.records).first.map { Array(fetch.records[$0]) } ?? []
                answer = "batch of \(first.count) bytes, crc \(first.count > 21 ? String(first[17..<21].reduce(0) { $0 << 8 | UInt32($1) }) : "-")"
            } catch {
                answer = "error \(error)"
            }
            out.append(Lookup(query: "offset \(offset)", answer: answer))
        }
        let base: Int64 = 1_700_000_000_000
        for timestamp in stride(from: base - 50, to: base + 1300, by: 7) {
            let answer: String
            do { answer = String(describing: try partition.offset(forTimestamp: timestamp)) } catch { answer = "error \(error)" }
            out.append(Lookup(query: "timestamp \(timestamp)", answer: answer))
        }
        return out
    }

    // MARK: F14 read errors

    /// EIO on reads of a chosen range (a latent sector error). In a sealed segment of a running
    /// log: reading the batch there fails with an error and nothing else is affected. During
    /// recovery of one partition after an unclean stop: the rest of the data directory still
    /// opens, the damaged partition is reported offline or fails on read.
    @Test("F14 read errors fail the read, not the whole log")
    func f14ReadErrors() throws {
        let image = try DiskImage.build(
            seed: 14_000_000, partitions: 2, configs: ["segment.bytes": "1024", "compression.type": "uncompressed"],
            appends: 20, recordsPerBatch: 1...3, clean: false)
        let failures = FaultFailures("F14")
        let logs = image.segmentLogs(0)
        // 1. A sealed segment, while the log runs.
        do {
            let disk = image.storage.clone()
            let log = try FaultTests.openLog(disk, clock: image.clock)
            defer { log.abandonForTesting() }
            let name = String(logs[0].split(separator: "/").last!)
            disk.setReadFaults([FaultyStorage.ReadFault(pathSuffix: "t-0/" + name, range: 100..<101)])
            let partition = try log.partition(image.topic, 0)
            var failed = 0
            for (base, original) in image.batches[0] {
                do {
                    let fetch = try partition.read(from: base, maxBytes: 1)
                    let served = FaultyStorage.batchRanges(in: fetch.records).first.map { Array(fetch.records[$0]) } ?? []
                    if served != original { failures.record("sealed segment: read from \(base) served different bytes") }
                } catch {
                    failed += 1
                    if !(error is LogError) {
                        failures.record("sealed segment: read from \(base) threw \(type(of: error)) (\(error)), not a LogError (Kafka code 56 KAFKA_STORAGE_ERROR)")
                    }
                }
            }
            if failed == 0 { failures.record("sealed segment: no read hit the unreadable sector") }
            let other = try readValidated(try log.partition(image.topic, 1))
            if other.records.map(\.record) != image.sent[1] { failures.record("sealed segment: partition 1 changed") }
        }
        // 2. The active segment of partition 0 during recovery after an unclean stop.
        do {
            let disk = image.storage.clone()
            let name = String(logs.last!.split(separator: "/").last!)
            disk.setReadFaults([FaultyStorage.ReadFault(pathSuffix: "t-0/" + name, range: 0..<1)])
            do {
                let log = try FaultTests.openLog(disk, clock: image.clock)
                defer { log.abandonForTesting() }
                let other = try readValidated(try log.partition(image.topic, 1))
                if other.records.map(\.record) != image.sent[1] { failures.record("recovery: partition 1 changed") }
            } catch {
                failures.record("recovery: one unreadable sector in \(image.topic)-0's active segment makes the whole data directory fail to open (other partitions unavailable): \(error)")
            }
        }
        failures.report(runs: 2)
    }
}
