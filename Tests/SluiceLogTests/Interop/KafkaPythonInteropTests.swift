import SluiceTestSupport
import Foundation
import Testing

@testable import SluiceLog

/// Third-party proof of the on-disk format: kafka-python's own RecordBatch parser
/// (`kafka.record.MemoryRecords`) reads the `.log` files Sluice writes, and Sluice stores and
/// serves batches kafka-python's `DefaultRecordBatchBuilder` builds. kafka-python is required:
/// without it these tests fail (CI installs it).
@Suite("kafka-python interop")
struct KafkaPythonInteropTests {
    struct Variant: Sendable, CustomTestStringConvertible {
        var name: String
        var configs: [String: String]
        var codec: String
        var logAppendTime: Bool
        /// Segment files the topic must have in total, so rolling is really exercised (each
        /// partition gets two batches of 100 KB, each larger than a 16 KiB segment).
        var minSegments: Int
        var testDescription: String { name }
    }

    static let variants: [Variant] = [
        Variant(name: "zstd", configs: ["compression.type": "zstd"], codec: "zstd", logAppendTime: false, minSegments: 3),
        Variant(
            name: "uncompressed", configs: ["compression.type": "uncompressed"], codec: "none", logAppendTime: false, minSegments: 3),
        Variant(
            name: "zstd, 16 KiB segments", configs: ["compression.type": "zstd", "segment.bytes": "16384", "index.interval.bytes": "512"],
            codec: "zstd", logAppendTime: false, minSegments: 9),
        Variant(
            name: "uncompressed, 16 KiB segments",
            configs: ["compression.type": "uncompressed", "segment.bytes": "16384", "index.interval.bytes": "512"], codec: "none",
            logAppendTime: false, minSegments: 9),
        Variant(
            name: "zstd, LogAppendTime, 16 KiB segments",
            configs: ["compression.type": "zstd", "segment.bytes": "16384", "message.timestamp.type": "LogAppendTime"], codec: "zstd",
            logAppendTime: true, minSegments: 9),
    ]

    static let appendTime: Int64 = 1_750_000_123_456
    static let partitions = 3

