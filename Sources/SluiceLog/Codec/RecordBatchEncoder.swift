/// Turns a `RecordBatchBuilder` into the bytes of one RecordBatch v2: header, records section
/// (compressed when the codec says so) and CRC-32C. Owns a reusable zstd context and scratch
/// buffer, so one encoder per writer thread; not thread-safe.
public final class RecordBatchEncoder {
    public let compression: CompressionCodec
    private let compressor: ZstdCompressor?
    private var scratch: [UInt8] = []

    /// - Parameters:
    ///   - compression: `.none` or `.zstd`; Sluice writes no other codec (it reads what it stores).
    ///   - level: the zstd level (1 is the fast default for logs; Kafka's default is 3).
    public init(compression: CompressionCodec, level: Int32 = 1) throws {
        switch compression {
        case .none:
            compressor = nil
        case .zstd:
            compressor = try ZstdCompressor(level: level)
        default:
            throw LogError(.unsupportedCompressionType, "Sluice writes batches uncompressed or with zstd, not \(compression)")
        }
        self.compression = compression
    }

    /// Appends the encoded batch to `output`.
    public func encode(
        _ builder: RecordBatchBuilder,
        baseOffset: Int64 = 0,
        partitionLeaderEpoch: Int32 = 0,
        into output: inout [UInt8]
    ) throws {
        let start = output.count
        output.reserveCapacity(start + RecordBatchHeader.size + builder.recordByteCount)
        output.appendZeros(RecordBatchHeader.size)
        var codec = compression
        if let compressor, !builder.isEmpty {
            let bound = ZstdCompressor.bound(builder.recordByteCount)
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
            let written = try builder.withRecordBytes { input throws in
                try scratch.withUnsafeMutableBytes { out throws in try compressor.compress(input, into: out) }
            }
            output.append(contentsOf: scratch[0..<written])
        } else {
            codec = .none
            builder.withRecordBytes { output.append(contentsOf: $0) }
        }
        let batchLength = Int32(output.count - start - RecordBatchHeader.logOverhead)
        output.withUnsafeMutableBytes { raw in
            let batch = UnsafeMutableRawBufferPointer(rebasing: raw[start...])
            batch.write(baseOffset, at: 0)
            batch.write(batchLength, at: 8)
            batch.write(partitionLeaderEpoch, at: 12)
            batch[16] = 2
            batch.write(codec.rawValue, at: 21)
            batch.write(builder.lastOffsetDelta, at: 23)
            batch.write(builder.baseTimestamp, at: 27)
            batch.write(builder.maxTimestamp, at: 35)
            batch.write(Int64(-1), at: 43)
            batch.write(Int16(-1), at: 51)
            batch.write(Int32(-1), at: 53)
            batch.write(builder.recordCount, at: 57)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.attributesOffset...]))
            batch.write(crc, at: RecordBatchHeader.crcOffset)
        }
    }

    public func encode(_ builder: RecordBatchBuilder, baseOffset: Int64 = 0) throws -> [UInt8] {
        var out: [UInt8] = []
        try encode(builder, baseOffset: baseOffset, into: &out)
        return out
    }
}
