import SluiceClient
import SluiceGroups
import SluiceLog
import Testing

/// A poll reads about what its records take, not a whole `max.partition.fetch.bytes`: the
/// consumer learns each partition's bytes per record from its last fetch. Reading, checking
/// and copying a megabyte for the one batch a small poll keeps would cost more than the batch.
@Suite("Fetch size")
struct FetchSizeTests {
    @Test func pollsReadAboutWhatTheyKeepOnceTheRecordSizeIsKnown() throws {
        let directory = TemporaryDirectory("sluice-fetch")
        let reads = StorageObserver(pathContains: "/t-0/")
        var options = LogManager.Options()
        options.backgroundTasks = false
        let log = try LogManager(directory: directory.path, io: ObservedStorage(reads), options: options)
        // 200 stored batches of 100 records of about 200 bytes: about 21 kB each, 4 MB in all.
        _ = try log.createTopic("t", partitions: 1, configs: ["compression.type": "uncompressed"])
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 190)
        for batch in 0..<200 {
            let records = (0..<100).map { i in SluiceLog.Record(key: Array("k\(batch)-\(i)".utf8), value: value, timestamp: Int64(i)) }
            _ = try log.partition("t", 0).append(records: records)
        }
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        var configuration = ConsumerConfiguration(groupId: nil)
        configuration.maxPollRecords = 100
        configuration.autoOffsetReset = .earliest
        let consumer = try Consumer(backend: backend, configuration: configuration)
        try consumer.assign([TopicPartition("t", 0)])

        // The first read knows nothing of the records yet: up to max.partition.fetch.bytes.
        let first = reads.bytesRead
        var delivered = try consumer.poll(timeoutMs: 100).count
        #expect(reads.bytesRead - first > 500_000)
        let before = reads.bytesRead
        for _ in 0..<20 { delivered += try consumer.poll(timeoutMs: 100).count }
        let perPoll = (reads.bytesRead - before) / 20
        #expect(delivered == 21 * 100)
        #expect(try consumer.position(TopicPartition("t", 0)) == 2_100, "in order, none skipped")
        // 100 records take about 21 kB; a read asks for their bytes with a margin, and at least
        // 64 KiB. Without the estimate each poll would read 1 MiB.
        #expect(perPoll >= 21_000 && perPoll <= 64 * 1024 + 22_000, "\(perPoll) bytes read per poll")
        try consumer.close()
    }
}
