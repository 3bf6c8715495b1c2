import Synchronization

/// What one compaction pass did.
public struct CompactionSummary: Sendable, Equatable {
    public var segmentsCleaned = 0
    public var recordsRemoved = 0
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
}

/// Log compaction (`cleanup.policy=compact`), Kafka's `LogCleaner` in small: keep at least the
/// last record of every key.
///
/// Guarantees:
/// - Offsets never change; removed records leave gaps (readers of compacted topics expect them).
///   A batch keeps its base offset and last offset delta even when records inside are removed.
/// - Only sealed segments entirely below the high watermark are rewritten, never the active one;
///   a segment is cleaned only once `min.compaction.lag.ms` has passed since its newest record.
/// - A record is removed only when a later record with the same key exists in a sealed segment.
///   A tombstone (null value) is kept for `delete.retention.ms` after its own timestamp, so
///   readers catching up see the delete, then removed.
/// - Crash safety: the cleaned copy is written as `<base>.log.cleaned`, fsynced, renamed to
///   `<base>.log.swap` (the commit point, made durable by a directory fsync), then replaces the
///   segment. An open deletes `.cleaned` leftovers and completes any `.swap`.
extension Partition {
    /// Runs one compaction pass if the topic is compacted.
    @discardableResult
    public func compact() throws -> CompactionSummary {
        guard !readOnly else { return CompactionSummary() }
        let now = clock()
        let (config, sealed): (TopicConfig, [LogSegment]) = state.withLock { s in
            guard s.config.isCompacted, s.failure == nil else { return (s.config, []) }
            let below = s.segments.dropLast().filter { $0.nextOffset <= s.acknowledged.offset && !$0.isEmpty }
            return (s.config, Array(below))
        }
        guard !sealed.isEmpty else { return CompactionSummary() }
        let decoder = try RecordBatchDecoder()

        // Latest offset of every key in the sealed segments.
        var latest: [[UInt8]: Int64] = [:]
        for segment in sealed {
            try forEachStoredBatch(segment, decoder: decoder) { header, batch in
                try decoder.forEachRecord(in: batch, header: header) { record in
                    if let key = record.key { latest[[UInt8](key)] = record.offset }
                }
            }
        }

        var summary = CompactionSummary()
        for segment in sealed {
            // Segment state (its indexes may be rebuilt by the check) changes only under the lock.
            let newest = state.withLock { _ in try? segment.verifiedMaxTimestamp() }
            guard let newest, now - newest >= config.minCompactionLagMs else { continue }
            var cleaned: [UInt8] = []
            var removed = 0
            try forEachStoredBatch(segment, decoder: decoder) { header, batch in
                var builder = RecordBatchBuilder()
                try decoder.forEachRecord(in: batch, header: header) { record in
                    let superseded = record.key.map { latest[[UInt8]($0)].map { $0 > record.offset } ?? false } ?? false
                    let expiredTombstone = record.value == nil && now - record.timestamp > config.deleteRetentionMs
                    if superseded || expiredTombstone {
                        removed += 1
                        return
                    }
                    builder.append(
                        key: record.key, value: record.value, headers: record.headerCount == 0 ? [] : record.headers(),
                        timestamp: record.timestamp, offsetDelta: Int32(record.offset - header.baseOffset))
                }
                guard !builder.isEmpty else { return }
                builder.lastOffsetDelta = header.lastOffsetDelta
                let codec: CompressionCodec = header.compression == CompressionCodec.none ? .none : .zstd
                try RecordBatchEncoder(compression: codec, level: config.zstdLevel).encode(
                    builder, baseOffset: header.baseOffset, into: &cleaned)
            }
            guard removed > 0 else { continue }
            try replace(segment, with: cleaned)
            summary.segmentsCleaned += 1
            summary.recordsRemoved += removed
            summary.bytesBefore += segment.size
            summary.bytesAfter += Int64(cleaned.count)
        }
        return summary
    }

    /// Visits the whole, CRC-checked batches of a sealed segment.
    private func forEachStoredBatch(
        _ segment: LogSegment, decoder: RecordBatchDecoder, _ body: (RecordBatchHeader, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let bytes = try segment.read(at: 0, count: Int(segment.size))
        let covered = try bytes.withUnsafeBytes { raw in try RecordBatchDecoder.forEachBatch(in: raw, body) }
        guard covered == bytes.count else {
            throw LogError(.corruptLog, "\(segment.logPath) does not end on a whole batch (\(covered) of \(bytes.count) bytes)")
        }
    }

    /// Swaps a sealed segment for its cleaned copy, crash-safely (see the type's comment).
    private func replace(_ segment: LogSegment, with cleaned: [UInt8]) throws {
        let swapPath = segment.logPath + ".swap"
        let cleanedPath = segment.logPath + ".cleaned"
        let file = try io.open(cleanedPath, mode: .readWrite)
        try file.truncate(to: 0)
        try file.write(cleaned, at: 0)
        try file.sync()
        file.close()
        try io.rename(cleanedPath, to: swapPath)
        try io.syncDirectory(directory)
        try state.withLock { s in
            guard let index = s.segments.firstIndex(where: { $0 === segment }) else {
                // Retention deleted it meanwhile: the copy is not needed.
                try io.removeFile(swapPath)
                return
            }
            let replacement = try Self.completeSwap(
                directory: directory, baseOffset: segment.baseOffset, io: io, indexIntervalBytes: s.config.indexIntervalBytes)
            replacement.openedAtMs = segment.openedAtMs
            s.segments[index] = replacement
        }
    }

    /// Finishes a swap whose `.swap` file exists: the old segment's files go, the copy takes its
    /// name, and its indexes are built. Also what an open does with a leftover `.swap`.
    static func completeSwap(directory: String, baseOffset: Int64, io: any StorageIO, indexIntervalBytes: Int) throws -> LogSegment {
        let logPath = LogSegment.path(directory, baseOffset, "log")
        try io.removeFile(LogSegment.path(directory, baseOffset, "index"))
        try io.removeFile(LogSegment.path(directory, baseOffset, "timeindex"))
        try io.rename(logPath + ".swap", to: logPath)
        try io.syncDirectory(directory)
        let segment = try LogSegment.open(directory: directory, baseOffset: baseOffset, io: io, indexIntervalBytes: indexIntervalBytes, readOnly: false)
        let result = try segment.scan(verifyCRC: true, expectedFirstOffset: baseOffset, requireDenseOffsets: false)
        if let reason = result.stopReason {
            throw LogError(.corruptLog, "cleaned segment \(logPath) is damaged: \(reason)")
        }
        try segment.writeIndexes()
        return segment
    }
}
