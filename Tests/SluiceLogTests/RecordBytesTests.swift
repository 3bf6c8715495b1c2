import Foundation
import Testing

@testable import SluiceLog

/// `RecordBatchBuilder` writes records into raw memory (`RecordBytes`) with one capacity check
/// per record: every record must decode back as it went in, whatever the buffer's capacity
/// was, and builders must keep value semantics (copies and resets never see each other's
/// bytes).
@Suite("Record bytes")
struct RecordBytesTests {
    /// Value sizes around every varint width change of the value length (63/64, 8191/8192 as
    /// zigzag varints) and of the record's body length.
    static let sizes = [0, 1, 63, 64, 62, 65, 8191, 8192, 10, 8190, 8193, 70, 30_000, 5, 8_180, 8_200, 63, 64, 100]

    private static func value(_ size: Int, _ seed: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) } }

    @Test(arguments: [0, 1, 300, 1 << 20])
    func recordsDecodeBackWhateverTheStartingCapacity(capacity: Int) throws {
        var builder = RecordBatchBuilder(capacity: capacity)
        var expected: [Record] = []
        let headers = [RecordHeader(key: "sluice.origin", value: [1, 2, 3]), RecordHeader(key: "n", value: nil)]
        for (i, size) in Self.sizes.enumerated() {
            let value = Self.value(size, i)
            let key: [UInt8]? = i % 3 == 0 ? nil : Array("key-\(i)".utf8)
            // Timestamps that move back and forth, and a delta needing several varint bytes.
            let timestamp = Int64(1_700_000_000_000 + (i % 2 == 0 ? i * 100_000 : -i))
            let record = Record(key: key, value: value, headers: i % 2 == 0 ? headers : [], timestamp: timestamp)
            builder.append(record)
            expected.append(record)
        }
        #expect(builder.recordCount == Int32(expected.count))
        #expect(builder.reservedBytes >= builder.recordByteCount)
        let decoded = try RecordBatchDecoder().records(in: try RecordBatchEncoder(compression: .zstd).encode(builder))
        #expect(decoded.map(\.record) == expected)
    }

    /// Keys of every length around the word copies of short keys (8 to 16 bytes).
    @Test func keysOfEveryShortLengthDecodeBackAsWritten() throws {
        var builder = RecordBatchBuilder()
        var expected: [Record] = []
        for length in 0...40 {
            let record = Record(key: (0..<length).map { UInt8(truncatingIfNeeded: 65 + $0 * 7 + length) }, value: Array("v\(length)".utf8), timestamp: Int64(length))
            builder.append(record)
            expected.append(record)
        }
        let records = try RecordBatchDecoder().records(in: try RecordBatchEncoder(compression: .none).encode(builder))
        #expect(records.map(\.record) == expected)
    }

    @Test func aCopyOfABuilderKeepsItsRecordsWhenTheOriginalGoesOn() throws {
        var original = RecordBatchBuilder(capacity: 4096)
        original.append(Record(key: nil, value: [1, 2, 3], timestamp: 5))
        let copy = original
        let copied = copy.recordBytes
        original.append(Record(key: nil, value: [4, 5], timestamp: 6))  // in the room the copy also has
        #expect(copy.recordBytes == copied)
        #expect(copy.recordCount == 1)
        var second = copy
        second.append(Record(key: nil, value: [6, 7, 8], timestamp: 8))  // where the original's second record is
        var third = copy
        third.reset()  // a shared buffer is let go, not emptied under the copy
        third.append(Record(key: nil, value: [9], timestamp: 7))
        #expect(copy.recordBytes == copied)
        #expect(original.recordCount == 2)
        let encoder = try RecordBatchEncoder(compression: .none)
        #expect(try RecordBatchDecoder().records(in: try encoder.encode(original)).map(\.record.value) == [[1, 2, 3], [4, 5]])
        #expect(try RecordBatchDecoder().records(in: try encoder.encode(second)).map(\.record.value) == [[1, 2, 3], [6, 7, 8]])
        #expect(try RecordBatchDecoder().records(in: try encoder.encode(third)).map(\.record.value) == [[9]])
    }

    @Test func resetKeepsTheMemoryForTheNextBatch() {
        var builder = RecordBatchBuilder()
        for i in 0..<1_000 { builder.append(Record(key: nil, value: Self.value(50, i), timestamp: Int64(i))) }
        let reserved = builder.reservedBytes
        #expect(reserved >= builder.recordByteCount)
        builder.reset()
        #expect(builder.isEmpty && builder.recordByteCount == 0)
        #expect(builder.reservedBytes == reserved)
        builder.append(Record(key: nil, value: [1], timestamp: 1))
        #expect(builder.reservedBytes == reserved)
    }
}
