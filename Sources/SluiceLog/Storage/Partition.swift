import Foundation
import Synchronization

/// Where an append landed.
public struct AppendResult: Sendable, Equatable {
    public var baseOffset: Int64
    public var lastOffset: Int64
    public var recordCount: Int
    /// The offset after this append: what must be acknowledged for it to count.
    public var nextOffset: Int64 { lastOffset + 1 }
}

/// Whole stored batches read from a partition, exactly as they are on disk.
public struct FetchResult: Sendable {
    /// Concatenated RecordBatch v2 frames, CRC-checked. The first batch may start before the
    /// requested offset (batches are never split); consumers skip those records.
    public var records: [UInt8]
    public var highWatermark: Int64
    public var logStartOffset: Int64
}

/// One partition of a topic: an ordered list of segments, of which the last is active.
///
/// Guarantees:
/// - Offsets are assigned densely in append order; the log never duplicates or reorders a batch.
/// - Readers see only batches below the high watermark: the acknowledged end. In `strict`
///   durability that is the fsynced end; in `interval`/`none` the end written to the OS (which a
///   process crash cannot lose).
/// - A failed write leaves nothing visible; a failed fsync stops the partition (fail-stop,
///   Kafka's KAFKA_STORAGE_ERROR): no later append is acknowledged until the log is reopened.
/// - Every batch handed out has passed its CRC-32C check.
///
/// Thread-safety: any number of readers and writers. Appends serialise on one lock (offsets must
/// be assigned in order); fsyncs serialise on another, so appenders that arrive while one fsync is
/// running share the next (group commit). Reads hold the lock only to locate bytes.
public final class Partition: Sendable {
    public let topic: String
    public let id: Int32
    public let directory: String
    let io: any StorageIO
    let clock: @Sendable () -> Int64
    let readOnly: Bool

    struct Acknowledged {
        var offset: Int64
        var segmentBase: Int64
        var position: Int64
    }

    struct State: @unchecked Sendable {  // LogSegment is guarded by this very lock
        var config: TopicConfig
        var segments: [LogSegment]
        var logStartOffset: Int64
        var logEndOffset: Int64
        var acknowledged: Acknowledged
        var failure: LogError?
        var unflushedMessages: Int64 = 0
        var lastFlushMs: Int64
        var recoveryPoint: Int64

        var active: LogSegment? { segments.last }
    }

    let state: Mutex<State>
    /// The fsynced end; the lock is held across each fsync, which is what groups commits.
    private let syncedEnd: Mutex<Int64>
    /// Serialises codec conversion (rare: only producers whose codec differs from the topic's).
    private let transcoder = Mutex<TranscoderBox>(TranscoderBox())
    private let highWatermarkValue: Atomic<Int64>
    private let dataArrived = NSCondition()
    /// Readers waiting on several partitions at once (consumers).
    private let watchers = Mutex<[DataSignal]>([])
    /// What recovery found and did when this partition was opened (for the operator's log).
    public let recoveryReport: [String]
    private let rollHook = Mutex<(@Sendable () -> Void)?>(nil)

    // MARK: Opening

    init(
        topic: String, id: Int32, directory: String, config: TopicConfig, io: any StorageIO,
        clock: @escaping @Sendable () -> Int64, recoveryPoint: Int64?, cleanShutdown: Bool, readOnly: Bool,
        logStartOffset checkpointed: Int64? = nil, onRoll: (@Sendable () -> Void)? = nil
    ) throws {
        self.topic = topic
        self.id = id
        self.directory = directory
        self.io = io
        self.clock = clock
        self.readOnly = readOnly
        var report: [String] = []
        let segments = try Self.loadSegments(
            directory: directory, config: config, io: io, recoveryPoint: recoveryPoint ?? 0,
            cleanShutdown: cleanShutdown && recoveryPoint != nil, readOnly: readOnly, now: clock(), report: &report)
        let last = segments.last
        let end = last?.nextOffset ?? 0
        let acknowledged = Acknowledged(offset: end, segmentBase: last?.baseOffset ?? 0, position: last?.size ?? 0)
        state = Mutex(
            State(
                // A start moved by `deleteRecords` may lie inside the first segment; never past the end.
                config: config, segments: segments, logStartOffset: max(segments.first?.baseOffset ?? 0, min(checkpointed ?? 0, end)),
                logEndOffset: end,
                acknowledged: acknowledged, lastFlushMs: clock(),
                recoveryPoint: min(max(recoveryPoint ?? 0, last?.baseOffset ?? 0), end)))
        syncedEnd = Mutex(end)
        highWatermarkValue = Atomic(end)
        recoveryReport = report
    }

