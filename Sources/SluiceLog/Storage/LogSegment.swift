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
    /// Whether `maxTimestamp` was confirmed against the batches (index files carry no checksum,
    /// and retention and timestamp lookups trust this value).
    private var maxTimestampVerified = false
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
        if position == 0 { firstBatchTimestamp = header.maxTimestamp }
        addToIndexes(header, at: position)
        nextOffset = header.nextOffset
        indexesDirty = true
    }

    /// The one rule for index entries: an offset entry when `index.interval.bytes` have passed
    /// since the last one, a time entry whenever the largest timestamp grows.
    private func addToIndexes(_ header: RecordBatchHeader, at position: Int64) {
        let relative = Int32(truncatingIfNeeded: header.lastOffset - baseOffset)
        if bytesSinceIndexEntry >= indexIntervalBytes {
            offsetIndex.append(relativeOffset: relative, position: Int32(truncatingIfNeeded: position))
            bytesSinceIndexEntry = 0
        }
        bytesSinceIndexEntry += header.totalSize
        if header.maxTimestamp > maxTimestamp {
            maxTimestamp = header.maxTimestamp
            timeIndex.append(timestamp: header.maxTimestamp, relativeOffset: relative)
        }
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
        try position(of: offset, limit: limit, trustIndex: false)
    }

    /// Index files carry no checksum, so the entry a lookup uses is checked against the batch it
    /// points at; a mismatch (a damaged or stale index) rebuilds the indexes from the `.log`.
    private func position(of offset: Int64, limit: Int64, trustIndex: Bool) throws -> Int64? {
        var position: Int64 = 0
        if let entry = offsetIndex.entry(below: Int32(clamping: offset - baseOffset)) {
            let header = try? header(at: Int64(entry.position), limit: limit)
            if trustIndex || header?.lastOffset == baseOffset + Int64(entry.relativeOffset) {
                position = Int64(entry.position)
            } else {
                try rebuildIndexes()
                return try self.position(of: offset, limit: limit, trustIndex: true)
            }
        }
        while let header = try header(at: position, limit: limit) {
            if header.lastOffset >= offset { return position }
            position += Int64(header.totalSize)
        }
        return nil
    }

    /// First offset whose record timestamp is ≥ `timestamp`, below `limit`, or nil.
    func offset(forTimestamp timestamp: Int64, limit: Int64, decoder: RecordBatchDecoder) throws -> Int64? {
        try offset(forTimestamp: timestamp, limit: limit, decoder: decoder, trustIndex: false)
    }

    private func offset(forTimestamp timestamp: Int64, limit: Int64, decoder: RecordBatchDecoder, trustIndex: Bool) throws -> Int64? {
        guard try verifiedMaxTimestamp() >= timestamp else { return nil }
        var startOffset = baseOffset
        if let entry = timeIndex.entry(below: timestamp) {
            // The entry's batch must end at its offset and carry exactly its timestamp.
            let entryOffset = baseOffset + Int64(entry.relativeOffset)
            var header: RecordBatchHeader?
            if let found = try? position(of: entryOffset, limit: limit) {
                header = try? self.header(at: found, limit: limit)
            }
            if trustIndex || (header?.lastOffset == entryOffset && header?.maxTimestamp == entry.timestamp) {
                startOffset = entryOffset + 1
            } else {
                try rebuildIndexes()
                return try offset(forTimestamp: timestamp, limit: limit, decoder: decoder, trustIndex: true)
            }
        }
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

    /// The largest batch timestamp, confirmed once against the batches from the time index's last
    /// entry to the end (a damaged time index is rebuilt). Usually one header read.
    func verifiedMaxTimestamp() throws -> Int64 {
        if maxTimestampVerified { return maxTimestamp }
        var position: Int64 = 0
        var largest: Int64 = -1
        var consistent = true
        if let last = timeIndex.entries.last {
            let entryOffset = baseOffset + Int64(last.relativeOffset)
            if let found = try? self.position(of: entryOffset, limit: size, trustIndex: false),
                let header = try? header(at: found, limit: size), header.lastOffset == entryOffset, header.maxTimestamp == last.timestamp
            {
                position = found
            } else {
                consistent = false
            }
        }
        while consistent, position < size, let header = try? header(at: position, limit: size) {
            largest = max(largest, header.maxTimestamp)
            position += Int64(header.totalSize)
        }
        if !consistent || largest != maxTimestamp {
            try rebuildIndexes()
        }
        maxTimestampVerified = true
        return maxTimestamp
    }

    /// Rebuilds both indexes from the batch headers below `size`, without changing what the
    /// segment holds. Throws `corruptLog` when a header there is unreadable.
    func rebuildIndexes() throws {
        offsetIndex.removeAll()
        timeIndex.removeAll()
        bytesSinceIndexEntry = 0
        maxTimestamp = -1
        var position: Int64 = 0
        while position < size {
            guard let header = try? header(at: position, limit: size), (try? header.validateShape()) != nil,
                position + Int64(header.totalSize) <= size
            else {
                throw LogError(.corruptLog, "\(logPath) has an unreadable batch header at position \(position) while rebuilding its index")
            }
            addToIndexes(header, at: position)
            position += Int64(header.totalSize)
        }
        maxTimestampVerified = true
        indexesDirty = true
    }

    /// Undoes appends: cuts the `.log` back to `size` bytes ending at `nextOffset` (a batch
    /// boundary this segment reported earlier) and drops the index entries beyond it.
    func rollBack(toSize size: Int64, nextOffset: Int64) throws {
        try file.truncate(to: size)
        // The cut must survive a power loss too: the roll that failed may have fsynced the bytes.
        try file.sync()
        self.size = size
        self.nextOffset = nextOffset
        offsetIndex.truncate(toPosition: Int32(truncatingIfNeeded: size))
        timeIndex.truncate(toRelativeOffset: Int32(truncatingIfNeeded: nextOffset - baseOffset))
        maxTimestamp = timeIndex.entries.last?.timestamp ?? -1
        bytesSinceIndexEntry = indexIntervalBytes
        if size == 0 { firstBatchTimestamp = -1 }
        indexesDirty = true
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
        maxTimestampVerified = true
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
        let rescan = { try self.scan(verifyCRC: true, expectedFirstOffset: expectedFirstOffset, requireDenseOffsets: requireDenseOffsets) }
        guard io.exists(indexPath), io.exists(timeIndexPath),
            let offsets = (try? readFile(indexPath)).flatMap({ OffsetIndex.decode($0, logSize: fileSize) }),
            let times = (try? readFile(timeIndexPath)).flatMap(TimeIndex.decode),
            let last = offsets.entries.last,
            let lastHeader = try? header(at: Int64(last.position), limit: fileSize),
            lastHeader.lastOffset == baseOffset + Int64(last.relativeOffset),
            let first = try? header(at: 0, limit: fileSize)
        else {
            // Missing, malformed or stale indexes: rebuild from the log, validating every batch.
            return try rescan()
        }
        offsetIndex = offsets
        timeIndex = times
        maxTimestamp = times.entries.last?.timestamp ?? -1
        firstBatchTimestamp = first.maxTimestamp
        // Walk (and CRC-check) the batches from the last indexed one to the end of the file. One
        // there that should have been indexed, or that raises the largest timestamp without a
        // time-index entry, means the indexes are stale: rebuild them instead.
        var position = Int64(last.position)
        var expected = lastHeader.baseOffset
        bytesSinceIndexEntry = 0
        while position < fileSize {
            guard let header = try? header(at: position, limit: fileSize), (try? header.validateShape()) != nil,
                position + Int64(header.totalSize) <= fileSize
            else {
                return ScanResult(validBytes: position, stopReason: "unreadable batch header at position \(position)")
            }
            do {
                let bytes = try read(at: position, count: header.totalSize)
                try bytes.withUnsafeBytes { try header.validate(batch: $0) }
            } catch {
                return ScanResult(validBytes: position, stopReason: "\(error)", stoppedAtOffset: header.baseOffset)
            }
            guard requireDenseOffsets ? header.baseOffset == expected : header.baseOffset >= expected else {
                return ScanResult(
                    validBytes: position, stopReason: "batch at position \(position) has base offset \(header.baseOffset), expected \(expected)",
                    stoppedAtOffset: header.baseOffset)
            }
            if position > Int64(last.position) && (bytesSinceIndexEntry >= indexIntervalBytes || header.maxTimestamp > maxTimestamp) {
                return try rescan()
            }
            bytesSinceIndexEntry += header.totalSize
            nextOffset = header.nextOffset
            expected = header.nextOffset
            position += Int64(header.totalSize)
        }
        size = position
        indexesDirty = false
        return ScanResult(validBytes: size, stopReason: nil)
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
