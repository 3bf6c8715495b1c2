import Foundation
import SluiceClient
import SluiceLog

/// `sluice perf consume --group G`: the group-less consume benchmark's work (decompress, visit
/// every key and value) through a group member of `SluiceClient`, committing after every poll
/// as AckMode `batch` does, then a short run committing after every record to show what
/// batching commits saves. Reports throughput, and commit latency percentiles in the topic's
/// durability mode (`strict`: each commit is fsynced before it returns).
struct GroupConsumePerf {
    var dataDirectory: DataDirectoryOptions
    var topic: String
    var group: String
    var messages: Int?
    var fetchSize: Int

    func run() throws {
        let log = try openLog(dataDirectory, readOnly: false)
        defer { try? log.close() }
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        var configuration = ConsumerConfiguration(groupId: group)
        configuration.autoOffsetReset = .earliest
        configuration.maxPollRecords = .max
        configuration.fetchMaxBytes = fetchSize
        configuration.maxPartitionFetchBytes = fetchSize
        let consumer = try Consumer(backend: backend, configuration: configuration)
        try consumer.subscribe([topic])
        var total: Int64 = 0
        for p in 0..<Int32(try log.partitionCount(topic)) {
            let partition = try log.partition(topic, p)
            let committed = backend.coordinator.committedOffsets(groupId: group)[TopicPartition(topic, p)]?.offset
            total += partition.highWatermark - (committed ?? partition.logStartOffset)
        }
        let limit = min(Int64(messages ?? .max), total)

        let start = DispatchClock.now
        var count: Int64 = 0
        var valueBytes = 0
        var checksum: UInt64 = 0
        var commitNanos: [UInt64] = []
        var rebalanceNanos: UInt64 = 0
        var last: Int64 = 0
        let decoder = try RecordBatchDecoder()
        while count < limit {
            let records = try consumer.poll(timeoutMs: 1_000)
            if records.isEmpty {
                if count == 0 { rebalanceNanos = DispatchClock.now - start }
                continue
            }
            var done: [TopicPartition: Int64] = [:]
            for part in records.partitions {
                try part.forEach(decoder: decoder) { record in
                    guard count < limit else { return }
                    if let key = record.key, let first = key.first { checksum &+= UInt64(first) }
                    if let value = record.value {
                        valueBytes += value.count
                        if let last = value.last { checksum &+= UInt64(last) }
                    }
                    count += 1
                    last = record.offset
                }
                done[part.partition] = last + 1
            }
            consumer.markProcessed(done)
            let c0 = DispatchClock.now
            try consumer.commit()
            commitNanos.append(DispatchClock.now - c0)
        }
        let seconds = Double(DispatchClock.now - start) / 1e9
        let megabytes = Double(valueBytes) / 1_048_576
        print(
            String(
                format: "%lld records, %.1f records/sec, %.1f MB/sec of values, %d commits (one per poll), joined in %.0f ms (checksum %llu)",
                count, Double(count) / seconds, megabytes * 1.048576 / seconds, commitNanos.count, Double(rebalanceNanos) / 1e6, checksum))
        print("commit latency per poll: \(percentiles(commitNanos))")

        // What a commit after every record would cost: rewind and commit one record at a time.
        let sample = 2_000
        var perRecord: [UInt64] = []
        let ends = try consumer.assignment.map { ($0, try log.partition($0.topic, $0.partition).highWatermark) }
        if let (tp, end) = ends.max(by: { $0.1 < $1.1 }), end > 0 {
            var offset = max(0, end - Int64(sample))
            while offset < end {
                offset += 1
                let c0 = DispatchClock.now
                try consumer.commit([tp: offset])
                perRecord.append(DispatchClock.now - c0)
            }
        }
        if !perRecord.isEmpty {
            let perRecordSeconds = Double(perRecord.reduce(0, +)) / 1e9
            print(
                String(
                    format: "commit after every record (%d commits on %@): %.0f commits/sec, latency %@",
                    perRecord.count, "\(topic)", Double(perRecord.count) / perRecordSeconds, percentiles(perRecord)))
            print(
                "batching commits per poll: \(count) records cost \(commitNanos.count) commit fsyncs instead of \(count) "
                    + "(\(count - Int64(commitNanos.count)) saved)")
        }
        try consumer.close()
    }

    private func percentiles(_ nanos: [UInt64]) -> String {
        guard !nanos.isEmpty else { return "-" }
        let sorted = nanos.sorted()
        func at(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6 }
        return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(0.5), at(0.99), at(1.0))
    }
}