    private static func loadSegments(
        directory: String, config: TopicConfig, io: any StorageIO, recoveryPoint: Int64, cleanShutdown: Bool, readOnly: Bool,
        now: Int64, report: inout [String]
    ) throws -> [LogSegment] {
        if !readOnly { try io.createDirectory(directory) }
        if !readOnly && io.isDirectory(directory) {
            // Compaction leftovers: an unfinished copy goes; a committed swap is completed.
            for name in try io.contentsOfDirectory(directory) {
                if name.hasSuffix(".log.cleaned") {
                    try io.removeFile(directory + "/" + name)
                    report.append("removed unfinished compaction copy \(directory)/\(name)")
                } else if name.hasSuffix(".log.swap"), let base = LogSegment.baseOffset(ofLogFile: String(name.dropLast(5))) {
                    _ = try completeSwap(directory: directory, baseOffset: base, io: io, indexIntervalBytes: config.indexIntervalBytes)
                    report.append("completed an interrupted compaction of \(directory)/\(name)")
                }
            }
        }
        let names = io.isDirectory(directory) ? try io.contentsOfDirectory(directory) : []
        let bases = names.compactMap(LogSegment.baseOffset(ofLogFile:)).sorted()
        if !readOnly {
            // Leftovers of an interrupted delete, and indexes whose log is gone.
            let logStems = Set(bases.map { LogSegment.fileName($0, "log").dropLast(4) })
            for name in names {
                let isIndex = name.hasSuffix(".index") || name.hasSuffix(".timeindex")
                let stem = name.split(separator: ".").first.map(String.init) ?? name
                if name.hasSuffix(".deleted") || (isIndex && !logStems.contains(Substring(stem))) {
                    try io.removeFile(directory + "/" + name)
                    report.append("removed leftover file \(directory)/\(name)")
                }
            }
        }
        let dense = !config.isCompacted
        var segments: [LogSegment] = []
        for (i, base) in bases.enumerated() {
            let isLast = i == bases.count - 1
            let segment = try LogSegment.open(
                directory: directory, baseOffset: base, io: io, indexIntervalBytes: config.indexIntervalBytes, readOnly: readOnly)
            if let previous = segments.last {
                let continuous = dense ? base == previous.nextOffset : base >= previous.nextOffset
                guard continuous else {
                    throw LogError(
                        .corruptLog,
                        "\(previous.logPath) ends at offset \(previous.nextOffset) but the next segment \(segment.logPath) starts at \(base): offsets \(min(base, previous.nextOffset))..<\(max(base, previous.nextOffset)) are missing or overlap (one of the two files is damaged)"
                    )
                }
            }
            let nextBase = isLast ? Int64.max : bases[i + 1]
            let mustScan = !readOnly && !cleanShutdown && nextBase > recoveryPoint
            let result: LogSegment.ScanResult
            if mustScan {
                result = try segment.scan(verifyCRC: true, expectedFirstOffset: base, requireDenseOffsets: dense)
            } else {
                result = try segment.loadIndexes(expectedFirstOffset: base, requireDenseOffsets: dense)
            }
            if let reason = result.stopReason {
                if readOnly && isLast {
                    // A writer may be in the middle of appending: the valid prefix is what exists.
                } else if mustScan && isLast && segment.nextOffset >= recoveryPoint {
                    // Everything below the recovery point is intact: the damage is in the tail
                    // written after the last known fsync, which a crash may tear.
                    let fileSize = try segment.file.size()
                    try segment.truncate(to: result.validBytes)
                    report.append(
                        "truncated \(fileSize - result.validBytes) bytes of unsynced tail from \(segment.logPath) at position \(result.validBytes) (offset \(segment.nextOffset)): \(reason)"
                    )
                } else {
                    throw LogError(
                        .corruptLog,
                        "\(segment.logPath) is damaged at position \(result.validBytes), after offset \(segment.nextOffset - 1): \(reason). This data was durable, so it is reported rather than truncated; offsets from \(segment.nextOffset) on in this partition cannot be read"
                    )
                }
            }
            if mustScan {
                // What recovery keeps may so far exist only in the page cache of the crashed
                // process; make it durable before anyone reads it (or a later power loss could
                // take back records that were served, and reuse their offsets).
                try segment.file.sync()
            }
            if !readOnly && !isLast && segment.indexesDirty { try segment.writeIndexes() }
            segment.openedAtMs = now
            segments.append(segment)
        }
        if !readOnly && !cleanShutdown { try io.syncDirectory(directory) }
        if segments.isEmpty && !readOnly {
            let segment = try LogSegment.create(directory: directory, baseOffset: 0, io: io, indexIntervalBytes: config.indexIntervalBytes)
            segment.openedAtMs = now
            segments.append(segment)
            try io.syncDirectory(directory)
        }
        return segments
    }

