/// One segment of a partition: `<base>.log` (RecordBatch v2 frames, the exact wire bytes) with
/// its `.index` and `.timeindex`. Kafka's `LogSegment`.
///
/// Invariants:
/// - `size` bytes of the `.log` are whole, CRC-valid batches whose offsets start at or after
///   `baseOffset` and increase; `nextOffset` is one past the last batch's last offset.
/// - The indexes describe exactly those bytes (entries point at batch starts).
/// - Only the active (last) segment of a partition is appended to; rolling seals it: indexes
///   written, `.log` and indexes fsynced.
///
/// Thread-safety: mutated only under the owning `Partition`'s lock. `file` is a positional
/// handle, so `read(at:count:)` is safe from any thread for bytes below a published end.
final class LogSegment: @unchecked Sendable {
    let baseOffset: Int64
    let directory: String
    let file: any StorageFile
    private let io: any StorageIO
    let indexIntervalBytes: Int

    private(set) var size: Int64 = 0
    private(set) var nextOffset: Int64
    /// Largest batch `maxTimestamp` in the segment, -1 when empty.
    private(set) var maxTimestamp: Int64 = -1
    /// `maxTimestamp` of the first batch.
    private(set) var firstBatchTimestamp: Int64 = -1
    /// Wall-clock time this segment was created or opened: what `segment.ms` is measured from.
    /// (Kafka measures from the first batch's timestamp, which rolls a segment per batch when
    /// producers replay old events; wall-clock time does not.)
    var openedAtMs: Int64 = 0
    private var offsetIndex = OffsetIndex()
    private var timeIndex = TimeIndex()
    private var bytesSinceIndexEntry = 0
    private(set) var indexesDirty = false

