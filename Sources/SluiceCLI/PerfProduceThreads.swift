import ArgumentParser
import Foundation
import SluiceLog
import Synchronization

extension PerfCommand.Produce {
    /// The producer path of a pipeline's stream threads: `--threads` threads send their share of
    /// the records, through the shared `LogProducer.send` or (`--session`) a session each, and
    /// flush every `--flush-every` records as a stream thread does before it commits. Reports
    /// the rate; per-record latency is not measured on this path.
    func runThreads() throws {
        let payloads = try loadPayloads()
        let log = try openLog(dataDirectory, readOnly: false)
        defer { try? log.close() }
        if !log.topicNames(includeInternal: true).contains(topic) {
            try log.createTopic(topic, partitions: partitions, configs: try parseAssignments(configs, option: "--config"))
        }
        var configuration = LogProducerConfiguration()
        configuration.batchSize = batchSize
        configuration.lingerMs = lingerMs
        let producer = LogProducer(log: log, configuration: configuration)
        let (topic, count, threads, session, flushEvery, keyed) = (topic, numRecords, threads, session, flushEvery, keyed)
        let keys = (0..<1000).map { Array("key-\($0)".utf8) }
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchGroup()
        let start = DispatchClock.now
        for t in 0..<threads {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                let share = count / threads + (t < count % threads ? 1 : 0)
                let own = session ? producer.makeSession() : nil
                do {
                    for i in 0..<share {
                        let payload = payloads[i % payloads.count]
                        try payload.withUnsafeBytes { value in
                            try (keyed ? keys[i % keys.count] : []).withUnsafeBytes { key in
                                let key = keyed ? key : nil
                                if let own {
                                    try own.send(topic: topic, key: key, value: value)
                                } else {
                                    _ = try producer.send(topic: topic, key: key, value: value)
                                }
                            }
                        }
                        if flushEvery > 0 && (i + 1) % flushEvery == 0 {
                            if let own { try own.flush() } else { try producer.flush() }
                        }
                    }
                    if let own { try own.flush() } else { try producer.flush() }
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
            thread.name = "perf-producer-\(t)"
            thread.start()
        }
        done.wait()
        try producer.close()
        if let error = failure.withLock({ $0 }) { throw error }
        let seconds = Double(DispatchClock.now - start) / 1e9
        let bytes = (0..<count).reduce(0) { $0 + payloads[$1 % payloads.count].count }
        print(
            String(
                format: "%d records sent by %d thread(s)%@, %.1f records/sec (%.2f MB/sec), %.3f s.", count, threads,
                session ? " through a session each" : " through the shared producer", Double(count) / seconds,
                Double(bytes) / 1_048_576 / seconds, seconds))
    }
}