    /// Appends a varied workload through `Partition.append(records:)` and `LogProducer`, closes
    /// the log, and has kafka-python check every segment file of the topic.
    @Test(arguments: KafkaPythonInteropTests.variants)
    func kafkaPythonReadsEverySegmentSluiceWrote(_ variant: Variant) throws {
        try KafkaPython.require()
        let dir = TemporaryDirectory("sluice-interop")
        let log = try LogManager(directory: dir.path, clock: { Self.appendTime }, options: noBackground)
        try log.createTopic("interop", partitions: Self.partitions, configs: variant.configs)
        var expected = [[Expected]](repeating: [], count: Self.partitions)
        var random = SplitMix64(seed: 0x5EED_0000 &+ UInt64(variant.name.utf8.count))

        // 1. Direct appends: one batch per call, with every edge the format has.
        for p in 0..<Self.partitions {
            let partition = try log.partition("interop", Int32(p))
            var batches: [[Record]] = [Self.edgeCases(partition: p, random: &random)]
            batches.append([
                Record(key: Array("big-random-\(p)".utf8), value: random.bytes(100_000), timestamp: 1_700_000_500_000)
            ])
            batches.append([
                Record(
                    key: nil, value: Array(repeating: UInt8(ascii: "a") + UInt8(p), count: 102_400),
                    headers: [RecordHeader(key: "size", value: Array("100KiB".utf8))], timestamp: 1_700_000_500_001),
                Record(key: Array("after-big".utf8), value: [], timestamp: 1_700_000_500_002),
            ])
            var next = 0
            for size in [1, 2, 7, 64, 500] {
                batches.append(Self.smallRecords(size, from: next, partition: p))
                next += size
            }
            for batch in batches {
                let result = try partition.append(records: batch)
                #expect(result.baseOffset == Int64(expected[p].count))
                #expect(result.recordCount == batch.count)
                expected[p] += batch.map { Expected(record: $0, byKey: false) }
            }
        }

        // 2. Through the batching producer: keyed records (murmur2 picks the partition), records
        //    for an explicit partition, large ones, with and without headers.
        var configuration = LogProducerConfiguration()
        configuration.batchSize = 8 << 10
        // Batches are sealed only when full or flushed, on this thread: no linger expiry on the
        // writer thread, so the order of batches per partition is the send order.
        configuration.lingerMs = 600_000
        let producer = LogProducer(log: log, configuration: configuration)
        for i in 0..<1_500 {
            let key = Array("customer-\(i % 41)".utf8)
            var headers: [RecordHeader] = []
            if i % 3 == 0 { headers = [RecordHeader(key: "trace", value: random.bytes(i % 17)), RecordHeader(key: "gone", value: nil)] }
            let record = Record(
                key: key, value: Array("{\"order\":\(i),\"amount\":\(i * 37 % 1000)}".utf8), headers: headers,
                timestamp: 1_700_001_000_000 + Int64(i * 13 % 997))
            try producer.send(topic: "interop", record: record)
            expected[Int(Partitioner.partition(forKey: key, partitionCount: Self.partitions))].append(Expected(record: record, byKey: true))
        }
        for i in 0..<300 {
            let p = i % Self.partitions
            let value: [UInt8]? = i % 10 == 0 ? nil : (i % 10 == 1 ? [] : random.bytes(i % 200))
            let record = Record(key: nil, value: value, timestamp: 1_700_002_000_000 + Int64(i))
            try producer.send(topic: "interop", partition: Int32(p), record: record)
            expected[p].append(Expected(record: record, byKey: false))
        }
        for i in 0..<4 {
            let key = Array("whale-\(i)".utf8)
            let record = Record(key: key, value: random.bytes(100_000 + i), timestamp: 1_700_003_000_000 + Int64(i))
            try producer.send(topic: "interop", record: record)
            expected[Int(Partitioner.partition(forKey: key, partitionCount: Self.partitions))].append(Expected(record: record, byKey: true))
        }
        try producer.flush()

        // 3. Direct appends again, after the producer's batches.
        for p in 0..<Self.partitions {
            let batch = Self.edgeCases(partition: p + 10, random: &random)
            let result = try log.partition("interop", Int32(p)).append(records: batch)
            #expect(result.baseOffset == Int64(expected[p].count))
            expected[p] += batch.map { Expected(record: $0, byKey: false) }
        }
        try producer.close()

        // Sluice itself reads back exactly what went in (so a mismatch below is kafka-python's view).
        for p in 0..<Self.partitions {
            let stored = try readAll(try log.partition("interop", Int32(p)))
            #expect(stored.map(\.offset) == Array(0..<Int64(expected[p].count)))
            let timestamps = expected[p].map { variant.logAppendTime ? Self.appendTime : $0.record.timestamp }
            #expect(stored.map(\.record.timestamp) == timestamps)
            #expect(stored.map { Record(key: $0.record.key, value: $0.record.value, headers: $0.record.headers, timestamp: 0) }
                == expected[p].map { Record(key: $0.record.key, value: $0.record.value, headers: $0.record.headers, timestamp: 0) })
        }
        try log.close()