    var logPath: String { Self.path(directory, baseOffset, "log") }
    var indexPath: String { Self.path(directory, baseOffset, "index") }
    var timeIndexPath: String { Self.path(directory, baseOffset, "timeindex") }
    var isEmpty: Bool { size == 0 }

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + suffix
    }

    static func path(_ directory: String, _ baseOffset: Int64, _ suffix: String) -> String {
        directory + "/" + fileName(baseOffset, suffix)
    }

    /// Parses `00000000000000001234.log` into 1234.
    static func baseOffset(ofLogFile name: String) -> Int64? {
        guard name.hasSuffix(".log") else { return nil }
        let stem = name.dropLast(4)
        guard stem.count == 20, stem.allSatisfy(\.isASCII), stem.allSatisfy(\.isNumber) else { return nil }
        return Int64(stem)
    }

    private init(directory: String, baseOffset: Int64, file: any StorageFile, io: any StorageIO, indexIntervalBytes: Int) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.file = file
        self.io = io
        self.indexIntervalBytes = indexIntervalBytes
        self.nextOffset = baseOffset
    }

    /// Creates a new, empty segment (the caller syncs the directory).
    static func create(directory: String, baseOffset: Int64, io: any StorageIO, indexIntervalBytes: Int) throws -> LogSegment {
        let file = try io.open(path(directory, baseOffset, "log"), mode: .readWrite)
        if try file.size() != 0 { try file.truncate(to: 0) }
        let segment = LogSegment(directory: directory, baseOffset: baseOffset, file: file, io: io, indexIntervalBytes: indexIntervalBytes)
        segment.indexesDirty = true
        return segment
    }

    /// Opens an existing segment without reading its batches; follow with `recover`,
    /// `loadIndexes` or `scanHeaders`.
    static func open(
        directory: String, baseOffset: Int64, io: any StorageIO, indexIntervalBytes: Int, readOnly: Bool
    ) throws -> LogSegment {
        let file = try io.open(path(directory, baseOffset, "log"), mode: readOnly ? .readOnly : .readWrite)
        return LogSegment(directory: directory, baseOffset: baseOffset, file: file, io: io, indexIntervalBytes: indexIntervalBytes)
    }

    // MARK: Appending

    /// Appends whole batches (already validated, offsets already assigned) with one write.
    /// On a failed write the file is cut back to its previous size, so nothing half-written remains.
    func append(_ bytes: UnsafeRawBufferPointer, batches: [(header: RecordBatchHeader, position: Int)]) throws {
        do {
            try file.write(bytes, at: size)
        } catch {
            try? file.truncate(to: size)
            throw error
        }
        for (header, position) in batches {
            noteBatch(header, at: size + Int64(position))
        }
        size += Int64(bytes.count)
    }

    private func noteBatch(_ header: RecordBatchHeader, at position: Int64) {
        let relative = Int32(truncatingIfNeeded: header.lastOffset - baseOffset)
        if position == 0 { firstBatchTimestamp = header.maxTimestamp }
        if bytesSinceIndexEntry >= indexIntervalBytes {
            offsetIndex.append(relativeOffset: relative, position: Int32(truncatingIfNeeded: position))
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.totalSize
        if header.maxTimestamp > maxTimestamp {
            maxTimestamp = header.maxTimestamp
            timeIndex.append(timestamp: header.maxTimestamp, relativeOffset: relative)
        }
        nextOffset = header.nextOffset
        indexesDirty = true
    }

    /// Whether a batch of `count` more bytes ending at `lastOffset` must go to a new segment.
    func mustRoll(adding count: Int, lastOffset: Int64, segmentBytes: Int64, segmentMs: Int64, now: Int64) -> Bool {
        guard size > 0 else { return false }
        if size + Int64(count) > segmentBytes { return true }
        if lastOffset - baseOffset > Int64(Int32.max) { return true }
        if size + Int64(count) > Int64(Int32.max) { return true }
        if segmentMs >= 0, now - openedAtMs > segmentMs { return true }
        return false
    }

    // MARK: Reading

    func read(at position: Int64, count: Int) throws -> [UInt8] {
        try file.read(count: count, at: position)
    }

    /// Reads the batch header at `position`, or nil past `limit`.
    func header(at position: Int64, limit: Int64) throws -> RecordBatchHeader? {
        guard position + Int64(RecordBatchHeader.size) <= limit else { return nil }
        let bytes = try file.read(count: RecordBatchHeader.size, at: position)
        return try bytes.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
    }

    /// Start position of the first batch whose last offset is ≥ `offset`, below `limit`;
    /// nil when no such batch is in the segment.
    func position(of offset: Int64, limit: Int64) throws -> Int64? {
        let relative = Int32(clamping: offset - baseOffset)
        var position = Int64(offsetIndex.scanStart(for: relative))
        while let header = try header(at: position, limit: limit) {
            if header.lastOffset >= offset { return position }
            position += Int64(header.totalSize)
        }
        return nil
    }

    /// First offset whose record timestamp is ≥ `timestamp`, below `limit`, or nil.
    func offset(forTimestamp timestamp: Int64, limit: Int64, decoder: RecordBatchDecoder) throws -> Int64? {
        guard maxTimestamp >= timestamp else { return nil }
        let startOffset = baseOffset + Int64(timeIndex.scanStart(for: timestamp))
        guard var position = try position(of: startOffset, limit: limit) else { return nil }
        while let header = try header(at: position, limit: limit) {
            if header.maxTimestamp >= timestamp {
                let bytes = try read(at: position, count: header.totalSize)
                var found: Int64?
                try bytes.withUnsafeBytes { raw in
                    try header.validate(batch: raw)
                    try decoder.forEachRecord(in: raw, header: header) { record in
                        if found == nil && record.timestamp >= timestamp { found = record.offset }
                    }
                }
                if let found { return found }
            }
            position += Int64(header.totalSize)
        }
        return nil
    }

    // MARK: Recovery and indexes

    struct ScanResult {
        /// Bytes of whole valid batches from the start.
        var validBytes: Int64
        /// Why the scan stopped before the end of the file, if it did.
        var stopReason: String?
        /// Base offset the first invalid batch claimed, when readable.
        var stoppedAtOffset: Int64?
    }

    /// Walks every batch from the start, rebuilding indexes and the segment's end. With
    /// `verifyCRC` each batch is fully validated (unclean recovery); without, only headers are
    /// read (index rebuild of a cleanly closed segment). Stops at the first invalid or partial
    /// batch and reports where; it never changes the file.
    func scan(verifyCRC: Bool, expectedFirstOffset: Int64, requireDenseOffsets: Bool) throws -> ScanResult {
        offsetIndex.removeAll()
        timeIndex.removeAll()
        bytesSinceIndexEntry = 0
        maxTimestamp = -1
        firstBatchTimestamp = -1
        nextOffset = baseOffset
        size = 0
        indexesDirty = true
        return try scan(from: 0, verifyCRC: verifyCRC, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets)
    }

    /// Read-only opens: takes in the whole, CRC-valid batches another process appended after
    /// `size`. Stops quietly at an incomplete or not yet fully written batch.
    func extend(requireDenseOffsets: Bool) throws {
        _ = try scan(from: size, verifyCRC: true, expectedFirstOffset: nextOffset, requireDenseOffsets: requireDenseOffsets)
    }

    private func scan(from start: Int64, verifyCRC: Bool, expectedFirstOffset: Int64, requireDenseOffsets: Bool) throws -> ScanResult {
        let fileSize = try file.size()
        let chunkSize = 8 << 20
        var chunkStart: Int64 = start
        var chunk: [UInt8] = []
        var expected = expectedFirstOffset
        var position: Int64 = start
        while position < fileSize {
            let remaining = fileSize - position
            guard remaining >= Int64(RecordBatchHeader.size) else {
                return ScanResult(validBytes: position, stopReason: "\(remaining) trailing bytes are too short for a batch header")
            }
            let header: RecordBatchHeader
            if verifyCRC {
                // Keep a window of the file in memory so validation reads big sequential chunks.
                if position + Int64(RecordBatchHeader.size) > chunkStart + Int64(chunk.count) {
                    chunkStart = position
                    try file.read(into: &chunk, count: Int(min(Int64(chunkSize), remaining)), at: position)
                }
                do {
                    header = try chunk.withUnsafeBytes { try RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[Int(position - chunkStart)...])) }
                    try header.validateShape()
                } catch {
                    return ScanResult(validBytes: position, stopReason: "\(error)")
                }
                let end = position + Int64(header.totalSize)
                guard end <= fileSize else {
                    return ScanResult(validBytes: position, stopReason: "batch at offset \(header.baseOffset) is cut short by the end of the file", stoppedAtOffset: header.baseOffset)
                }
                if end > chunkStart + Int64(chunk.count) {
                    chunkStart = position
                    try file.read(into: &chunk, count: Int(min(Int64(max(chunkSize, header.totalSize)), fileSize - position)), at: position)
                }
                do {
                    try chunk.withUnsafeBytes { raw in
                        let from = Int(position - chunkStart)
                        try header.validate(batch: UnsafeRawBufferPointer(rebasing: raw[from..<(from + header.totalSize)]))
                    }
                } catch {
                    return ScanResult(validBytes: position, stopReason: "\(error)", stoppedAtOffset: header.baseOffset)
                }
            } else {
                do {
                    guard let parsed = try self.header(at: position, limit: fileSize) else { break }
                    try parsed.validateShape()
                    header = parsed
                } catch {
                    return ScanResult(validBytes: position, stopReason: "\(error)")
                }
                guard position + Int64(header.totalSize) <= fileSize else {
                    return ScanResult(validBytes: position, stopReason: "batch at offset \(header.baseOffset) is cut short by the end of the file", stoppedAtOffset: header.baseOffset)
                }
            }
            let continuous = requireDenseOffsets ? header.baseOffset == expected : header.baseOffset >= expected
            guard continuous, header.lastOffset - baseOffset <= Int64(Int32.max) else {
                return ScanResult(
                    validBytes: position,
                    stopReason: "batch at position \(position) has base offset \(header.baseOffset), expected \(expected)",
                    stoppedAtOffset: header.baseOffset)
            }
            noteBatch(header, at: position)
            size = position + Int64(header.totalSize)
            position = size
            expected = header.nextOffset
        }
        return ScanResult(validBytes: position, stopReason: nil)
    }

    /// Loads the index files of a cleanly closed segment, then walks the headers after the last
    /// indexed batch to find the end. Falls back to a header scan of the whole segment (and
    /// marks the indexes for rewriting) when an index is missing or malformed.
    /// - Returns: false when the segment's bytes do not end on a batch boundary.
    func loadIndexes(expectedFirstOffset: Int64, requireDenseOffsets: Bool) throws -> ScanResult {
        let fileSize = try file.size()
        if io.exists(indexPath), io.exists(timeIndexPath),
            let offsets = OffsetIndex.decode(try readFile(indexPath), logSize: fileSize),
            let times = TimeIndex.decode(try readFile(timeIndexPath)),
            let last = offsets.entries.last
        {
            offsetIndex = offsets
            timeIndex = times
            maxTimestamp = times.entries.last?.timestamp ?? -1
            // Walk from the last indexed batch to the end of the file; a batch there that should
            // have been indexed means the index is stale, so rebuild it instead.
            var position = Int64(last.position)
            guard let lastHeader = try header(at: position, limit: fileSize),
                lastHeader.lastOffset == baseOffset + Int64(last.relativeOffset),
                let first = try header(at: 0, limit: fileSize)
            else {
                return try scan(verifyCRC: false, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets)
            }
            firstBatchTimestamp = first.maxTimestamp
            bytesSinceIndexEntry = 0
            while position < fileSize {
                guard let header = try? header(at: position, limit: fileSize), (try? header.validateShape()) != nil,
                    position + Int64(header.totalSize) <= fileSize
                else {
                    return ScanResult(validBytes: position, stopReason: "unreadable batch header at position \(position)")
                }
                if position > Int64(last.position) && bytesSinceIndexEntry >= indexIntervalBytes {
                    return try scan(verifyCRC: false, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets)
                }
                if header.maxTimestamp > maxTimestamp {
                    return try scan(verifyCRC: false, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets)
                }
                bytesSinceIndexEntry += header.totalSize
                nextOffset = header.nextOffset
                position += Int64(header.totalSize)
            }
            size = position
            indexesDirty = false
            return ScanResult(validBytes: size, stopReason: nil)
        }
        return try scan(verifyCRC: false, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets)
    }

    private func readFile(_ path: String) throws -> [UInt8] {
        let handle = try io.open(path, mode: .readOnly)
        defer { handle.close() }
        return try handle.readAll()
    }

    /// Cuts the `.log` to `validBytes` (only ever the unsynced tail of the active segment).
    func truncate(to validBytes: Int64) throws {
        try file.truncate(to: validBytes)
        try file.sync()
    }

    /// Writes both index files and fsyncs them and the `.log`: after this the segment is sealed.
    func seal() throws {
        try file.sync()
        try writeIndexes()
    }

    func writeIndexes() throws {
        guard indexesDirty else { return }
        for (path, bytes) in [(indexPath, offsetIndex.encoded()), (timeIndexPath, timeIndex.encoded())] {
            let handle = try io.open(path, mode: .readWrite)
            defer { handle.close() }
            try handle.truncate(to: 0)
            try handle.write(bytes, at: 0)
            try handle.sync()
        }
        indexesDirty = false
    }

    /// Removes the segment's files: the `.log` first, so a crash leaves at worst orphan indexes,
    /// which the next open deletes.
    func delete() throws {
        file.close()
        try io.removeFile(logPath)
        try io.removeFile(indexPath)
        try io.removeFile(timeIndexPath)
    }

    var indexEntriesForTesting: (offsets: [OffsetIndex.Entry], times: [TimeIndex.Entry]) {
        (offsetIndex.entries, timeIndex.entries)
    }
}