    // MARK: Offsets

    /// The first offset still stored (retention advances it).
    public var logStartOffset: Int64 { state.withLock { $0.logStartOffset } }
    /// One past the last offset written (acknowledged or not).
    public var logEndOffset: Int64 { state.withLock { $0.logEndOffset } }
    /// One past the last acknowledged offset: what readers may see.
    public var highWatermark: Int64 { highWatermarkValue.load(ordering: .acquiring) }
    public var config: TopicConfig { state.withLock { $0.config } }
    /// Offset below which everything is known durable (segments before it were sealed).
    public var recoveryPoint: Int64 { state.withLock { $0.recoveryPoint } }

    public struct Statistics: Sendable {
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var highWatermark: Int64
        public var segmentCount: Int
        public var sizeInBytes: Int64
    }

    public var statistics: Statistics {
        state.withLock { s in
            Statistics(
                logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset, highWatermark: s.acknowledged.offset,
                segmentCount: s.segments.count, sizeInBytes: s.segments.reduce(0) { $0 + $1.size })
        }
    }

    func updateConfig(_ config: TopicConfig) {
        state.withLock { $0.config = config }
    }

    // MARK: Appending

    /// Appends the batches in `batches` (RecordBatch v2 frames, base offsets ignored) and
    /// returns once they are acknowledged under the topic's durability mode.
    public func append(_ batches: [UInt8]) throws -> AppendResult {
        let result = try write(batches)
        try acknowledge(upTo: result.nextOffset)
        return result
    }

    /// Encodes `records` as one batch with the topic's compression and appends it.
    public func append(records: [Record]) throws -> AppendResult {
        var builder = RecordBatchBuilder()
        for record in records { builder.append(record) }
        let config = self.config
        let encoder = try RecordBatchEncoder(compression: config.compression == .uncompressed ? .none : .zstd, level: config.zstdLevel)
        return try append(encoder.encode(builder))
    }

