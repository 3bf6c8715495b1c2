/// Rewrites batches into another codec, keeping every header field but the codec bits, the
/// length and the CRC. Used when a topic's `compression.type` differs from what a producer sent
/// (kcat sends uncompressed batches to a zstd topic). Not thread-safe.
final class BatchTranscoder {
    let codec: CompressionCodec
    let level: Int32
    private let compressor: ZstdCompressor?
    private let decompressor: ZstdDecompressor
    private var plain: [UInt8] = []
    private var packed: [UInt8] = []

    init(codec: CompressionCodec, level: Int32) throws {
        self.codec = codec
        self.level = level
        compressor = codec == .zstd ? try ZstdCompressor(level: level) : nil
        decompressor = try ZstdDecompressor()
    }

    func transcode(_ bytes: [UInt8], _ batches: [(header: RecordBatchHeader, position: Int)]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        try bytes.withUnsafeBytes { raw in
            for (header, position) in batches {
                let batch = UnsafeRawBufferPointer(rebasing: raw[position..<(position + header.totalSize)])
                guard header.compression != codec else {
                    out.append(contentsOf: batch)
                    continue
                }
                let section = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
                switch header.compression {
                case .some(.zstd): try decompressor.decompress(section, into: &plain)
                case .some(CompressionCodec.none): plain.removeAll(keepingCapacity: true); plain.append(contentsOf: section)
                default:
                    throw LogError(
                        .unsupportedCompressionType,
                        "batch uses \(header.compression.map(String.init(describing:)) ?? "an unknown codec"); Sluice converts only zstd and uncompressed batches")
                }
                let start = out.count
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: batch[..<RecordBatchHeader.size]))
                if let compressor {
                    let bound = ZstdCompressor.bound(plain.count)
                    if packed.count < bound { packed = [UInt8](repeating: 0, count: bound) }
                    let written = try plain.withUnsafeBytes { input in
                        try packed.withUnsafeMutableBytes { try compressor.compress(input, into: $0) }
                    }
                    out.append(contentsOf: packed[..<written])
                } else {
                    out.append(contentsOf: plain)
                }
                out.withUnsafeMutableBytes { o in
                    let rebuilt = UnsafeMutableRawBufferPointer(rebasing: o[start...])
                    rebuilt.write(Int32(rebuilt.count - RecordBatchHeader.logOverhead), at: 8)
                    rebuilt.write((header.attributes & ~0x07) | codec.rawValue, at: RecordBatchHeader.attributesOffset)
                    let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: rebuilt[RecordBatchHeader.attributesOffset...]))
                    rebuilt.write(crc, at: RecordBatchHeader.crcOffset)
                }
            }
        }
        return out
    }
}
