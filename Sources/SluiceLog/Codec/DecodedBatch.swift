/// A stored batch decompressed, checked and parsed once, kept so that it can be read again
/// without doing either again: what several consumers of one partition on one thread share
/// (`BatchCache` in SluiceClient) when they do not read it in the same pass.
///
/// Immutable once made; the views `forEach` hands out point into its own buffer.
public final class DecodedBatch: @unchecked Sendable {
    /// Where one record's parts are in `bytes`.
    struct Entry {
        var offset: Int64
        var timestamp: Int64
        var keyStart: Int32
        /// -1 for a null key.
        var keyLength: Int32
        var valueStart: Int32
        /// -1 for a null value.
        var valueLength: Int32
        var headerStart: Int32
        var headerLength: Int32
        var headerCount: Int32
    }

    public let header: RecordBatchHeader
    private let bytes: [UInt8]
    private let entries: [Entry]

    init(header: RecordBatchHeader, bytes: [UInt8], entries: [Entry]) {
        self.header = header
        self.bytes = bytes
        self.entries = entries
    }

    /// Memory held, for a cache's bound.
    public var byteCount: Int { bytes.count + entries.count * MemoryLayout<Entry>.stride }

    /// Visits the records in offset order; the views are valid only inside `body`.
    public func forEach(_ body: (RecordView) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { base in
            for entry in entries {
                try body(
                    RecordView(
                        offset: entry.offset, timestamp: entry.timestamp,
                        key: Self.slice(base, entry.keyStart, entry.keyLength),
                        value: Self.slice(base, entry.valueStart, entry.valueLength),
                        headerCount: Int(entry.headerCount),
                        headerBytes: Self.slice(base, entry.headerStart, entry.headerLength) ?? UnsafeRawBufferPointer(start: nil, count: 0)))
            }
        }
    }

    @inline(__always)
    private static func slice(_ base: UnsafeRawBufferPointer, _ start: Int32, _ length: Int32) -> UnsafeRawBufferPointer? {
        guard length >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: base[Int(start)..<Int(start + length)])
    }
}

extension RecordBatchDecoder {
    /// Decompresses and parses a validated batch into a `DecodedBatch` (control batches hold
    /// no records), with the same checks as `forEachRecord`.
    public func decode(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws -> DecodedBatch {
        let bytes = header.isControl ? [] : try decompressedSection(of: batch, header: header)
        var entries: [DecodedBatch.Entry] = []
        entries.reserveCapacity(Int(max(0, header.recordsCount)))
        try bytes.withUnsafeBytes { base in
            guard let origin = base.baseAddress else { return try decodeRecords(base, header: header) { _ in } }
            func position(_ part: UnsafeRawBufferPointer?) -> (Int32, Int32) {
                guard let part else { return (0, -1) }
                guard let start = part.baseAddress else { return (0, 0) }
                return (Int32(start - origin), Int32(part.count))
            }
            try decodeRecords(base, header: header) { view in
                let (keyStart, keyLength) = position(view.key)
                let (valueStart, valueLength) = position(view.value)
                let (headerStart, headerLength) = position(view.headerBytes)
                entries.append(
                    DecodedBatch.Entry(
                        offset: view.offset, timestamp: view.timestamp, keyStart: keyStart, keyLength: keyLength,
                        valueStart: valueStart, valueLength: valueLength, headerStart: headerStart,
                        headerLength: max(0, headerLength), headerCount: Int32(view.headerCount)))
            }
        }
        return DecodedBatch(header: header, bytes: bytes, entries: entries)
    }
}
