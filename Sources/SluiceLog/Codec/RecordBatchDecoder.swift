/// Reads RecordBatch v2 bytes: walks concatenated batches, validates each (shape and CRC-32C)
/// and visits its records without copying them. Owns a reusable zstd context and buffer;
/// one decoder per reading thread, not thread-safe.
public final class RecordBatchDecoder {
    private let decompressor: ZstdDecompressor
    private var scratch: [UInt8] = []

    public init() throws {
        decompressor = try ZstdDecompressor()
    }

    /// Visits every whole batch in `bytes` after validating its shape and CRC. A trailing partial
    /// batch (as a size-limited fetch may return) is skipped; damage anywhere else throws.
    /// - Returns: the number of bytes covered by whole batches.
    @discardableResult
    public static func forEachBatch(
        in bytes: UnsafeRawBufferPointer,
        _ body: (RecordBatchHeader, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var position = 0
        while bytes.count - position >= RecordBatchHeader.size {
            let header = try RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[position...]))
            try header.validateShape()
            let end = position + header.totalSize
            guard end <= bytes.count else { break }
            let batch = UnsafeRawBufferPointer(rebasing: bytes[position..<end])
            try header.validate(batch: batch)
            try body(header, batch)
            position = end
        }
        return position
    }

    /// Visits the records of one validated batch. Control batches are skipped, as consumers do.
    /// Checks that records are well formed, that offset deltas increase within
    /// `0...lastOffsetDelta`, and that the count matches the header.
    public func forEachRecord(
        in batch: UnsafeRawBufferPointer,
        header: RecordBatchHeader,
        _ body: (RecordView) throws -> Void
    ) throws {
        if header.isControl { return }
        if header.compression == CompressionCodec.none {
            return try decodeRecords(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...]), header: header, body)
        }
        try decompressSection(of: batch, header: header, into: &scratch)
        try scratch.withUnsafeBytes { try decodeRecords($0, header: header, body) }
    }

    /// The records section of a batch, decompressed (or copied, if it is not compressed).
    func decompressSection(of batch: UnsafeRawBufferPointer, header: RecordBatchHeader, into output: inout [UInt8]) throws {
        let section = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        switch header.compression {
        case .some(CompressionCodec.none):
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: section)
        case .some(.zstd):
            try decompressor.decompress(section, into: &output)
        case .some(let other):
            throw LogError(.unsupportedCompressionType, "batch at offset \(header.baseOffset) uses \(other), which Sluice does not decode")
        case nil:
            throw LogError(.corruptMessage, "batch at offset \(header.baseOffset) has an unknown codec")
        }
    }

    /// The records section of a batch in a new array, decompressed (or copied).
    func decompressedSection(of batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws -> [UInt8] {
        guard header.compression == .zstd else {
            var output: [UInt8] = []
            try decompressSection(of: batch, header: header, into: &output)
            return output
        }
        return try decompressor.decompressed(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...]))
    }

    func decodeRecords(
        _ bytes: UnsafeRawBufferPointer,
        header: RecordBatchHeader,
        _ body: (RecordView) throws -> Void
    ) throws {
        var reader = ByteReader(bytes)
        var previousDelta: Int64 = -1
        var count: Int32 = 0
        while reader.remaining > 0 {
            let length = try reader.readVarint()
            guard length >= 0, Int(length) <= reader.remaining else {
                throw LogError(.corruptMessage, "record length \(length) in batch at offset \(header.baseOffset) exceeds the batch")
            }
            var record = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[reader.position..<(reader.position + Int(length))]))
            reader.position += Int(length)
            _ = try record.readByte()
            let timestampDelta = try record.readVarlong()
            let offsetDelta = try record.readVarlong()
            guard offsetDelta > previousDelta, offsetDelta <= Int64(header.lastOffsetDelta) else {
                throw LogError(.corruptMessage, "record offset delta \(offsetDelta) out of order in batch at offset \(header.baseOffset)")
            }
            previousDelta = offsetDelta
            let key = try record.readBytes(length: record.readVarint())
            let value = try record.readBytes(length: record.readVarint())
            let headerCount = try record.readVarint()
            guard headerCount >= 0 else {
                throw LogError(.corruptMessage, "negative header count in batch at offset \(header.baseOffset)")
            }
            let headerStart = record.position
            for _ in 0..<headerCount {
                let keyLength = try record.readVarint()
                guard keyLength >= 0 else { throw LogError(.corruptMessage, "null header key in batch at offset \(header.baseOffset)") }
                _ = try record.readBytes(length: keyLength)
                _ = try record.readBytes(length: record.readVarint())
            }
            guard record.remaining == 0 else {
                throw LogError(.corruptMessage, "record in batch at offset \(header.baseOffset) has \(record.remaining) trailing bytes")
            }
            count += 1
            try body(
                RecordView(
                    offset: header.baseOffset + offsetDelta,
                    timestamp: header.isLogAppendTime ? header.maxTimestamp : header.baseTimestamp &+ timestampDelta,
                    key: key,
                    value: value,
                    headerCount: Int(headerCount),
                    headerBytes: UnsafeRawBufferPointer(rebasing: record.bytes[headerStart..<record.position])
                )
            )
        }
        guard count == header.recordsCount else {
            throw LogError(.corruptMessage, "batch at offset \(header.baseOffset) declares \(header.recordsCount) records but holds \(count)")
        }
    }

    /// Decodes every record of every batch in `bytes` into owned values (tests, CLI).
    public func records(in bytes: [UInt8]) throws -> [StoredRecord] {
        var out: [StoredRecord] = []
        _ = try bytes.withUnsafeBytes { raw in
            try Self.forEachBatch(in: raw) { header, batch in
                try forEachRecord(in: batch, header: header) { out.append(StoredRecord(offset: $0.offset, record: Record($0))) }
            }
        }
        return out
    }
}
