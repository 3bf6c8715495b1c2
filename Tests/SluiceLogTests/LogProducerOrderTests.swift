import Foundation
import Testing

@testable import SluiceLog

/// Records one thread sends to one partition must be stored in send order (Kafka keeps
/// per-partition order for a producer; the README's tour and `LogProducerTests` rely on it).
///
/// Regression test. `LogProducer` used to seal a batch under its lock but compress and queue it
/// after unlocking, on whichever thread sealed it: the writer thread (linger expiry) or the
/// sender (`send` filling a batch, `flush`). Two batches of one partition sealed by different
/// threads could then be queued, and written, in the opposite order. The kill -9 crash loop
/// found this (`LogCrashLoopTests`); this test reproduced it in every standalone run by keeping
/// both sealers busy: linger 0 (the writer seals whatever is open on every turn) and 512-byte
/// batches (`send` seals one every few dozen records). The race needs the two threads to run in
/// parallel, so on a loaded machine (the whole suite on two cores) it may not show.
@Suite("Producer: per-partition send order")
struct LogProducerOrderTests {
    @Test func oneSendersRecordsStayInSendOrder() throws {
        // The race is timing-dependent: up to three rounds, stopping at the first inversion.
        for round in 1...3 {
            let dir = TemporaryDirectory("sluice-producer-order")
            var options = LogManager.Options()
            options.backgroundTasks = false
            let log = try LogManager(directory: dir.path, options: options)
            try log.createTopic("ordered", partitions: 1, configs: ["durability": "none"])
            var configuration = LogProducerConfiguration()
            configuration.lingerMs = 0
            configuration.batchSize = 512
            let producer = LogProducer(log: log, configuration: configuration)
            let count = 60_000
            for i in 0..<count {
                try producer.send(topic: "ordered", partition: 0, record: Record(value: Array(String(i).utf8), timestamp: 0))
                if i % 101 == 0 { try producer.flush() }
            }
            try producer.close()
            let stored = try readAll(try log.partition("ordered", 0))
            try log.close()
            let sent = stored.map { Int(String(decoding: $0.record.value ?? [], as: UTF8.self)) ?? -1 }
            #expect(sent.count == count)
            let inversions = sent.indices.dropFirst().filter { sent[$0] < sent[$0 - 1] }
            if let first = inversions.first {
                Issue.record(
                    "round \(round): record \(sent[first]) was stored at offset \(stored[first].offset), after record \(sent[first - 1]) (offset \(stored[first - 1].offset)): the producer wrote a partition's batches out of send order (\(inversions.count) inversions in \(count) records)"
                )
                return
            }
        }
    }
}
