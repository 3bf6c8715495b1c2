/// The 61-byte header of a Kafka RecordBatch v2 (magic 2), never compressed.
///
/// Layout (big-endian): baseOffset i64 @0, batchLength i32 @8 (bytes after this field),
/// partitionLeaderEpoch i32 @12, magic i8 @16, crc u32 @17 (CRC-32C of bytes 21..<end),
/// attributes i16 @21, lastOffsetDelta i32 @23, baseTimestamp i64 @27, maxTimestamp i64 @35,
/// producerId i64 @43, producerEpoch i16 @51, baseSequence i32 @53, recordsCount i32 @57.
public struct RecordBatchHeader: Sendable, Equatable {
    public static let size = 61
    /// baseOffset + batchLength: the bytes not counted by `batchLength`.
    public static let logOverhead = 12
    static let crcOffset = 17
    static let attributesOffset = 21

    public var baseOffset: Int64
    /// Bytes after the `batchLength` field; the whole batch is `batchLength + 12` bytes.
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    public var lastOffset: Int64 { baseOffset + Int64(lastOffsetDelta) }
    /// The offset after this batch: where the next batch starts.
    public var nextOffset: Int64 { lastOffset + 1 }
    public var compression: CompressionCodec? { CompressionCodec(rawValue: attributes & 0x07) }
    public var isLogAppendTime: Bool { attributes & 0x08 != 0 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }

    /// Parses the header at the start of `bytes` without validating anything but its size and magic.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(LogError) {
        guard bytes.count >= Self.size else {
            throw LogError(.corruptMessage, "record batch header needs \(Self.size) bytes, \(bytes.count) present")
        }
        baseOffset = bytes.readInt64(at: 0)
        batchLength = bytes.readInt32(at: 8)
        partitionLeaderEpoch = bytes.readInt32(at: 12)
        magic = Int8(bitPattern: bytes[16])
        crc = bytes.readUInt32(at: 17)
        attributes = bytes.readInt16(at: 21)
        lastOffsetDelta = bytes.readInt32(at: 23)
        baseTimestamp = bytes.readInt64(at: 27)
        maxTimestamp = bytes.readInt64(at: 35)
        producerId = bytes.readInt64(at: 43)
        producerEpoch = bytes.readInt16(at: 51)
        baseSequence = bytes.readInt32(at: 53)
        recordsCount = bytes.readInt32(at: 57)
        guard magic == 2 else {
            throw LogError(.corruptMessage, "record batch magic is \(magic), only magic 2 (RecordBatch v2) is supported")
        }
    }

    /// Checks the header's own consistency: lengths, counts and the codec.
    /// `validate(batch:)` also checks the CRC.
    public func validateShape() throws(LogError) {
        guard batchLength >= Int32(Self.size - Self.logOverhead) else {
            throw LogError(.corruptMessage, "batch length \(batchLength) is smaller than a batch header")
        }
        guard recordsCount >= 0, lastOffsetDelta >= 0 else {
            throw LogError(.corruptMessage, "batch has \(recordsCount) records and last offset delta \(lastOffsetDelta)")
        }
        guard compression != nil else {
            throw LogError(.corruptMessage, "batch uses unknown compression codec \(attributes & 0x07)")
        }
        guard attributes & ~0x7f == 0 else {
            throw LogError(.corruptMessage, "batch attributes 0x\(String(attributes, radix: 16)) set reserved bits")
        }
    }

    /// Validates the shape and the CRC-32C of a whole batch (`batch.count == totalSize`).
    public func validate(batch: UnsafeRawBufferPointer) throws(LogError) {
        try validateShape()
        guard batch.count == totalSize else {
            throw LogError(.corruptMessage, "batch declares \(totalSize) bytes, \(batch.count) present")
        }
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[Self.attributesOffset...]))
        guard computed == crc else {
            throw LogError(
                .corruptMessage,
                "CRC-32C mismatch in batch at offset \(baseOffset): stored 0x\(String(crc, radix: 16)), computed 0x\(String(computed, radix: 16))"
            )
        }
    }
}
