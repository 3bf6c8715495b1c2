// `SluiceTestWorker log-append`: the child of the log's kill -9 crash loop (reliability plan D1).
//
//     SluiceTestWorker log-append --data-dir D --generation G [--topic T] [--partitions N]
//         [--config key=value ...] [--writers N] [--producers N] [--max-records N]
//         [--producer-batch-bytes B] [--seed S] [--run-ms MS] [--max-runtime-ms MS]
//
// Opens D read-write (running recovery), creates T with N partitions and the given configs if
// it does not exist, then appends until killed:
//
// - `--writers` threads call `Partition.append` directly, each on random partitions: one batch
//   through `append(records:)`, or 2–3 zstd batches in one `append(_:)` call, or one uncompressed
//   batch (which the log transcodes to the topic's zstd);
// - `--producers` threads each send through their own batching `LogProducer`, with an explicit
//   partition per record, flushing now and then.
//
// Every record is `CrashRecords.record(generation:source:partition:seq:)`, with `seq` counting
// 0, 1, 2, … per (source, partition) within this run. Lines on stdout (see main.swift):
//
//     end <topic> <partition> <logStartOffset> <logEndOffset> <highWatermark>
//                           once per partition, after the open (recovery) and before appending
//     ready <pid>           after the `end` lines
//     ack <topic> <partition> <baseOffset> <lastOffset> <source> <firstSeq> <count> <hash>
//                           an append that returned (a writer) or whose acknowledgement
//                           callback ran (a producer): records firstSeq..<firstSeq+count of
//                           <source> at offsets baseOffset...lastOffset; <hash> is
//                           `CrashRecords.contentHash` of their values, 16 hex digits. A writer
//                           reports what it appended; a producer, whose callback names no
//                           records, reports what it reads back from the acknowledged offsets
//     done                  with --run-ms: stopped appending and closed the log cleanly
//
// Without --run-ms it appends until killed, or fails after --max-runtime-ms (default 120 s) so
// a lost parent never leaves it running.

