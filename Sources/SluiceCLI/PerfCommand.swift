import ArgumentParser
import Foundation
import SluiceLog
import Synchronization

struct PerfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Benchmarks in the shape of Kafka's perf-test tools. Build with -c release before measuring.",
        subcommands: [Produce.self, Consume.self, Restart.self, JSON.self]
    )

    struct Produce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append records as fast as possible (or at --throughput) and report rate, latency and compression.")

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic (created when missing).") var topic: String
        @Option(name: .customLong("num-records"), help: "How many records to send.") var numRecords: Int
        @Option(name: .customLong("record-size"), help: "Size of each record's value (random letters).") var recordSize: Int?
        @Option(name: .customLong("payload-file"), help: "Send the lines of this file as values, in order, cycling.") var payloadFile: String?
        @Option(help: "Records per second to aim for; -1 for no limit.") var throughput: Int = -1
        @Option(help: "Partitions when the topic is created.") var partitions: Int = 1
        @Option(name: .customLong("config"), help: ArgumentHelp("Topic config when created, key=value.", valueName: "key=value"))
        var configs: [String] = []
        @Option(name: .customLong("batch-size"), help: "Producer batch size in bytes.") var batchSize: Int = 1 << 20
        @Option(name: .customLong("linger-ms"), help: "Producer linger.ms.") var lingerMs: Int = 5
        @Option(help: "Sending threads, sharing one producer (the records are split between them).") var threads: Int = 1
        @Flag(help: "Send through a producer session per thread (batches held by the thread, flushed every --flush-every records).")
        var session = false
        @Option(name: .customLong("flush-every"), help: "With --threads or --session: each thread flushes after this many records (0: only at the end).")
        var flushEvery: Int = 0
        @Flag(help: "Key records by `key-<n % 1000>` (murmur2 partitioning, as a pipeline's outputs).") var keyed = false

        func validate() throws {
            if (recordSize == nil) == (payloadFile == nil) { throw ValidationError("give exactly one of --record-size and --payload-file") }
            if numRecords < 1 { throw ValidationError("--num-records must be at least 1") }
            if let recordSize, recordSize < 0 { throw ValidationError("--record-size must not be negative") }
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            if threads > 1 || session || keyed || flushEvery > 0 { return try runThreads() }
            let payloads = try loadPayloads()
            let log = try openLog(dataDirectory, readOnly: false)
            defer { try? log.close() }
            if !log.topicNames(includeInternal: true).contains(topic) {
                try log.createTopic(topic, partitions: partitions, configs: try parseAssignments(configs, option: "--config"))
            }
            let before = try log.describeTopic(topic).partitions.reduce(Int64(0)) { $0 + $1.sizeInBytes }
            let latencies = Mutex<[UInt32]>([])
            latencies.withLock { $0.reserveCapacity(numRecords) }
            var configuration = LogProducerConfiguration()
            configuration.batchSize = batchSize
            configuration.lingerMs = lingerMs
            configuration.recordSendTimes = true
            configuration.onAcknowledged = { ack in
                latencies.withLock { all in
                    for sent in ack.sendTimesNanos { all.append(UInt32(min((ack.acknowledgedAtNanos &- sent) / 1000, UInt64(UInt32.max)))) }
                }
            }
            let producer = LogProducer(log: log, configuration: configuration)
            // Property wrappers cost a metadata lookup per access: read them once.
            let (topic, count, throughput) = (self.topic, self.numRecords, self.throughput)
            let start = DispatchClock.now
            var rawBytes = 0
            var lastReport = start
            var reportedRecords = 0
            for i in 0..<count {
                let payload = payloads[i % payloads.count]
                _ = try payload.withUnsafeBytes { try producer.send(topic: topic, key: nil, value: $0) }
                rawBytes += payload.count
                if throughput > 0 {
                    let due = start + UInt64(Double(i + 1) / Double(throughput) * 1e9)
                    let now = DispatchClock.now
                    if due > now { usleep(UInt32((due - now) / 1000)) }
                }
                if i & 0xfff == 0 {
                    let now = DispatchClock.now
                    if now - lastReport >= 5_000_000_000 {
                        let window = latencies.withLock { Array($0[min(reportedRecords, $0.count)...]) }
                        report(records: i + 1 - reportedRecords, bytes: 0, seconds: Double(now - lastReport) / 1e9, latencies: window, final: false)
                        reportedRecords = i + 1
                        lastReport = now
                    }
                }
            }
            try producer.close()
            let seconds = Double(DispatchClock.now - start) / 1e9
            var all = latencies.withLock { $0 }
            all.sort()
            report(records: numRecords, bytes: rawBytes, seconds: seconds, latencies: all, final: true)
            let after = try log.describeTopic(topic).partitions.reduce(Int64(0)) { $0 + $1.sizeInBytes }
            let stored = Double(after - before)
            print(
                String(
                    format: "on disk: %.1f MB for %.1f MB of values (ratio %.2f, %.1f%% of raw); compression.type=%@, durability=%@",
                    stored / 1e6, Double(rawBytes) / 1e6, Double(rawBytes) / max(stored, 1), stored / Double(max(rawBytes, 1)) * 100,
                    try log.describeTopic(topic).config.compression.rawValue, try log.describeTopic(topic).config.durability.rawValue))
        }

        private func report(records: Int, bytes: Int, seconds: Double, latencies: [UInt32], final: Bool) {
            let rate = Double(records) / seconds
            let megabytes = Double(bytes) / 1_048_576 / seconds
            let avg = latencies.isEmpty ? 0 : Double(latencies.reduce(0) { $0 + Int($1) }) / Double(latencies.count) / 1000
            let sorted = final ? latencies : latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
            }
            let maxLatency = Double(sorted.last ?? 0) / 1000
            if final {
                print(
                    String(
                        format: "%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.",
                        records, rate, megabytes, avg, maxLatency, percentile(0.5), percentile(0.95), percentile(0.99), percentile(0.999)))
            } else {
                print(
                    String(
                        format: "%d records sent, %.1f records/sec, %.1f ms avg latency, %.1f ms max latency.", records, rate, avg,
                        maxLatency))
            }
        }

        func loadPayloads() throws -> [[UInt8]] {
            if let payloadFile {
                guard let data = FileManager.default.contents(atPath: payloadFile) else {
                    throw CLIError("cannot read --payload-file \(payloadFile)")
                }
                let lines: [[UInt8]] = data.withUnsafeBytes { raw in
                    var out: [[UInt8]] = []
                    var start = 0
                    while start < raw.count {
                        let end = raw[start...].firstIndex(of: 0x0a) ?? raw.count
                        if end > start { out.append([UInt8](UnsafeRawBufferPointer(rebasing: raw[start..<end]))) }
                        start = end + 1
                    }
                    return out
                }
                guard !lines.isEmpty else { throw CLIError("--payload-file \(payloadFile) has no lines") }
                return lines
            }
            var generator = SystemRandomNumberGenerator()
            let size = recordSize ?? 100
            return [(0..<size).map { _ in UInt8.random(in: 65...90, using: &generator) }]
        }
    }

    struct Consume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a topic from the beginning, decompressing and visiting every record's key and value.")

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic.") var topic: String
        @Option(help: "Stop after this many records (default: everything stored).") var messages: Int?
        @Option(name: .customLong("fetch-size"), help: "Bytes per read.") var fetchSize: Int = 4 << 20
        @Option(
            help: ArgumentHelp(
                "Consume as a member of this consumer group (from its committed offsets, else the beginning), committing after every poll; also measures commit latency.",
                valueName: "group"))
        var group: String?

        func run() throws {
            if let group {
                try GroupConsumePerf(dataDirectory: dataDirectory, topic: topic, group: group, messages: messages, fetchSize: fetchSize).run()
                return
            }
            let log = try openLog(dataDirectory, readOnly: true)
            let partitions = try (0..<Int32(log.partitionCount(topic))).map { try log.partition(topic, $0) }
            let limit = messages ?? Int.max
            let decoder = try RecordBatchDecoder()
            let start = DispatchClock.now
            var count = 0
            var valueBytes = 0
            var storedBytes = 0
            var checksum: UInt64 = 0
            var fetchTime: UInt64 = 0
            outer: for p in partitions {
                var next = p.logStartOffset
                while next < p.highWatermark {
                    let t0 = DispatchClock.now
                    let fetch = try p.read(from: next, maxBytes: fetchSize)
                    fetchTime += DispatchClock.now - t0
                    storedBytes += fetch.records.count
                    try fetch.records.withUnsafeBytes { raw in
                        _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                            try decoder.forEachRecord(in: batch, header: header) { record in
                                guard record.offset >= next, count < limit else { return }
                                // Visit key and value so nothing is optimised away.
                                if let key = record.key, let first = key.first { checksum &+= UInt64(first) }
                                if let value = record.value {
                                    valueBytes += value.count
                                    if let last = value.last { checksum &+= UInt64(last) }
                                }
                                count += 1
                            }
                            next = max(next, header.nextOffset)
                        }
                    }
                    if count >= limit { break outer }
                }
            }
            let seconds = Double(DispatchClock.now - start) / 1e9
            let megabytes = Double(valueBytes) / 1_048_576
            print("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
            let fetchSeconds = Double(fetchTime) / 1e9
            print(
                String(
                    format: "-, -, %.4f, %.4f, %d, %.4f, 0, %d, %.4f, %.4f", megabytes, megabytes / seconds, count, Double(count) / seconds,
                    Int(fetchSeconds * 1000), megabytes / max(fetchSeconds, 1e-9), Double(count) / max(fetchSeconds, 1e-9)))
            print(
                String(
                    format: "%d records, %.1f records/sec, %.1f MB/sec of values decompressed from %.1f MB stored (checksum %llu)", count,
                    Double(count) / seconds, megabytes * 1.048576 / seconds, Double(storedBytes) / 1e6, checksum))
        }
    }

    struct Restart: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time opening the data directory: a clean restart, or with --unclean a full recovery scan.",
            discussion: """
                --unclean removes the clean-shutdown marker and the recovery checkpoint first, as a crash \
                before any checkpoint would, so every segment is validated batch by batch (CRC-32C, \
                lengths, offsets). The directory is closed cleanly again afterwards.
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Flag(help: "Force a full validation scan, as after a crash.") var unclean = false

        func run() throws {
            let path = dataDirectory.path
            if unclean {
                for name in [".sluice_cleanshutdown", "recovery-point-offset-checkpoint"] {
                    try? FileManager.default.removeItem(atPath: path + "/" + name)
                }
            }
            let start = DispatchClock.now
            let log = try openLog(dataDirectory, readOnly: false)
            let seconds = Double(DispatchClock.now - start) / 1e9
            var bytes: Int64 = 0
            var segments = 0
            for topic in log.topicNames(includeInternal: true) {
                for p in try log.describeTopic(topic).partitions {
                    bytes += p.sizeInBytes
                    segments += p.segmentCount
                }
            }
            try log.close()
            print(
                String(
                    format: "%@ restart: opened %.1f MB in %d segments in %.3f s (%.0f MB/s)", unclean ? "unclean" : "clean",
                    Double(bytes) / 1e6, segments, seconds, Double(bytes) / 1e6 / max(seconds, 1e-9)))
        }
    }
}
