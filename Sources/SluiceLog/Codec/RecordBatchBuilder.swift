/// Accumulates records into the uncompressed records section of one RecordBatch v2.
///
/// Records are encoded as they arrive (one growing buffer, no per-record allocation); the
/// header, compression and CRC are added by `RecordBatchEncoder`. Offset deltas are 0, 1, 2…;
/// the log assigns the base offset when it appends the batch.
public struct RecordBatchBuilder: Sendable {
    public internal(set) var recordCount: Int32 = 0
    /// Offset delta of the last record; a compacted batch keeps its original value even when
    /// records were removed (Kafka's rule, so offsets never change).
    public var lastOffsetDelta: Int32 = 0
    public internal(set) var baseTimestamp: Int64 = -1
    public internal(set) var maxTimestamp: Int64 = -1
    /// Encoded records, uncompressed.
    var records: RecordBytes

    public init(capacity: Int = 0) {
        records = RecordBytes(capacity: capacity)
    }

    public var isEmpty: Bool { recordCount == 0 }

    /// Bytes of encoded records so far (the batch's records section, uncompressed).
    public var recordByteCount: Int { records.count }

    /// Bytes this batch will take uncompressed, header included.
    public var estimatedSize: Int { RecordBatchHeader.size + records.count }

    /// Bytes of memory the builder holds for records (kept across `reset()`).
    public var reservedBytes: Int { records.capacity }

    /// Runs `body` on the encoded records (valid during `body` only).
    public func withRecordBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try records.withUnsafeBytes(body)
    }

    /// A copy of the encoded records, for tests and tools (`withRecordBytes` does not copy).
    public var recordBytes: [UInt8] { records.array }

    public mutating func append(_ record: Record) {
        withOptionalBytes(record.key) { key in
            withOptionalBytes(record.value) { value in
                append(key: key, value: value, headers: record.headers, timestamp: record.timestamp)
            }
        }
    }

    /// Appends one record. `nil` key or value is Kafka's null (length -1).
    public mutating func append(
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [RecordHeader] = [],
        timestamp: Int64,
        offsetDelta explicitDelta: Int32? = nil
    ) {
        if recordCount == 0 {
            baseTimestamp = timestamp
            maxTimestamp = timestamp
        } else if timestamp > maxTimestamp {
            maxTimestamp = timestamp
        }
        let timestampDelta = timestamp &- baseTimestamp
        let offsetDelta = Int64(explicitDelta ?? recordCount)
        lastOffsetDelta = max(lastOffsetDelta, Int32(offsetDelta))
        let headersSize = Self.encodedSize(of: headers)
        let keyCount = key.map { $0.count } ?? -1
        let valueCount = value.map { $0.count } ?? -1
        let bodySize =
            1 + Varint.size(of: timestampDelta) + Varint.size(of: offsetDelta)
            + Varint.size(of: Int64(keyCount)) + max(keyCount, 0)
            + Varint.size(of: Int64(valueCount)) + max(valueCount, 0)
            + headersSize
        let total = Varint.size(of: Int64(bodySize)) + bodySize
        // One capacity and uniqueness check per record, then plain stores into the new room.
        records.append(byteCount: total) { base in
            var out = RawWriter(base)
            out.varint(Int64(bodySize))
            out.byte(0)  // record attributes, unused
            out.varint(timestampDelta)
            out.varint(offsetDelta)
            out.varint(Int64(keyCount))
            if let key { out.bytes(key) }
            out.varint(Int64(valueCount))
            if let value { out.bytes(value) }
            Self.write(headers, to: &out)
        }
        recordCount += 1
    }

    /// Empties the builder, keeping its buffer for the next batch.
    public mutating func reset() {
        recordCount = 0
        lastOffsetDelta = 0
        baseTimestamp = -1
        maxTimestamp = -1
        records.removeAll()
    }

    /// The bytes `write(_:to:)` takes for `headers`: their count, then each key and value with
    /// its length.
    @inline(__always)
    static func encodedSize(of headers: [RecordHeader]) -> Int {
        var size = Varint.size(of: Int64(headers.count))
        for header in headers {
            let keyCount = header.key.utf8.count
            size += Varint.size(of: Int64(keyCount)) + keyCount
            let valueCount = header.value?.count ?? -1
            size += Varint.size(of: Int64(valueCount)) + max(valueCount, 0)
        }
        return size
    }

    /// Writes a record's headers section (`encodedSize(of:)` bytes).
    @inline(__always)
    static func write(_ headers: [RecordHeader], to out: inout RawWriter) {
        out.varint(Int64(headers.count))
        for header in headers {
            var name = header.key
            name.withUTF8 { utf8 in
                out.varint(Int64(utf8.count))
                out.bytes(UnsafeRawBufferPointer(utf8))
            }
            if let headerValue = header.value {
                out.varint(Int64(headerValue.count))
                headerValue.withUnsafeBytes { out.bytes($0) }
            } else {
                out.varint(-1)
            }
        }
    }
}

@inline(__always)
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}

/// Writes varints and bytes to memory already sized for them (see `RecordBatchBuilder.append`).
struct RawWriter {
    var pointer: UnsafeMutableRawPointer

    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    @inline(__always) mutating func byte(_ value: UInt8) {
        pointer.storeBytes(of: value, as: UInt8.self)
        pointer += 1
    }

    @inline(__always) mutating func varint(_ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            byte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        byte(UInt8(v))
    }

    /// Keys are mostly short ids: 8 to 16 bytes go as two overlapping word copies rather than
    /// a `memcpy` call.
    @inline(__always) mutating func bytes(_ source: UnsafeRawBufferPointer) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        let count = source.count
        if count >= 8 && count <= 16 {
            let head = base.loadUnaligned(as: UInt64.self)
            let tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            pointer.storeBytes(of: head, as: UInt64.self)
            (pointer + (count - 8)).storeBytes(of: tail, as: UInt64.self)
        } else {
            pointer.copyMemory(from: base, byteCount: count)
        }
        pointer += count
    }
}