import SluiceTestSupport
import Dispatch
import Foundation
import SluiceLog
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum LogAppendCommand {
    struct Settings: Sendable {
        var dataDirectory: String
        var generation: Int
        var topic: String
        var partitions: Int
        var configs: [String: String]
        var writers: Int
        var producers: Int
        var maxRecords: Int
        var producerBatchBytes: Int
        var seed: UInt64
        var runMs: Int
        var maxRuntimeMs: Int
    }

    static func run(_ arguments: [String]) throws {
        let options = try Options(
            arguments,
            known: [
                "data-dir", "generation", "topic", "partitions", "config", "writers", "producers", "max-records",
                "producer-batch-bytes", "seed", "run-ms", "max-runtime-ms",
            ])
        var configs: [String: String] = [:]
        for pair in options.all("config") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw UsageError(message: "--config takes key=value, got '\(pair)'") }
            configs[String(parts[0])] = String(parts[1])
        }
        let settings = Settings(
            dataDirectory: try options.string("data-dir"), generation: try options.int("generation"),
            topic: options.string("topic", default: "crash"), partitions: try options.int("partitions", default: 8), configs: configs,
            writers: try options.int("writers", default: 4), producers: try options.int("producers", default: 1),
            maxRecords: try options.int("max-records", default: 20), producerBatchBytes: try options.int("producer-batch-bytes", default: 4096),
            seed: try options.uint64("seed", default: 1), runMs: try options.int("run-ms", default: 0),
            maxRuntimeMs: try options.int("max-runtime-ms", default: 120_000))
        guard settings.partitions >= 1, settings.writers >= 0, settings.producers >= 0, settings.writers + settings.producers >= 1,
            settings.maxRecords >= 1
        else {
            throw UsageError(message: "need --partitions ≥ 1, --max-records ≥ 1 and at least one writer or producer")
        }
        try run(settings)
    }

    static func run(_ settings: Settings) throws {
        let log = try LogManager(directory: settings.dataDirectory)
        if !log.topicNames(includeInternal: true).contains(settings.topic) {
            try log.createTopic(settings.topic, partitions: settings.partitions, configs: settings.configs)
        }
        let count = try log.partitionCount(settings.topic)
        guard count == settings.partitions else {
            Output.fail("topic \(settings.topic) has \(count) partitions, expected \(settings.partitions)")
        }
        var partitions: [Partition] = []
        for id in 0..<Int32(count) {
            let partition = try log.partition(settings.topic, id)
            Output.line(
                "end \(settings.topic) \(id) \(partition.logStartOffset) \(partition.logEndOffset) \(partition.highWatermark)")
            partitions.append(partition)
        }
        Output.line("ready \(getpid())")

        let finished = DispatchGroup()
        let flag = StopFlag()
        var producers: [LogProducer] = []
        for index in 0..<settings.writers {
            finished.enter()
            let thread = Thread { [partitions] in
                defer { finished.leave() }
                do {
                    try writerLoop(index: index, partitions: partitions, settings: settings, stop: flag)
                } catch {
                    Output.fail("writer w\(index): \(error)")
                }
            }
            thread.name = "crash-writer-\(index)"
            thread.start()
        }
        for index in 0..<settings.producers {
            let source = "p\(index)"
            var configuration = LogProducerConfiguration()
            configuration.batchSize = settings.producerBatchBytes
            configuration.lingerMs = 2
            configuration.bufferMemory = 16 * settings.producerBatchBytes
            configuration.onAcknowledged = { [partitions] ack in
                let last = ack.baseOffset + Int64(ack.recordCount) - 1
                do {
                    let (first, hash) = try readBack(
                        partitions[Int(ack.partition)], baseOffset: ack.baseOffset, count: ack.recordCount, source: source,
                        generation: settings.generation)
                    Output.line("ack \(ack.topic) \(ack.partition) \(ack.baseOffset) \(last) \(source) \(first) \(ack.recordCount) \(hex(hash))")
                } catch {
                    Output.fail("producer \(source): reading back its acknowledged batch \(ack.partition)@\(ack.baseOffset)...\(last): \(error)")
                }
            }
            let producer = LogProducer(log: log, configuration: configuration)
            producers.append(producer)
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                do {
                    try producerLoop(index: index, producer: producer, settings: settings, stop: flag)
                } catch {
                    Output.fail("producer \(source): \(error)")
                }
            }
            thread.name = "crash-producer-\(index)"
            thread.start()
        }

        let started = monotonicMilliseconds()
        if settings.runMs > 0 {
            usleep(UInt32(settings.runMs) * 1000)
            flag.set()
            finished.wait()
            for producer in producers { try producer.close() }
            try log.close()
            Output.line("done")
            return
        }
        while monotonicMilliseconds() - started < Int64(settings.maxRuntimeMs) { usleep(100_000) }
        Output.fail("log-append ran \(settings.maxRuntimeMs) ms without being killed; giving up")
    }

    /// Appends straight to partitions, one call at a time, reporting each acknowledged append.
    static func writerLoop(index: Int, partitions: [Partition], settings: Settings, stop: StopFlag) throws {
        var random = SplitMix64(seed: settings.seed &+ UInt64(index + 1) &* 0x2545_F491_4F6C_DD1D)
        let source = "w\(index)"
        var next = [Int](repeating: 0, count: partitions.count)
        let zstd = try RecordBatchEncoder(compression: .zstd)
        let uncompressed = try RecordBatchEncoder(compression: .none)
        while !stop.isSet {
            let id = Int.random(in: 0..<partitions.count, using: &random)
            let partition = partitions[id]
            let mode = random.next() % 4  // 0, 1: append(records:); 2: several zstd batches; 3: one uncompressed batch
            let batches = mode == 2 ? Int.random(in: 2...3, using: &random) : 1
            let first = next[id]
            var seq = first
            var records: [Record] = []
            var payload: [UInt8] = []
            for _ in 0..<batches {
                let now = LogManager.systemClock()
                var builder = RecordBatchBuilder()
                for _ in 0..<Int.random(in: 1...settings.maxRecords, using: &random) {
                    let record = CrashRecords.record(
                        generation: settings.generation, source: source, partition: Int32(id), seq: seq, timestamp: now)
                    builder.append(record)
                    records.append(record)
                    seq += 1
                }
                if mode >= 2 { try (mode == 3 ? uncompressed : zstd).encode(builder, into: &payload) }
            }
            let result = mode < 2 ? try partition.append(records: records) : try partition.append(payload)
            guard result.recordCount == records.count, result.lastOffset - result.baseOffset + 1 == Int64(records.count) else {
                Output.fail("\(source): append of \(records.count) records to partition \(id) returned \(result)")
            }
            let hash = CrashRecords.contentHash(valueHashes: records.map { CrashRecords.fnv1a($0.value ?? []) })
            Output.line(
                "ack \(settings.topic) \(id) \(result.baseOffset) \(result.lastOffset) \(source) \(first) \(records.count) \(hex(hash))")
            next[id] = seq
        }
    }

    /// Sends through a `LogProducer`; its acknowledgement callback reports the acks.
    static func producerLoop(index: Int, producer: LogProducer, settings: Settings, stop: StopFlag) throws {
        var random = SplitMix64(seed: settings.seed &+ UInt64(1000 + index) &* 0x2545_F491_4F6C_DD1D)
        let source = "p\(index)"
        var next = [Int](repeating: 0, count: settings.partitions)
        while !stop.isSet {
            let id = Int.random(in: 0..<settings.partitions, using: &random)
            let now = LogManager.systemClock()
            for _ in 0..<Int.random(in: 1...settings.maxRecords, using: &random) {
                let record = CrashRecords.record(
                    generation: settings.generation, source: source, partition: Int32(id), seq: next[id], timestamp: now)
                try producer.send(topic: settings.topic, partition: Int32(id), record: record)
                next[id] += 1
            }
            if random.next() % 32 == 0 { try producer.flush() }
        }
    }

    /// Which records a producer acknowledgement covers. The callback does not name them, so the
    /// acknowledged batch is read back (which also holds when a producer reorders batches): it
    /// must be `count` consecutive records of `source` from this run. The parent then checks that
    /// what was there at acknowledgement is there after the kill and recovery.
    /// - Returns: the first record's seq and the batch's `CrashRecords.contentHash`.
    static func readBack(
        _ partition: Partition, baseOffset: Int64, count: Int, source: String, generation: Int
    ) throws -> (firstSeq: Int, hash: UInt64) {
        let fetch = try partition.read(from: baseOffset, maxBytes: 1 << 20)
        let decoder = try RecordBatchDecoder()
        var seqs: [Int] = []
        var hashes: [UInt64] = []
        var problem: String?
        try fetch.records.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                guard seqs.isEmpty, problem == nil else { return }
                guard header.baseOffset == baseOffset, Int(header.recordsCount) == count else {
                    problem = "found a batch at \(header.baseOffset) of \(header.recordsCount) records"
                    return
                }
                try decoder.forEachRecord(in: batch, header: header) { view in
                    let value = view.value.map { [UInt8]($0) } ?? []
                    guard let identity = CrashRecords.identity(of: value), identity.generation == generation,
                        identity.source == source, identity.partition == partition.id
                    else {
                        problem = "offset \(view.offset) holds \(String(decoding: value.prefix(40), as: UTF8.self))"
                        return
                    }
                    seqs.append(identity.seq)
                    hashes.append(CrashRecords.fnv1a(value))
                }
            }
        }
        if let problem { throw UsageError(message: problem) }
        guard let first = seqs.first, seqs == Array(first..<(first + count)) else {
            throw UsageError(message: "the batch holds seqs \(seqs), not \(count) consecutive ones")
        }
        return (first, CrashRecords.contentHash(valueHashes: hashes))
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// `SluiceTestWorker log-dump --data-dir D [--topic T] --partition P [--from O] [--count N]`:
/// prints the records of a partition, one line each (`<offset> <batch base offset> <value
/// prefix>`), from a read-only open. For looking into a data directory a crash test kept.
enum LogDumpCommand {
    static func run(_ arguments: [String]) throws {
        let options = try Options(arguments, known: ["data-dir", "topic", "partition", "from", "count"])
        let log = try LogManager(directory: try options.string("data-dir"), readOnly: true)
        let partition = try log.partition(options.string("topic", default: "crash"), Int32(try options.int("partition")))
        var cursor = Int64(try options.int("from", default: 0))
        let last = cursor + Int64(try options.int("count", default: Int(Int32.max)))
        let decoder = try RecordBatchDecoder()
        print("# \(partition.topic)-\(partition.id): start \(partition.logStartOffset), end \(partition.logEndOffset)")
        while cursor < min(partition.highWatermark, last) {
            let fetch = try partition.read(from: cursor, maxBytes: 1 << 20)
            try fetch.records.withUnsafeBytes { raw in
                _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                    try decoder.forEachRecord(in: batch, header: header) { view in
                        guard view.offset >= cursor, view.offset < last else { return }
                        let value = view.value.map { String(decoding: $0.prefix(40), as: UTF8.self) } ?? "null"
                        print("\(view.offset) \(header.baseOffset) \(value)")
                    }
                    cursor = max(cursor, header.nextOffset)
                }
            }
        }
        try log.close()
    }
}
