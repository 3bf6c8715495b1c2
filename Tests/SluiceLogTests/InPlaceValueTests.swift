import Foundation
import Testing

@testable import SluiceLog

/// Records whose value is written straight into the batch (`RecordBatchBuilder.append(…
/// writingValue:)`, `LogProducerSession.send(…writingValue:)`) must come out byte for byte as
/// records appended from a value buffer, whatever the guessed lengths were.
@Suite("In-place values")
struct InPlaceValueTests {
    /// Value sizes around every varint width change of the value length (63/64, 8191/8192 as
    /// zigzag varints) and of the record's body length, in an order that makes the guess (the
    /// previous value's length) wrong in both directions.
    static let sizes = [0, 1, 63, 64, 62, 65, 8191, 8192, 10, 8190, 8193, 70, 30_000, 5, 8_180, 8_200, 63, 64, 100]

    private static func value(_ size: Int, _ seed: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) } }

    @Test(arguments: [false, true])
    func appendsTheSameBytesAsAppendingFromABuffer(withHeaders: Bool) throws {
        var copied = RecordBatchBuilder()
        var inPlace = RecordBatchBuilder()
        let headers = withHeaders ? [RecordHeader(key: "sluice.origin", value: [1, 2, 3]), RecordHeader(key: "n", value: nil)] : []
        for (i, size) in Self.sizes.enumerated() {
            let value = Self.value(size, i)
            let key: [UInt8]? = i % 3 == 0 ? nil : Array("key-\(i)".utf8)
            // Timestamps that move back and forth, and a delta needing several varint bytes.
            let timestamp = Int64(1_700_000_000_000 + (i % 2 == 0 ? i * 100_000 : -i))
            withOptionalBytes(key) { key in
                value.withUnsafeBytes { copied.append(key: key, value: $0, headers: headers, timestamp: timestamp) }
                let range = inPlace.append(key: key, headers: headers, timestamp: timestamp) { bytes in bytes.append(contentsOf: value) }
                #expect(Array(inPlace.recordBytes[range]) == value)
            }
            #expect(inPlace.recordBytes == copied.recordBytes, "record \(i) of \(size) bytes")
        }
        #expect(inPlace.recordCount == copied.recordCount)
        #expect(inPlace.baseTimestamp == copied.baseTimestamp)
        #expect(inPlace.maxTimestamp == copied.maxTimestamp)
        #expect(inPlace.lastOffsetDelta == copied.lastOffsetDelta)
        let encoder = try RecordBatchEncoder(compression: .none)
        #expect(try encoder.encode(inPlace) == encoder.encode(copied))
    }

    /// Keys of every length around the word copies of short keys (8 to 16 bytes) decode back
    /// as they went in, appended either way.
    @Test func keysOfEveryShortLengthDecodeBackAsWritten() throws {
        var copied = RecordBatchBuilder()
        var inPlace = RecordBatchBuilder()
        var expected: [Record] = []
        for length in 0...40 {
            let key = (0..<length).map { UInt8(truncatingIfNeeded: 65 + $0 * 7 + length) }
            let value = Array("v\(length)".utf8)
            key.withUnsafeBytes { key in
                value.withUnsafeBytes { copied.append(key: key, value: $0, timestamp: Int64(length)) }
                inPlace.append(key: key, timestamp: Int64(length)) { $0.append(contentsOf: value) }
            }
            expected.append(Record(key: key, value: value, timestamp: Int64(length)))
        }
        let encoder = try RecordBatchEncoder(compression: .none)
        for builder in [copied, inPlace] {
            let records = try RecordBatchDecoder().records(in: try encoder.encode(builder))
            #expect(records.map(\.record) == expected)
        }
    }

    @Test func aThrowingValueWriterLeavesTheBuilderAsItWas() {
        struct Failure: Error {}
        var builder = RecordBatchBuilder()
        builder.append(key: nil, headers: [], timestamp: 5) { $0.append(contentsOf: [1, 2, 3]) }
        let before = builder.recordBytes
        let key: [UInt8] = Array("k".utf8)
        #expect(throws: Failure.self) {
            try key.withUnsafeBytes { key in
                try builder.append(key: key, headers: [], timestamp: 9) { bytes in
                    bytes.append(contentsOf: [UInt8](repeating: 7, count: 100))
                    throw Failure()
                }
            }
        }
        #expect(builder.recordBytes == before)
        #expect(builder.recordCount == 1)
        #expect(builder.maxTimestamp == 5)
    }

    @Test func rewindTakesTheLastRecordBackOut() {
        var builder = RecordBatchBuilder()
        builder.append(key: nil, headers: [], timestamp: 5) { $0.append(contentsOf: [1]) }
        let before = builder.recordBytes
        let mark = builder.mark
        builder.append(key: nil, headers: [], timestamp: 50) { $0.append(contentsOf: [2, 2]) }
        builder.rewind(to: mark)
        #expect(builder.recordBytes == before)
        #expect(builder.recordCount == 1)
        #expect(builder.maxTimestamp == 5)
        #expect(builder.lastOffsetDelta == 0)
    }

    /// A session writes the same log through either `send`: partitions, order, batch
    /// boundaries (records that overflow a batch go to the next one) and contents.
    @Test func aSessionWritesTheSameLogEitherWay() throws {
        func run(inPlace: Bool) throws -> [[StoredRecord]] {
            let dir = TemporaryDirectory()
            let log = try LogManager(directory: dir.path, options: noBackground)
            try log.createTopic("t", partitions: 3, configs: ["compression.type": "uncompressed"])
            var configuration = LogProducerConfiguration()
            configuration.batchSize = 16 << 10  // values of up to 30 KB overflow batches
            let producer = LogProducer(log: log, configuration: configuration)
            let session = producer.makeSession()
            for round in 0..<4 {
                for (i, size) in Self.sizes.enumerated() {
                    let value = Self.value(size, i + round)
                    let key = Array("k\(i % 5)".utf8)
                    let timestamp = Int64(1_000 + i)
                    try key.withUnsafeBytes { key in
                        if inPlace {
                            try session.send(topic: "t", key: key, timestamp: timestamp) { $0.append(contentsOf: value) }
                        } else {
                            try value.withUnsafeBytes { try session.send(topic: "t", key: key, value: $0, timestamp: timestamp) }
                        }
                    }
                }
                try session.flush()
            }
            let partitions = try (0..<Int32(3)).map { try readAll(try log.partition("t", $0)) }
            try producer.close()
            try log.close()
            return partitions
        }
        let copied = try run(inPlace: false)
        let inPlace = try run(inPlace: true)
        #expect(copied.map(\.count).reduce(0, +) == 4 * Self.sizes.count)
        #expect(inPlace == copied)
    }

    @Test func oversizedInPlaceValuesAreRefusedAndLeaveNothingBehind() throws {
        let dir = TemporaryDirectory()
        let log = try LogManager(directory: dir.path, options: noBackground)
        try log.createTopic("t", partitions: 1, configs: ["max.message.bytes": "20000"])
        let producer = LogProducer(log: log)
        let session = producer.makeSession()
        try session.send(topic: "t", key: nil, timestamp: 1) { $0.append(contentsOf: [1]) }
        #expect(throws: LogError.self) {
            try session.send(topic: "t", key: nil, timestamp: 2) { $0.append(contentsOf: [UInt8](repeating: 9, count: 30_000)) }
        }
        try session.send(topic: "t", key: nil, timestamp: 3) { $0.append(contentsOf: [3]) }
        try session.flush()
        let stored = try readAll(try log.partition("t", 0))
        #expect(stored.map { $0.record.value ?? [] } == [[1], [3]])
        try producer.close()
        try log.close()
    }
}
