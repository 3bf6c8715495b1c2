internal import CZstd

/// A reusable zstd compression context. One per writer: creating a context per batch costs more
/// than compressing a small batch. Not thread-safe; owned by one writer at a time.
///
/// Level 1 (the log's default) runs with a 4,096-entry match table (`hashLog` 12) rather than
/// the 8,192 zstd picks for inputs over 256 kB: the smaller table stays in the L1 cache. On
/// order-events' payments JSON cut into 512 kB pieces it compresses 10–20 % faster at ratio
/// 6.74 instead of 6.48 (a libzstd harness, best of 15 passes); below 64 kB the two are alike.
/// The frames are ordinary zstd.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32
    static let fastHashLog: Int32 = 12

    init(level: Int32) throws {
        guard let context = ZSTD_createCCtx() else { throw LogError(.storage, "zstd: cannot allocate a compression context") }
        self.context = context
        self.level = level
        var result = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        if ZSTD_isError(result) == 0 && level == 1 {
            result = ZSTD_CCtx_setParameter(context, ZSTD_c_hashLog, Self.fastHashLog)
        }
        if ZSTD_isError(result) != 0 {
            ZSTD_freeCCtx(context)
            throw LogError(.invalidConfig, "zstd level \(level): \(String(cString: ZSTD_getErrorName(result)))")
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    /// Compresses `input` into `output` (which must hold `bound(input.count)` bytes).
    /// One-shot compression, so the frame records its content size.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let written = ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count)
        if ZSTD_isError(written) != 0 {
            throw LogError(.storage, "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        return written
    }
}

/// A reusable zstd decompression context. Handles frames with and without a recorded content
/// size (Java's streaming writer omits it) and concatenated frames. Not thread-safe.
final class ZstdDecompressor {
    private let context: OpaquePointer
    /// Upper bound on one batch's decompressed size, so a hostile frame cannot make us allocate
    /// without limit.
    static let maximumOutput = 256 << 20

    init() throws {
        guard let context = ZSTD_createDCtx() else { throw LogError(.storage, "zstd: cannot allocate a decompression context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses all frames in `input` into a new array, without first clearing its memory
    /// when the input is one frame that states its size (what Sluice's writer produces).
    func decompressed(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let declared = input.count > 0 ? ZSTD_getFrameContentSize(input.baseAddress, input.count) : ZSTD_CONTENTSIZE_UNKNOWN
        guard declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != ZSTD_CONTENTSIZE_ERROR, declared <= UInt64(Self.maximumOutput),
            ZSTD_findFrameCompressedSize(input.baseAddress, input.count) == input.count
        else {
            var output: [UInt8] = []
            try decompress(input, into: &output)
            return output
        }
        var failure = 0
        let output = [UInt8](unsafeUninitializedCapacity: Int(declared)) { buffer, initialized in
            let written = ZSTD_decompressDCtx(context, buffer.baseAddress, buffer.count, input.baseAddress, input.count)
            if ZSTD_isError(written) != 0 || written != buffer.count {
                failure = written
                initialized = 0
            } else {
                initialized = written
            }
        }
        guard output.count == Int(declared) else {
            if ZSTD_isError(failure) != 0 { throw LogError(.corruptMessage, "zstd: \(String(cString: ZSTD_getErrorName(failure)))") }
            throw LogError(.corruptMessage, "zstd: frame declares \(declared) bytes but holds \(failure)")
        }
        return output
    }

    /// Decompresses all frames in `input`, replacing the contents of `output` (reused capacity).
    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard input.count > 0 else { return output.removeAll(keepingCapacity: true) }
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        var capacity: Int
        if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared <= UInt64(Self.maximumOutput) {
            capacity = Int(declared)
        } else {
            capacity = max(input.count * 4, 64 << 10)
        }
        // Fast path: one frame that states its size (what our own writer produces).
        if capacity == Int(clamping: declared), ZSTD_findFrameCompressedSize(input.baseAddress, input.count) == input.count {
            // Resize without clearing: zstd writes every byte, and batches of a partition are
            // about the same size, so this rarely touches memory at all.
            if output.count > capacity { output.removeLast(output.count - capacity) } else { output.appendZeros(capacity - output.count) }
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_decompressDCtx(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
            if ZSTD_isError(written) == 0 && written == capacity { return }
            output.removeAll(keepingCapacity: true)
            if ZSTD_isError(written) != 0 {
                throw LogError(.corruptMessage, "zstd: \(String(cString: ZSTD_getErrorName(written)))")
            }
            throw LogError(.corruptMessage, "zstd: frame declares \(capacity) bytes but holds \(written)")
        }
        output.removeAll(keepingCapacity: true)
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        var produced = 0
        var consumed = 0
        while true {
            if output.count < capacity {
                output.appendZeros(capacity - output.count)
            }
            var status = 0
            let frameDone: Bool = output.withUnsafeMutableBytes { out in
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: consumed)
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: produced)
                status = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                consumed = inBuffer.pos
                produced = outBuffer.pos
                return status == 0
            }
            if ZSTD_isError(status) != 0 {
                output.removeAll(keepingCapacity: true)
                throw LogError(.corruptMessage, "zstd: \(String(cString: ZSTD_getErrorName(status)))")
            }
            if consumed == input.count && frameDone { break }
            if consumed == input.count && produced < capacity {
                output.removeAll(keepingCapacity: true)
                throw LogError(.corruptMessage, "zstd: compressed records end inside a frame")
            }
            if produced == capacity {
                guard capacity < Self.maximumOutput else {
                    output.removeAll(keepingCapacity: true)
                    throw LogError(.corruptMessage, "zstd: batch decompresses to more than \(Self.maximumOutput) bytes")
                }
                capacity = min(capacity * 2, Self.maximumOutput)
            }
        }
        output.removeSubrange(produced...)
    }
}