        let total = expected.reduce(0) { $0 + $1.count }
        let output = try Self.verify(
            dataDirectory: dir.path, topic: "interop", partitions: expected, codec: variant.codec,
            timestampType: variant.logAppendTime ? "LogAppendTime" : "CreateTime",
            fixedTimestamp: variant.logAppendTime ? Self.appendTime : nil, minSegments: variant.minSegments, in: dir)
        #expect(output.stdout.contains("\(total) records"), "\(output)")
    }

    /// The reverse direction: batches built by kafka-python's `DefaultRecordBatchBuilder` (zstd
    /// and uncompressed) are appended with `Partition.append(_:)` and read back identically,
    /// byte for byte where the topic keeps the producer's codec.
    @Test func sluiceStoresBatchesKafkaPythonBuilt() throws {
        try KafkaPython.require()
        let dir = TemporaryDirectory("sluice-interop")
        var random = SplitMix64(seed: 42)
        let specs: [(codec: String, records: [Record])] = [
            ("zstd", Self.clickRecords(random: &random)),
            ("none", Self.binaryRecords(random: &random)),
            ("zstd", [Record(key: Array("large".utf8), value: Array(repeating: 0x42, count: 100_000), timestamp: 1_700_000_009_999)]),
        ]
        let builtPath = dir.path + "/built.bin"
        let specPath = dir.path + "/spec.json"
        let spec: [[String: Any]] = specs.map { spec in
            ["codec": spec.codec, "records": spec.records.map(Self.json)]
        }
        try JSONSerialization.data(withJSONObject: ["batches": spec]).write(to: URL(fileURLWithPath: specPath))
        let built = try KafkaPython.run(["-c", Self.builderScript, specPath, builtPath])
        try #require(built.succeeded, "kafka-python could not build the batches: \(built)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: builtPath)))
        let allRecords = specs.flatMap(\.records)

        // Sluice's decoder reads kafka-python's batches as they are.
        var codecs: [CompressionCodec?] = []
        try bytes.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, _ in codecs.append(header.compression) }
        }
        #expect(codecs == [.zstd, CompressionCodec.none, .zstd], "kafka-python fell back to another codec")
        #expect(try RecordBatchDecoder().records(in: bytes).map(\.record) == allRecords)

        let log = try LogManager(directory: dir.path + "/data", options: noBackground)
        let topics: [(name: String, compression: String, codec: String?)] = [
            ("as-sent", "producer", nil), ("to-zstd", "zstd", "zstd"), ("to-uncompressed", "uncompressed", "none"),
        ]
        for topic in topics {
            try log.createTopic(topic.name, partitions: 1, configs: ["compression.type": topic.compression])
            let partition = try log.partition(topic.name, 0)
            let first = try partition.append(bytes)
            #expect(first == AppendResult(baseOffset: 0, lastOffset: Int64(allRecords.count - 1), recordCount: allRecords.count))
            // Append again, one batch per call, so base offsets other than 0 are assigned too.
            _ = try bytes.withUnsafeBytes { raw in
                try RecordBatchDecoder.forEachBatch(in: raw) { _, batch in _ = try partition.append([UInt8](batch)) }
            }
            let stored = try readAll(partition)
            #expect(stored.map(\.offset) == Array(0..<Int64(2 * allRecords.count)))
            #expect(stored.map(\.record) == allRecords + allRecords)
            let fetched = try partition.read(from: 0, maxBytes: 1 << 24).records
            var storedCodecs: [CompressionCodec?] = []
            try fetched.withUnsafeBytes { raw in
                _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, _ in storedCodecs.append(header.compression) }
            }
            if let codec = topic.codec {
                #expect(storedCodecs.allSatisfy { $0?.description == (codec == "none" ? "uncompressed" : codec) }, "\(storedCodecs)")
            } else {
                // Kept as sent: the very bytes kafka-python built, but for the base offsets the log assigned.
                #expect(fetched == Self.withBaseOffsets(bytes + bytes, startingAt: 0))
            }
        }
        try log.close()

        // Persisted: the segment file of the producer-codec topic is kafka-python's bytes.
        let segment = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path + "/data/as-sent-0/00000000000000000000.log")))
        #expect(segment == Self.withBaseOffsets(bytes + bytes, startingAt: 0))
        let reopened = try LogManager(directory: dir.path + "/data", readOnly: true)
        for topic in topics {
            #expect(try readAll(try reopened.partition(topic.name, 0)).map(\.record) == allRecords + allRecords)
        }
        try reopened.close()

        // And full circle: kafka-python reads the segments back.
        for topic in topics {
            let expected = [(allRecords + allRecords).map { Expected(record: $0, byKey: false) }]
            try Self.verify(
                dataDirectory: dir.path + "/data", topic: topic.name, partitions: expected, codec: topic.codec, timestampType: "CreateTime",
                fixedTimestamp: nil, minSegments: 1, in: dir)
        }
    }

    /// The verifier must catch differences, or its "OK" means nothing: a wrong expectation is
    /// reported, and so is one flipped byte of a stored record (kafka-python's CRC check).
    @Test func verifierRejectsADamagedSegment() throws {
        try KafkaPython.require()
        let dir = TemporaryDirectory("sluice-interop")
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1, configs: ["compression.type": "uncompressed"])
        let batch = records(20)
        _ = try log.partition("t", 0).append(records: batch)
        try log.close()
        let expected = [batch.map { Expected(record: $0, byKey: false) }]
        try Self.verify(
            dataDirectory: dir.path, topic: "t", partitions: expected, codec: "none", timestampType: "CreateTime", fixedTimestamp: nil,
            minSegments: 1, in: dir)

        // A wrong expectation (one value, one header) is reported too.
        var wrong = expected
        wrong[0][5].record.value = Array("not what was appended".utf8)
        wrong[0][6].record.headers = [RecordHeader(key: "h", value: nil)]
        let mismatch = try Self.runVerifier(
            dataDirectory: dir.path, topic: "t", partitions: wrong, codec: "none", timestampType: "CreateTime", fixedTimestamp: nil,
            minSegments: 1, in: dir)
        #expect(mismatch.status == 1, "\(mismatch)")
        #expect(mismatch.stdout.contains("t-0 offset 5: value is"), "\(mismatch)")
        #expect(mismatch.stdout.contains("t-0 offset 6: headers is"), "\(mismatch)")

        let path = dir.path + "/t-0/00000000000000000000.log"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let output = try Self.runVerifier(
            dataDirectory: dir.path, topic: "t", partitions: expected, codec: "none", timestampType: "CreateTime", fixedTimestamp: nil,
            minSegments: 1, in: dir)
        #expect(output.status == 1, "\(output)")
        #expect(output.stdout.contains("CRC-32C does not validate"), "\(output)")
    }

    // MARK: Workload

    struct Expected {
        var record: Record
        /// Placed by the producer's murmur2 partitioner (kafka-python recomputes it).
        var byKey: Bool
    }

    /// One batch with every corner of the record format.
    static func edgeCases(partition p: Int, random: inout SplitMix64) -> [Record] {
        let t: Int64 = 1_700_000_000_000 + Int64(p) * 1_000
        let allBytes = (0...255).map { UInt8($0) }
        return [
            Record(key: nil, value: Array("null key \(p)".utf8), timestamp: t),
            Record(key: Array("tombstone-\(p)".utf8), value: nil, timestamp: t + 1),
            Record(key: nil, value: nil, timestamp: t + 2),
            Record(key: Array("empty-value".utf8), value: [], timestamp: t + 3),
            Record(key: [], value: Array("empty key".utf8), timestamp: t + 4),
            Record(key: [], value: [], timestamp: t + 5),
            Record(key: allBytes, value: allBytes.reversed(), timestamp: t + 6),
            Record(key: random.bytes(33), value: random.bytes(777), timestamp: t - 5_000),  // negative timestamp delta
            Record(
                key: Array("headers".utf8), value: Array("v".utf8),
                headers: [
                    RecordHeader(key: "null-value", value: nil),
                    RecordHeader(key: "empty-value", value: []),
                    RecordHeader(key: "binary", value: allBytes),
                    RecordHeader(key: "dup", value: [1]),
                    RecordHeader(key: "dup", value: [2]),
                    RecordHeader(key: "", value: Array("empty key".utf8)),
                    RecordHeader(key: "ключ-ü-🔑", value: Array("unicode header key".utf8)),
                ], timestamp: t + 7),
            Record(key: Array("ts-zero".utf8), value: Array("epoch".utf8), timestamp: 0),
            Record(key: Array("ts-future".utf8), value: Array("far".utf8), timestamp: 4_102_444_800_000),
            Record(key: Array("🙂 utf8 key".utf8), value: Array("{\"json\":true,\"ü\":\"ß\"}".utf8), timestamp: t + 9),
            Record(key: random.bytes(1), value: random.bytes(4_000), headers: [RecordHeader(key: "n", value: random.bytes(300))], timestamp: t + 10),
        ]
    }

    static func smallRecords(_ count: Int, from start: Int, partition p: Int) -> [Record] {
        var out: [Record] = []
        for i in start..<(start + count) {
            let key: [UInt8]? = i % 5 == 0 ? nil : Array("k\(i % 13)".utf8)
            let headers: [RecordHeader] = i % 7 == 0 ? [RecordHeader(key: "i", value: Array(String(i).utf8))] : []
            let timestamp: Int64 = 1_700_000_100_000 + Int64(i)
            out.append(Record(key: key, value: Array("small \(p)/\(i)".utf8), headers: headers, timestamp: timestamp))
        }
        return out
    }

    /// JSON-like values (compressible), a null key, a null value, an empty value, null headers.
    static func clickRecords(random: inout SplitMix64) -> [Record] {
        var out: [Record] = []
        for i in 0..<50 {
            let key: [UInt8]? = i == 7 ? nil : Array("user-\(i % 9)".utf8)
            var value: [UInt8]? = Array("{\"event\":\"click\",\"n\":\(i),\"page\":\"/products/\(i % 5)\"}".utf8)
            if i == 8 { value = nil }
            if i == 9 { value = [] }
            var headers: [RecordHeader] = []
            if i % 4 == 0 { headers = [RecordHeader(key: "h\(i)", value: nil), RecordHeader(key: "bin", value: random.bytes(5))] }
            let timestamp: Int64 = 1_700_000_000_000 + Int64((i * 7919) % 1000)
            out.append(Record(key: key, value: value, headers: headers, timestamp: timestamp))
        }
        return out
    }

    /// Random bytes, empty keys, decreasing timestamps.
    static func binaryRecords(random: inout SplitMix64) -> [Record] {
        var out: [Record] = []
        for i in 0..<20 {
            let timestamp: Int64 = 1_600_000_000_000 - Int64(i)
            let headers = [RecordHeader(key: "ü-key", value: [0, 255])]
            out.append(Record(key: random.bytes(i % 6), value: random.bytes(i * 11), headers: headers, timestamp: timestamp))
        }
        return out
    }

    // MARK: Running the verifier

    static func json(_ record: Record) -> [String: Any] {
        [
            "key": record.key.map(hexEncoded) ?? NSNull(),
            "value": record.value.map(hexEncoded) ?? NSNull(),
            "timestamp": record.timestamp,
            "headers": record.headers.map { [$0.key, $0.value.map(hexEncoded) ?? NSNull()] as [Any] },
        ]
    }

    @discardableResult
    static func verify(
        dataDirectory: String, topic: String, partitions: [[Expected]], codec: String?, timestampType: String, fixedTimestamp: Int64?,
        minSegments: Int, in scratch: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ChildOutput {
        let output = try runVerifier(
            dataDirectory: dataDirectory, topic: topic, partitions: partitions, codec: codec, timestampType: timestampType,
            fixedTimestamp: fixedTimestamp, minSegments: minSegments, in: scratch)
        #expect(output.succeeded, "kafka-python rejected what Sluice wrote:\n\(output)", sourceLocation: sourceLocation)
        #expect(output.stdout.contains("all CRCs valid"), "\(output)", sourceLocation: sourceLocation)
        return output
    }

    static func runVerifier(
        dataDirectory: String, topic: String, partitions: [[Expected]], codec: String?, timestampType: String, fixedTimestamp: Int64?,
        minSegments: Int, in scratch: TemporaryDirectory
    ) throws -> ChildOutput {
        var byPartition: [String: Any] = [:]
        for (p, expected) in partitions.enumerated() {
            byPartition[String(p)] = expected.enumerated().map { offset, entry in
                var json = Self.json(entry.record)
                json["offset"] = offset
                json["by_key"] = entry.byKey
                if let fixedTimestamp { json["timestamp"] = fixedTimestamp }
                return json
            }
        }
        var document: [String: Any] = [
            "partitions": byPartition, "codec": codec ?? NSNull(), "timestamp_type": timestampType, "min_segments": minSegments,
        ]
        if partitions.count > 1 { document["murmur2_partitions"] = partitions.count }
        let path = scratch.path + "/expected-\(topic).json"
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
        return try KafkaPython.run([KafkaPython.verifierScript, dataDirectory, topic, path])
    }

    /// Builds one batch per spec entry with kafka-python's own builder; writes them concatenated.
    static let builderScript = """
        import json, sys
        from kafka.record.default_records import DefaultRecordBatchBuilder
        spec = json.load(open(sys.argv[1]))
        codecs = {"none": 0, "zstd": 4}
        unhex = lambda h: None if h is None else bytes.fromhex(h)
        out = bytearray()
        for batch in spec["batches"]:
            builder = DefaultRecordBatchBuilder(
                magic=2, compression_type=codecs[batch["codec"]], is_transactional=False,
                producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 24)
            for i, r in enumerate(batch["records"]):
                meta = builder.append(i, timestamp=r["timestamp"], key=unhex(r["key"]), value=unhex(r["value"]),
                                      headers=[(k, unhex(v)) for k, v in r["headers"]])
                assert meta is not None, "record %d did not fit" % i
            out += builder.build()
        with open(sys.argv[2], "wb") as f:
            f.write(out)
        """

    /// `bytes` with each batch's base offset set as a log starting at `start` would assign it.
    static func withBaseOffsets(_ bytes: [UInt8], startingAt start: Int64) -> [UInt8] {
        var out = bytes
        var position = 0
        var next = start
        while position + RecordBatchHeader.size <= out.count {
            guard let header = try? out[position...].withUnsafeBytes({ try RecordBatchHeader(parsing: $0) }) else { break }
            withUnsafeBytes(of: next.bigEndian) { out.replaceSubrange(position..<(position + 8), with: $0) }
            next += Int64(header.lastOffsetDelta) + 1
            position += header.totalSize
        }
        return out
    }
}