    /// Validates and writes batches, assigning offsets, without waiting for acknowledgement.
    /// Follow with `acknowledge(upTo:)`; a producer that pipelines does so in batches.
    public func write(_ input: [UInt8]) throws -> AppendResult {
        guard !readOnly else { throw LogError(.storage, "partition \(topic)-\(id) is open read-only") }
        let config = self.config
        var bytes = input
        var batches = try Self.validateIncoming(bytes, topic: topic, partition: id, config: config)
        guard !batches.isEmpty else { throw LogError(.invalidRecord, "append to \(topic)-\(id) holds no record batch") }
        if let target = config.compression.storedCodec, batches.contains(where: { $0.header.compression != target }) {
            (bytes, batches) = try transcode(bytes, batches, to: target, config: config)
        }
        let now = clock()
        var rolled = false
        let result: AppendResult = try state.withLock { s in
            if let failure = s.failure { throw failure }
            guard var segment = s.active else { throw LogError(.storage, "partition \(topic)-\(id) has no segment") }
            let entry = (segments: s.segments.count, size: segment.size, next: segment.nextOffset, recoveryPoint: s.recoveryPoint)
            let base = s.logEndOffset
            var next = base
            var groupStart = 0
            var group: [(header: RecordBatchHeader, position: Int)] = []
            var records = 0
            func flushGroup(_ end: Int) throws {
                guard !group.isEmpty else { return }
                try bytes.withUnsafeBytes { raw in
                    try segment.append(UnsafeRawBufferPointer(rebasing: raw[groupStart..<end]), batches: group)
                }
                group.removeAll()
                groupStart = end
            }
            do {
                for (header, position) in batches {
                    var header = header
                    let delta = Int64(header.lastOffsetDelta)
                    if segment.mustRoll(
                        adding: header.totalSize, lastOffset: next + delta, segmentBytes: config.segmentBytes,
                        segmentMs: config.segmentMs, now: now)
                    {
                        try flushGroup(position)
                        segment = try roll(&s, at: next)
                        rolled = true
                    }
                    header.baseOffset = next
                    bytes.withUnsafeMutableBytes { raw in
                        raw.write(next, at: position)
                        raw.write(Int32(0), at: position + 12)  // partitionLeaderEpoch: one node, epoch 0
                        if config.logAppendTime {
                            let attributes = header.attributes | 0x08
                            raw.write(attributes, at: position + 21)
                            raw.write(now, at: position + 35)
                            header.attributes = attributes
                            header.maxTimestamp = now
                            let batch = UnsafeMutableRawBufferPointer(rebasing: raw[position..<(position + header.totalSize)])
                            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.attributesOffset...]))
                            raw.write(crc, at: position + RecordBatchHeader.crcOffset)
                        }
                    }
                    group.append((header, position - groupStart))
                    next += delta + 1
                    records += Int(header.recordsCount)
                }
                try flushGroup(bytes.count)
            } catch {
                // All or nothing: undo every byte and segment this call added, so a failed append
                // can be retried without duplicating anything.
                do {
                    var removedSegment = false
                    while s.segments.count > entry.segments {
                        try s.segments.removeLast().delete()
                        removedSegment = true
                    }
                    try s.active?.rollBack(toSize: entry.size, nextOffset: entry.next)
                    if removedSegment { try io.syncDirectory(directory) }
                    s.recoveryPoint = entry.recoveryPoint
                } catch {
                    s.failure = s.failure ?? LogError(
                        .storage,
                        "partition \(topic)-\(id) could not undo a failed append (\(error)); it accepts no more writes until the log is reopened")
                }
                s.logEndOffset = base
                throw Self.storageError(error, "append to \(topic)-\(id)")
            }
            s.logEndOffset = next
            s.unflushedMessages += Int64(records)
            return AppendResult(baseOffset: base, lastOffset: next - 1, recordCount: records)
        }
        if rolled { rollHook.withLock { $0 }?() }
        return result
    }

    /// Called after each roll (the log manager persists the recovery point then).
    func setRollHook(_ hook: @escaping @Sendable () -> Void) {
        rollHook.withLock { $0 = hook }
    }

    /// Seals the active segment and starts a new one at `offset`. Under the state lock.
    private func roll(_ s: inout State, at offset: Int64) throws -> LogSegment {
        if let active = s.active {
            do {
                try active.seal()
            } catch {
                // Like any failed fsync: what it covered may never reach the disk.
                let failure = LogError(
                    .storage,
                    "fsync of \(active.logPath) failed while rolling (\(error)); partition \(topic)-\(id) accepts no more writes until the log is reopened and recovered")
                s.failure = s.failure ?? failure
                throw failure
            }
        }
        let segment = try LogSegment.create(directory: directory, baseOffset: offset, io: io, indexIntervalBytes: s.config.indexIntervalBytes)
        segment.openedAtMs = clock()
        try io.syncDirectory(directory)
        s.segments.append(segment)
        s.recoveryPoint = offset
        return segment
    }

    /// Makes everything written up to `offset` acknowledged under the topic's durability mode:
    /// fsync (shared with concurrent callers) in `strict`, publish at once in `interval`/`none`.
    public func acknowledge(upTo offset: Int64) throws {
        let (mode, due) = state.withLock { s in
            (s.config.durability, s.unflushedMessages >= s.config.flushMessages || clock() - s.lastFlushMs >= s.config.flushMs)
        }
        switch mode {
        case .strict:
            try sync(upTo: offset)
        case .interval:
            publishWrittenEnd()
            if due { try sync(upTo: offset) }
        case .none:
            publishWrittenEnd()
        }
    }

    /// fsyncs the active segment if anything below `offset` is not yet durable. Callers that
    /// arrive while another fsync runs wait for it and usually find their data covered.
    public func sync(upTo offset: Int64 = .max) throws {
        try syncedEnd.withLock { synced in
            guard synced < offset else { return }
            let snapshot: (file: any StorageFile, acknowledged: Acknowledged) = try state.withLock { s in
                if let failure = s.failure { throw failure }
                guard let active = s.active else { throw LogError(.storage, "partition \(topic)-\(id) has no segment") }
                return (active.file, Acknowledged(offset: s.logEndOffset, segmentBase: active.baseOffset, position: active.size))
            }
            guard synced < snapshot.acknowledged.offset else { return }
            do {
                try snapshot.file.sync()
            } catch {
                let failure = LogError(
                    .storage,
                    "fsync of \(topic)-\(id) failed (\(error)); the partition accepts no more writes until the log is reopened and recovered")
                state.withLock { $0.failure = failure }
                throw failure
            }
            synced = snapshot.acknowledged.offset
            state.withLock { s in
                s.unflushedMessages = 0
                s.lastFlushMs = clock()
            }
            publish(snapshot.acknowledged)
        }
    }

    /// In `interval` mode, fsyncs if `flush.ms` has passed since the last fsync with data pending.
    func flushIfDue() throws {
        let due = state.withLock { s in
            s.config.durability == .interval && s.unflushedMessages > 0
                && (s.unflushedMessages >= s.config.flushMessages || clock() - s.lastFlushMs >= s.config.flushMs)
        }
        if due { try sync() }
    }

    private func publishWrittenEnd() {
        let written = state.withLock { s in
            Acknowledged(offset: s.logEndOffset, segmentBase: s.active?.baseOffset ?? 0, position: s.active?.size ?? 0)
        }
        publish(written)
    }

    private func publish(_ acknowledged: Acknowledged) {
        let advanced = state.withLock { s in
            guard acknowledged.offset > s.acknowledged.offset, s.failure == nil else { return false }
            s.acknowledged = acknowledged
            return true
        }
        guard advanced else { return }
        highWatermarkValue.store(acknowledged.offset, ordering: .releasing)
        dataArrived.lock()
        dataArrived.broadcast()
        dataArrived.unlock()
        for watcher in watchers.withLock({ $0 }) { watcher.notify() }
    }

    /// Calls `signal.notify()` whenever the high watermark advances, until `unwatch`.
    public func watch(_ signal: DataSignal) {
        watchers.withLock { watchers in
            if !watchers.contains(where: { $0 === signal }) { watchers.append(signal) }
        }
    }

    public func unwatch(_ signal: DataSignal) {
        watchers.withLock { $0.removeAll { $0 === signal } }
    }

    /// Blocks until the high watermark passes `offset` or `timeoutMs` elapses.
    /// - Returns: whether data beyond `offset` is available.
    @discardableResult
    public func waitForData(after offset: Int64, timeoutMs: Int) -> Bool {
        if highWatermark > offset { return true }
        if readOnly {
            // Another process writes: look at the files every 50 ms.
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeoutMs, 0)) * 1_000_000
            while true {
                try? refresh()
                if highWatermark > offset { return true }
                let now = DispatchTime.now().uptimeNanoseconds
                if now >= deadline { return false }
                usleep(UInt32(min(50_000, (deadline - now) / 1000)))
            }
        }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        dataArrived.lock()
        defer { dataArrived.unlock() }
        while highWatermark <= offset {
            if !dataArrived.wait(until: deadline) { return highWatermark > offset }
        }
        return true
    }

    // MARK: Reading

    /// For a read-only open: takes in what the writing process appended (new batches, new
    /// segments) and what its retention removed since the last look. A no-op for the writer.
    ///
    /// A reader in another process cannot see the writer's fsync point, so it may see batches
    /// the writer has written but not yet acknowledged (milliseconds in `strict` mode).
    public func refresh() throws {
        guard readOnly else { return }
        let published: Acknowledged? = try state.withLock { s in
            let dense = !s.config.isCompacted
            let names = io.isDirectory(directory) ? try io.contentsOfDirectory(directory) : []
            let bases = Set(names.compactMap(LogSegment.baseOffset(ofLogFile:)))
            // Segments the writer's retention deleted.
            while let first = s.segments.first, !bases.contains(first.baseOffset), s.segments.count > 1 {
                s.segments.removeFirst()
            }
            s.logStartOffset = max(s.logStartOffset, s.segments.first?.baseOffset ?? s.logStartOffset)
            try s.active?.extend(requireDenseOffsets: dense)
            for base in bases.sorted() where base > (s.active?.baseOffset ?? -1) {
                guard base == s.active?.nextOffset || s.active == nil || !dense else { break }
                let segment = try LogSegment.open(
                    directory: directory, baseOffset: base, io: io, indexIntervalBytes: s.config.indexIntervalBytes, readOnly: true)
                try segment.extend(requireDenseOffsets: dense)
                s.segments.append(segment)
            }
            guard let active = s.active else { return nil }
            s.logEndOffset = active.nextOffset
            return Acknowledged(offset: active.nextOffset, segmentBase: active.baseOffset, position: active.size)
        }
        if let published { publish(published) }
    }

    /// Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (at least
    /// one batch, however large, as Kafka does), never past the high watermark.
    /// - Throws: `offsetOutOfRange` below the log start or above the high watermark;
    ///   `corruptLog` when a stored batch fails its CRC (it is never handed out).
    public func read(from offset: Int64, maxBytes: Int) throws -> FetchResult {
        do {
            return try readValidated(from: offset, maxBytes: maxBytes)
        } catch {
            throw Self.storageError(error, "reading \(topic)-\(id) at offset \(offset)")
        }
    }

    private func readValidated(from offset: Int64, maxBytes: Int) throws -> FetchResult {
        var cursor = offset
        while true {
            let plan: (segment: LogSegment, position: Int64, limit: Int64, hw: Int64, start: Int64, dense: Bool)? = try state.withLock { s in
                let hw = s.acknowledged.offset
                guard cursor >= s.logStartOffset, cursor <= hw else {
                    throw LogError(
                        .offsetOutOfRange,
                        "offset \(cursor) is out of range for \(topic)-\(id): valid offsets are \(s.logStartOffset)..<\(hw)")
                }
                guard cursor < hw else { return nil }
                var low = 0
                var high = s.segments.count
                while low < high {
                    let mid = (low + high) / 2
                    if s.segments[mid].baseOffset <= cursor { low = mid + 1 } else { high = mid }
                }
                let index = max(low - 1, 0)
                let segment = s.segments[index]
                let dense = !s.config.isCompacted
                let limit = segment.baseOffset == s.acknowledged.segmentBase ? s.acknowledged.position : segment.size
                guard let position = try segment.position(of: cursor, limit: limit) else {
                    guard !dense else {
                        throw LogError(
                            .corruptLog,
                            "\(segment.logPath) should hold offset \(cursor) but its batches end before it; the segment is damaged")
                    }
                    // Nothing at or after `cursor` in this segment (a compacted gap): try the next.
                    let next = index + 1 < s.segments.count ? s.segments[index + 1].baseOffset : hw
                    cursor = max(next, cursor + 1)
                    return (segment, 0, -1, hw, s.logStartOffset, dense)
                }
                return (segment, position, limit, hw, s.logStartOffset, dense)
            }
            guard let plan else {
                return FetchResult(records: [], highWatermark: highWatermark, logStartOffset: logStartOffset)
            }
            if plan.limit < 0 { continue }
            return FetchResult(
                records: try readBatches(
                    plan.segment, from: plan.position, limit: plan.limit, maxBytes: maxBytes, offset: cursor, dense: plan.dense),
                highWatermark: plan.hw, logStartOffset: plan.start)
        }
    }

    /// Reads whole batches and checks everything a reader relies on: CRC-32C (which covers
    /// neither the base offset, the length nor the leader epoch), that the first batch holds
    /// `offset`, that batches follow each other without gaps (dense topics), and epoch 0.
    private func readBatches(
        _ segment: LogSegment, from position: Int64, limit: Int64, maxBytes: Int, offset: Int64, dense: Bool
    ) throws -> [UInt8] {
        var count = Int(min(Int64(max(maxBytes, RecordBatchHeader.size)), limit - position))
        var bytes = try segment.read(at: position, count: count)
        if let first = try? bytes.withUnsafeBytes({ try RecordBatchHeader(parsing: $0) }), first.totalSize > bytes.count,
            position + Int64(first.totalSize) <= limit
        {
            count = first.totalSize
            bytes = try segment.read(at: position, count: count)
        }
        let whole: Int
        do {
            var expected: Int64?
            whole = try bytes.withUnsafeBytes { raw in
                try RecordBatchDecoder.forEachBatch(in: raw) { header, _ in
                    guard header.partitionLeaderEpoch == 0 else {
                        throw LogError(.corruptMessage, "batch at offset \(header.baseOffset) has leader epoch \(header.partitionLeaderEpoch), not 0")
                    }
                    if let expected {
                        guard dense ? header.baseOffset == expected : header.baseOffset >= expected else {
                            throw LogError(.corruptMessage, "batch at offset \(header.baseOffset) follows one that ends at \(expected)")
                        }
                    } else {
                        guard header.lastOffset >= offset, !dense || header.baseOffset <= offset else {
                            throw LogError(
                                .corruptMessage, "the batch found for offset \(offset) covers \(header.baseOffset)...\(header.lastOffset)")
                        }
                    }
                    expected = header.nextOffset
                }
            }
        } catch {
            throw LogError(
                .corruptLog,
                "\(segment.logPath) holds a damaged batch at or after position \(position): \(error); it is not served")
        }
        if whole < bytes.count { bytes.removeSubrange(whole...) }
        if bytes.isEmpty && position < limit {
            throw LogError(.corruptLog, "\(segment.logPath) has no readable batch at position \(position)")
        }
        return bytes
    }

    /// Visits every record from `offset` up to the high watermark as of the call, stepping over
    /// gaps (compacted topics) by each batch's end, as consumers must.
    /// - Returns: the offset after the last batch read: where to continue.
    @discardableResult
    public func forEachRecord(from offset: Int64, maxBytes: Int = 4 << 20, _ body: (RecordView) throws -> Void) throws -> Int64 {
        let decoder = try RecordBatchDecoder()
        let end = highWatermark
        var next = offset
        while next < end {
            let fetch = try read(from: next, maxBytes: maxBytes)
            guard !fetch.records.isEmpty else { break }
            var reached = next
            let from = next
            try fetch.records.withUnsafeBytes { raw in
                _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                    try decoder.forEachRecord(in: batch, header: header) { record in
                        if record.offset >= from { try body(record) }
                    }
                    reached = max(reached, header.nextOffset)
                }
            }
            guard reached > next else { break }
            next = reached
        }
        return next
    }

    /// The first offset whose record timestamp is ≥ `timestamp` (Kafka's ListOffsets by time),
    /// or nil when every record is older.
    public func offset(forTimestamp timestamp: Int64) throws -> Int64? {
        let decoder = try RecordBatchDecoder()
        return try state.withLock { s in
            for segment in s.segments where segment.baseOffset < s.acknowledged.offset {
                let limit = segment.baseOffset == s.acknowledged.segmentBase ? s.acknowledged.position : segment.size
                if let offset = try segment.offset(forTimestamp: timestamp, limit: limit, decoder: decoder) {
                    return max(offset, s.logStartOffset)
                }
            }
            return nil
        }
    }

    // MARK: Deleting records

    /// Kafka's DeleteRecords: moves the log start offset up to `offset`, so that records below
    /// it are gone for every reader at once (a fetch there is out of range), and returns the
    /// closed segments that now lie wholly below it, for the caller to delete once the new
    /// start is recorded (`LogManager.deleteRecords`). Kafka Streams purges repartition
    /// topics this way once their records are committed.
    /// - Parameter offset: the new start, at most the high watermark; `-1` means the high
    ///   watermark (Kafka's convention). A start at or below the current one changes nothing.
    /// - Returns: the log start offset afterwards (Kafka's low watermark), and the segments.
    /// - Throws: `offsetOutOfRange` past the high watermark; `policyViolation` for a topic that
    ///   is compacted and not deleted by retention (Kafka refuses those too); the partition's
    ///   failure when it has stopped.
    func advanceLogStart(to offset: Int64) throws -> (logStartOffset: Int64, doomed: [LogSegment]) {
        guard !readOnly else { throw LogError(.storage, "\(topic)-\(id) is open read-only") }
        return try state.withLock { s in
            if let failure = s.failure { throw failure }
            guard s.config.deletesByRetention else {
                throw LogError(.policyViolation, "records of \(topic)-\(id) cannot be deleted: its cleanup.policy is compact only")
            }
            let highWatermark = s.acknowledged.offset
            let target = offset == -1 ? highWatermark : offset
            guard target >= 0, target <= highWatermark else {
                throw LogError(
                    .offsetOutOfRange,
                    "cannot delete records of \(topic)-\(id) before offset \(offset): it must lie within \(s.logStartOffset)...\(highWatermark) (or be -1, the high watermark)")
            }
            s.logStartOffset = max(s.logStartOffset, target)
            var doomed: [LogSegment] = []
            // Also segments a crash left behind below a start recorded before it. The active
            // segment stays, even when every record in it is below the start.
            while s.segments.count > 1, s.segments[1].baseOffset <= s.logStartOffset { doomed.append(s.segments.removeFirst()) }
            return (s.logStartOffset, doomed)
        }
    }

    /// Deletes segments `advanceLogStart(to:)` gave up (their files, then the directory entry).
    func delete(_ doomed: [LogSegment]) throws {
        guard !doomed.isEmpty else { return }
        for segment in doomed { try segment.delete() }
        try io.syncDirectory(directory)
    }

    // MARK: Retention

    /// Deletes whole segments beyond `retention.ms` / `retention.bytes` (never data above the
    /// high watermark) and advances the log start offset.
    /// - Returns: the number of segments deleted.
    @discardableResult
    public func enforceRetention() throws -> Int {
        guard !readOnly else { return 0 }
        let now = clock()
        var rolled = false
        let doomed: [LogSegment] = try state.withLock { s in
            guard s.config.deletesByRetention, s.failure == nil else { return [] }
            let config = s.config
            func expired(_ segment: LogSegment) -> Bool {
                guard config.retentionMs >= 0, let largest = try? segment.verifiedMaxTimestamp() else { return false }
                return largest >= 0 && now - largest > config.retentionMs
            }
            // An expired active segment is rolled first, as Kafka does, so it can go too.
            if let active = s.active, !active.isEmpty, expired(active), s.acknowledged.offset == s.logEndOffset {
                _ = try roll(&s, at: s.logEndOffset)
                rolled = true
                s.acknowledged = Acknowledged(offset: s.logEndOffset, segmentBase: s.logEndOffset, position: 0)
            }
            var total = s.segments.reduce(0) { $0 + $1.size }
            var removed: [LogSegment] = []
            while s.segments.count > 1 {
                let first = s.segments[0]
                guard s.segments[1].baseOffset <= s.acknowledged.offset else { break }
                let bySize = config.retentionBytes >= 0 && total - first.size >= config.retentionBytes
                guard expired(first) || bySize else { break }
                removed.append(s.segments.removeFirst())
                total -= first.size
            }
            if !removed.isEmpty { s.logStartOffset = max(s.logStartOffset, s.segments[0].baseOffset) }
            return removed
        }
        if rolled { rollHook.withLock { $0 }?() }
        for segment in doomed { try segment.delete() }
        if !doomed.isEmpty { try io.syncDirectory(directory) }
        return doomed.count
    }

    // MARK: Closing

    /// Seals the active segment: fsync, index files written. After this a restart needs no scan.
    func close() throws {
        guard !readOnly else { return }
        try state.withLock { s in
            if let failure = s.failure { throw failure }
            do {
                try s.active?.seal()
            } catch {
                let failure = LogError(.storage, "fsync of \(topic)-\(id) failed while closing: \(error)")
                s.failure = failure
                throw failure
            }
        }
    }

    /// Gives an I/O failure Kafka's KAFKA_STORAGE_ERROR code and says what was being done.
    static func storageError(_ error: any Error, _ doing: String) -> LogError {
        if let error = error as? LogError { return error }
        return LogError(.storage, "\(doing) failed: \(error)")
    }

    // MARK: Validation of incoming batches

    /// Kafka's `LogValidator` checks for a produce payload: whole magic-2 batches, valid CRC,
    /// `lastOffsetDelta + 1 == recordsCount > 0`, within `max.message.bytes`, no control batch.
    static func validateIncoming(
        _ bytes: [UInt8], topic: String, partition: Int32, config: TopicConfig
    ) throws -> [(header: RecordBatchHeader, position: Int)] {
        var out: [(header: RecordBatchHeader, position: Int)] = []
        try bytes.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[position...])
                let header = try RecordBatchHeader(parsing: rest)
                try header.validateShape()
                guard header.totalSize <= rest.count else {
                    throw LogError(.corruptMessage, "batch at byte \(position) declares \(header.totalSize) bytes but only \(rest.count) were sent")
                }
                guard header.totalSize <= config.maxMessageBytes else {
                    throw LogError(
                        .messageTooLarge,
                        "a batch of \(header.totalSize) bytes exceeds max.message.bytes=\(config.maxMessageBytes) of topic \(topic)")
                }
                try header.validate(batch: UnsafeRawBufferPointer(rebasing: rest[..<header.totalSize]))
                guard header.recordsCount > 0, Int64(header.lastOffsetDelta) + 1 == Int64(header.recordsCount) else {
                    throw LogError(
                        .invalidRecord,
                        "batch has \(header.recordsCount) records but last offset delta \(header.lastOffsetDelta); expected count − 1")
                }
                guard !header.isControl else {
                    throw LogError(.invalidRecord, "producers may not write control batches")
                }
                if config.isCompacted {
                    // Kafka: "Compacted topic cannot accept message without key".
                    let batch = UnsafeRawBufferPointer(rebasing: rest[..<header.totalSize])
                    var keyless = false
                    try RecordBatchDecoder().forEachRecord(in: batch, header: header) { if $0.key == nil { keyless = true } }
                    guard !keyless else {
                        throw LogError(.invalidRecord, "compacted topic \(topic) cannot accept a record without a key")
                    }
                }
                out.append((header, position))
                position += header.totalSize
            }
        }
        return out
    }

    private func transcode(
        _ bytes: [UInt8], _ batches: [(header: RecordBatchHeader, position: Int)], to codec: CompressionCodec, config: TopicConfig
    ) throws -> ([UInt8], [(header: RecordBatchHeader, position: Int)]) {
        let out = try transcoder.withLock { box in
            if box.value == nil || box.value?.codec != codec || box.value?.level != config.zstdLevel {
                box.value = try BatchTranscoder(codec: codec, level: config.zstdLevel)
            }
            return try box.value?.transcode(bytes, batches) ?? bytes
        }
        return (out, try Self.validateIncoming(out, topic: topic, partition: id, config: config))
    }
}

/// Holds the transcoder; only touched inside `Partition.transcoder`'s lock.
struct TranscoderBox: @unchecked Sendable {
    var value: BatchTranscoder?
}

extension TopicCompression {
    /// The codec every stored batch must have, or nil to keep the producer's.
    var storedCodec: CompressionCodec? {
        switch self {
        case .zstd: .zstd
        case .uncompressed: CompressionCodec.none
        case .producer: nil
        }
    }
}
