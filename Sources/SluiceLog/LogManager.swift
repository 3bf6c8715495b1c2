import Foundation
import Synchronization

/// A Sluice data directory: its topics and their partitions. Kafka's `LogManager`.
///
/// Layout:
/// ```
/// <dir>/meta.properties                    format version
/// <dir>/.lock                              writer lock (flock), holds the writer's pid
/// <dir>/topics/<topic>.json                partition count and configs
/// <dir>/<topic>-<partition>/<20-digit base offset>.log | .index | .timeindex
/// <dir>/recovery-point-offset-checkpoint   per partition: offset below which all is fsynced
/// <dir>/log-start-offset-checkpoint        per partition: the log start offset, once `deleteRecords` moved it
/// <dir>/.sluice_cleanshutdown              present only after a clean close
/// ```
///
/// One process may open a directory for writing (enforced by the lock); any number may open it
/// read-only at the same time (they never modify a file). After an unclean shutdown, segments at
/// or after each partition's recovery point are validated batch by batch and a torn tail is cut;
/// damage below the recovery point is reported and the partition stays offline, never "repaired"
/// by dropping durable data.
public final class LogManager: Sendable {
    public static let formatVersion = 1
    public let directory: String
    public let isReadOnly: Bool
    let io: any StorageIO
    let clock: @Sendable () -> Int64

    struct Topic: @unchecked Sendable {
        var metadata: TopicMetadata
        var config: TopicConfig
        var partitions: [Partition?]
        var offline: [Int32: LogError]
        /// Checkpoint entries of offline partitions, kept so that a later open still knows which of
        /// their data was durable (and keeps reporting damage instead of truncating it).
        var offlineRecoveryPoints: [Int32: Int64] = [:]
        /// The same for the log start offsets `deleteRecords` recorded.
        var offlineLogStartOffsets: [Int32: Int64] = [:]
    }

    private let topics: Mutex<[String: Topic]>
    private let writerLock: (any StorageLock)?
    private let checkpointLock = Mutex(())
    private let background: BackgroundWorker?
    /// What recovery did or found, one line per event, for the operator.
    public let recoveryReport: [String]
    private let closed = Atomic(false)

    public struct Options: Sendable {
        /// Run the flusher (`interval` durability) and retention in a background thread.
        public var backgroundTasks: Bool = true
        /// Kafka's `log.retention.check.interval.ms`.
        public var retentionCheckIntervalMs: Int64 = 300_000
        public init() {}
    }

    public static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Opens (and, for a writer, creates) the data directory at `directory`.
    /// - Throws: `dataDirectoryLocked` when another process writes to it;
    ///   `incompatibleDataDirectory` when it is not a Sluice directory or is from a newer version.
    public init(
        directory: String, readOnly: Bool = false, io: any StorageIO = PosixStorage(),
        clock: @escaping @Sendable () -> Int64 = LogManager.systemClock, options: Options = Options()
    ) throws {
        self.directory = directory
        self.isReadOnly = readOnly
        self.io = io
        self.clock = clock
        var report: [String] = []

        let isNew = !io.exists(directory + "/meta.properties")
        try Self.checkDirectory(directory, readOnly: readOnly, io: io)
        if readOnly {
            writerLock = nil
        } else {
            do {
                writerLock = try Self.acquireWriterLock(directory + "/.lock", io: io)
            } catch let error as StorageError where error.errno == EWOULDBLOCK || error.errno == EAGAIN {
                let holder = (try? io.readWholeFile(directory + "/.lock")).map { String(decoding: $0, as: UTF8.self) }?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let who = holder.map { $0.isEmpty ? "another process" : "process \($0)" } ?? "another process"
                throw LogError(
                    .dataDirectoryLocked,
                    "data directory \(directory) is in use by \(who), which holds its write lock. Stop it, or reach the log through it with --bootstrap-server (sluice serve); read-only commands such as consume and describe work alongside it"
                )
            }
            if !io.exists(directory + "/meta.properties") {
                try io.writeAtomically(Array("version=\(Self.formatVersion)\n".utf8), to: directory + "/meta.properties", directory: directory)
            }
            try io.createDirectory(directory + "/topics")
            // Temporary files of an interrupted atomic write.
            for folder in [directory, directory + "/topics"] {
                for name in try io.contentsOfDirectory(folder) where name.hasPrefix(".tmp-") {
                    try io.removeFile(folder + "/" + name)
                }
            }
        }

        let markerPath = directory + "/.sluice_cleanshutdown"
        let clean = io.exists(markerPath)
        if clean && !readOnly {
            // From here on the directory is "open": a crash must lead to a full recovery.
            try io.removeFile(markerPath)
            try io.syncDirectory(directory)
        }
        let recoveryPoints = Self.readCheckpoint(directory + "/recovery-point-offset-checkpoint", io: io)
        let logStartOffsets = Self.readCheckpoint(directory + "/" + Self.logStartCheckpoint, io: io)
        if !clean && !readOnly && !isNew {
            report.append("\(directory) was not closed cleanly: validating every segment after each partition's recovery point")
        }

        var loaded: [String: Topic] = [:]
        let topicsDirectory = directory + "/topics"
        let topicFiles = io.isDirectory(topicsDirectory) ? try io.contentsOfDirectory(topicsDirectory) : []
        for file in topicFiles.sorted() where file.hasSuffix(".json") {
            let path = topicsDirectory + "/" + file
            let metadata = try TopicMetadata.decode(try io.readWholeFile(path), path: path)
            let config = try TopicConfig(metadata.configs)
            var topic = Topic(metadata: metadata, config: config, partitions: [], offline: [:])
            for id in 0..<metadata.partitions {
                do {
                    let partition = try Partition(
                        topic: metadata.name, id: id, directory: directory + "/\(metadata.name)-\(id)", config: config, io: io,
                        clock: clock, recoveryPoint: recoveryPoints["\(metadata.name) \(id)"], cleanShutdown: clean,
                        readOnly: readOnly, logStartOffset: logStartOffsets["\(metadata.name) \(id)"])
                    report.append(contentsOf: partition.recoveryReport)
                    topic.partitions.append(partition)
                } catch {
                    // One damaged or unreadable partition must not take the others down with it.
                    let failure = (error as? LogError).map { $0.kind == .corruptLog || $0.kind == .storage ? $0 : LogError(.corruptLog, $0.message) }
                        ?? LogError(.storage, "\(error)")
                    report.append("partition \(metadata.name)-\(id) is offline: \(failure.message)")
                    topic.offline[id] = failure
                    topic.offlineRecoveryPoints[id] = recoveryPoints["\(metadata.name) \(id)"] ?? 0
                    topic.offlineLogStartOffsets[id] = logStartOffsets["\(metadata.name) \(id)"]
                    topic.partitions.append(nil)
                }
            }
            loaded[metadata.name] = topic
        }
        if !readOnly {
            // Partition directories no topic claims: an interrupted create, delete or partition increase.
            for name in try io.contentsOfDirectory(directory) where io.isDirectory(directory + "/" + name) {
                guard let dash = name.lastIndex(of: "-"), let id = Int32(name[name.index(after: dash)...]) else { continue }
                let topicName = String(name[..<dash])
                if let topic = loaded[topicName], id < topic.metadata.partitions { continue }
                try io.removeDirectory(directory + "/" + name)
                report.append("removed \(directory)/\(name): no topic claims it (an interrupted create, delete or partition increase)")
            }
        }
        if !clean && !readOnly {
            // Directory entries recovery relies on (topics, partitions) may so far exist only in
            // the crashed process's page cache: make them durable before serving anything.
            try io.syncDirectory(directory + "/topics")
            try io.syncDirectory(directory)
        }
        topics = Mutex(loaded)
        recoveryReport = report
        background = readOnly || !options.backgroundTasks ? nil : BackgroundWorker(retentionCheckIntervalMs: options.retentionCheckIntervalMs)
        for partition in loaded.values.flatMap({ $0.partitions.compactMap { $0 } }) {
            partition.setRollHook { [weak self] in self?.writeCheckpointQuietly() }
        }
        background?.start(self)
    }

    deinit {
        if !closed.load(ordering: .acquiring) { background?.stop() }
    }

    /// Takes the writer lock. When the lock file names this very process, the lock was released
    /// a moment ago but a child process this process is spawning still shares the descriptor
    /// until its `exec` (close-on-exec applies only then): wait for that, briefly.
    private static func acquireWriterLock(_ path: String, io: any StorageIO) throws -> any StorageLock {
        let ownPid = "\(ProcessInfo.processInfo.processIdentifier)"
        var attempts = 0
        while true {
            do {
                return try io.acquireExclusiveLock(path)
            } catch let error as StorageError where (error.errno == EWOULDBLOCK || error.errno == EAGAIN) && attempts < 50 {
                let holder = (try? io.readWholeFile(path)).map { String(decoding: $0, as: UTF8.self) }?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard holder == ownPid else { throw error }
                attempts += 1
                usleep(10_000)
            }
        }
    }

    private static func checkDirectory(_ directory: String, readOnly: Bool, io: any StorageIO) throws {
        if io.exists(directory) && !io.isDirectory(directory) {
            throw LogError(.incompatibleDataDirectory, "\(directory) is a file, not a data directory")
        }
        guard io.isDirectory(directory) else {
            if readOnly { throw LogError(.incompatibleDataDirectory, "no data directory at \(directory)") }
            try io.createDirectory(directory)
            return
        }
        let entries = try io.contentsOfDirectory(directory)
        if io.exists(directory + "/meta.properties") {
            let text = String(decoding: try io.readWholeFile(directory + "/meta.properties"), as: UTF8.self)
            let version = text.split(separator: "\n").compactMap { line -> Int? in
                let parts = line.split(separator: "=", maxSplits: 1)
                return parts.count == 2 && parts[0] == "version" ? Int(parts[1]) : nil
            }.first
            guard let version else {
                throw LogError(.incompatibleDataDirectory, "\(directory)/meta.properties has no version line; is this a Sluice data directory?")
            }
            guard version <= formatVersion else {
                throw LogError(
                    .incompatibleDataDirectory,
                    "\(directory) was written by a newer Sluice (format version \(version); this build reads up to \(formatVersion)); upgrade sluice to open it")
            }
        } else if !entries.filter({ $0 != ".lock" && !$0.hasPrefix(".tmp-") }).isEmpty {
            throw LogError(
                .incompatibleDataDirectory,
                "\(directory) is not empty and is not a Sluice data directory (no meta.properties); pick another --data-dir")
        }
    }

    // MARK: Topics

    /// Creates a topic with `partitions` partitions.
    /// - Throws: `invalidTopic`, `invalidPartitions`, `invalidConfig`, `topicAlreadyExists`.
    @discardableResult
    public func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) throws -> TopicDescription {
        try requireWritable()
        try TopicName.validate(name)
        guard partitions >= 1, partitions <= 100_000 else {
            throw LogError(.invalidPartitions, "number of partitions must be at least 1 (and at most 100000), got \(partitions)")
        }
        let config = try TopicConfig(configs)
        try topics.withLock { topics in
            if topics[name] != nil { throw LogError(.topicAlreadyExists, "topic '\(name)' already exists") }
            if let other = topics.keys.first(where: { TopicName.collides($0, name) }) {
                throw LogError(
                    .invalidTopic,
                    "topic '\(name)' collides with existing topic '\(other)': '.' and '_' are the same in metric names (Kafka refuses this too)")
            }
            let metadata = TopicMetadata(name: name, partitions: Int32(partitions), configs: config.values, createdAt: clock())
            // Partition directories first, metadata last: a crash in between leaves directories
            // no topic claims, which the next open removes. A failure removes them at once.
            var created: [Partition] = []
            do {
                for id in 0..<Int32(partitions) {
                    let path = directory + "/\(name)-\(id)"
                    try io.removeDirectory(path)
                    created.append(try makePartition(name, id, path: path, config: config))
                }
                try io.syncDirectory(directory)
                try io.writeAtomically(try metadata.encoded(), to: metadataPath(name), directory: directory + "/topics")
            } catch {
                for id in 0..<Int32(partitions) { try? io.removeDirectory(directory + "/\(name)-\(id)") }
                throw Self.storageError(error, "creating topic '\(name)'")
            }
            topics[name] = Topic(metadata: metadata, config: config, partitions: created, offline: [:])
        }
        // A topic of the same name deleted earlier must not lend its recovery points to this one.
        try writeCheckpoint(useLogEnd: false)
        return try describeTopic(name)
    }

    private func makePartition(_ topic: String, _ id: Int32, path: String, config: TopicConfig) throws -> Partition {
        let partition = try Partition(
            topic: topic, id: id, directory: path, config: config, io: io, clock: clock, recoveryPoint: 0, cleanShutdown: false,
            readOnly: false)
        partition.setRollHook { [weak self] in self?.writeCheckpointQuietly() }
        return partition
    }

    /// Topic names, sorted; internal topics (`__…`) only when asked for.
    public func topicNames(includeInternal: Bool = false) -> [String] {
        topics.withLock { $0.keys.filter { includeInternal || !TopicName.isInternal($0) }.sorted() }
    }

    public func describeTopic(_ name: String) throws -> TopicDescription {
        let topic = try topics.withLock { topics in
            guard let topic = topics[name] else { throw unknownTopic(name) }
            return topic
        }
        let infos = topic.partitions.enumerated().map { id, partition in
            guard let partition else {
                return TopicDescription.PartitionInfo(
                    id: Int32(id), logStartOffset: -1, logEndOffset: -1, highWatermark: -1, segmentCount: 0, sizeInBytes: 0,
                    offlineReason: topic.offline[Int32(id)]?.message)
            }
            let s = partition.statistics
            return TopicDescription.PartitionInfo(
                id: Int32(id), logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset, highWatermark: s.highWatermark,
                segmentCount: s.segmentCount, sizeInBytes: s.sizeInBytes, offlineReason: nil)
        }
        return TopicDescription(name: name, config: topic.config, partitions: infos)
    }

    /// The partition, or `unknownTopicOrPartition`; an offline partition throws its damage report.
    public func partition(_ topic: String, _ id: Int32) throws -> Partition {
        try topics.withLock { topics in
            guard let entry = topics[topic] else { throw unknownTopic(topic) }
            guard id >= 0, Int(id) < entry.partitions.count else {
                throw LogError(
                    .unknownTopicOrPartition, "topic '\(topic)' has partitions 0…\(entry.partitions.count - 1); there is no partition \(id)")
            }
            guard let partition = entry.partitions[Int(id)] else {
                throw entry.offline[id] ?? LogError(.corruptLog, "partition \(topic)-\(id) is offline")
            }
            return partition
        }
    }

    public func partitionCount(_ topic: String) throws -> Int {
        try topics.withLock { topics in
            guard let entry = topics[topic] else { throw unknownTopic(topic) }
            return entry.partitions.count
        }
    }

    /// Raises the partition count (Kafka refuses to lower it, and so do we) and/or changes
    /// configs. All or nothing: on any error nothing changes.
    public func alterTopic(_ name: String, partitions: Int? = nil, configs: [String: String] = [:]) throws {
        try requireWritable()
        try topics.withLock { topics in
            guard var topic = topics[name] else { throw unknownTopic(name) }
            var config = topic.config
            try config.apply(configs)
            let current = topic.partitions.count
            if let partitions {
                guard partitions >= current else {
                    throw LogError(
                        .invalidPartitions,
                        "topic '\(name)' has \(current) partitions; the count can only be increased (records are placed by key hash, so removing partitions would lose and misplace data)")
                }
                guard partitions <= 100_000 else { throw LogError(.invalidPartitions, "at most 100000 partitions") }
            }
            var created: [Partition] = []
            for id in Int32(current)..<Int32(partitions ?? current) {
                let path = directory + "/\(name)-\(id)"
                try io.removeDirectory(path)
                created.append(try makePartition(name, id, path: path, config: config))
            }
            if !created.isEmpty { try io.syncDirectory(directory) }
            var metadata = topic.metadata
            metadata.partitions = Int32(current + created.count)
            metadata.configs = config.values
            try io.writeAtomically(try metadata.encoded(), to: metadataPath(name), directory: directory + "/topics")
            topic.metadata = metadata
            topic.config = config
            topic.partitions += created.map { Optional($0) }
            for partition in topic.partitions.compactMap({ $0 }) { partition.updateConfig(config) }
            topics[name] = topic
        }
        try writeCheckpoint(useLogEnd: false)
    }

    /// Deletes a topic and all its data.
    public func deleteTopic(_ name: String) throws {
        try requireWritable()
        let removed = try topics.withLock { topics in
            guard let topic = topics[name] else { throw unknownTopic(name) }
            // Metadata first: once it is gone the directories are orphans the next open removes.
            try io.removeFile(metadataPath(name))
            try io.syncDirectory(directory + "/topics")
            topics[name] = nil
            return topic
        }
        try writeCheckpoint(useLogEnd: false)
        // A topic made again under this name must not inherit the old one's start offsets.
        if io.exists(directory + "/" + Self.logStartCheckpoint) { try writeLogStartCheckpoint() }
        for id in 0..<removed.partitions.count {
            try io.removeDirectory(directory + "/\(name)-\(id)")
        }
        try io.syncDirectory(directory)
    }

    // MARK: Deleting records

    /// One partition's part of a `deleteRecords` call.
    public struct DeleteRecordsRequest: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// Records below this offset go; `-1` means the high watermark.
        public var offset: Int64

        public init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    /// Kafka's DeleteRecords: per partition, moves the log start offset up to the requested
    /// offset, so that the records below it are gone for every reader (a fetch there is out of
    /// range, `--from-beginning` starts at the new start), and deletes the segments that lie
    /// wholly below it. Retention does this by time and size; this does it on request: Kafka
    /// Streams purges repartition topics this way once their records are committed.
    ///
    /// Durable when it returns: the new start offsets are written to the data directory's
    /// `log-start-offset-checkpoint` (atomically) before any segment file is removed, so after a
    /// crash a partition never shows records below a start it reported.
    /// - Returns: per request, in order, the partition's log start offset afterwards (Kafka's
    ///   low watermark), or its error: `unknownTopicOrPartition`, `offsetOutOfRange` (past the
    ///   high watermark), `policyViolation` (a compacted topic), or the partition's failure.
    /// - Throws: when the directory is read-only or closed, or the checkpoint cannot be written
    ///   (then no segment was deleted; the start offsets hold until the log is reopened).
    public func deleteRecords(_ requests: [DeleteRecordsRequest]) throws -> [Result<Int64, LogError>] {
        try requireWritable()
        var results: [Result<Int64, LogError>] = []
        var doomed: [(Partition, [LogSegment])] = []
        for request in requests {
            do {
                let partition = try partition(request.topic, request.partition)
                let (start, segments) = try partition.advanceLogStart(to: request.offset)
                results.append(.success(start))
                if !segments.isEmpty { doomed.append((partition, segments)) }
            } catch let error as LogError {
                results.append(.failure(error))
            }
        }
        guard results.contains(where: { if case .success = $0 { true } else { false } }) else { return results }
        try writeLogStartCheckpoint()
        for (partition, segments) in doomed {
            do {
                try partition.delete(segments)
            } catch {
                // The start offset is recorded: what is left of these files is below it.
                throw Self.storageError(error, "deleting segments of \(partition.topic)-\(partition.id) below its log start offset")
            }
        }
        return results
    }

    static let logStartCheckpoint = "log-start-offset-checkpoint"

    /// Writes every partition's log start offset (Kafka's checkpoint format, as the recovery
    /// points), offline partitions' as they were read.
    private func writeLogStartCheckpoint() throws {
        try writeOffsetCheckpoint(Self.logStartCheckpoint, live: \.logStartOffset, offline: \.offlineLogStartOffsets)
    }

    // MARK: Maintenance

    /// Applies retention to every partition. - Returns: segments deleted.
    @discardableResult
    public func enforceRetention() throws -> Int {
        try allPartitions().reduce(0) { $0 + (try $1.enforceRetention()) }
    }

    /// Compacts every partition of every compacted topic (`cleanup.policy=compact`).
    @discardableResult
    public func compact() throws -> CompactionSummary {
        var total = CompactionSummary()
        for partition in allPartitions() {
            let one = try partition.compact()
            total.segmentsCleaned += one.segmentsCleaned
            total.recordsRemoved += one.recordsRemoved
            total.bytesBefore += one.bytesBefore
            total.bytesAfter += one.bytesAfter
        }
        return total
    }

    func flushDuePartitions() {
        for partition in allPartitions() { try? partition.flushIfDue() }
    }

    func allPartitions() -> [Partition] {
        topics.withLock { $0.values.flatMap { $0.partitions.compactMap { $0 } } }
    }

    /// Seals every partition, writes the recovery checkpoint and the clean-shutdown marker, and
    /// releases the lock. A later open then skips validation. Idempotent.
    public func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        background?.stop()
        guard !isReadOnly else { return }
        var firstError: (any Error)?
        for partition in allPartitions() {
            do { try partition.close() } catch { firstError = firstError ?? error }
        }
        if firstError == nil {
            do {
                try writeCheckpoint(useLogEnd: true)
                try io.writeAtomically([], to: directory + "/.sluice_cleanshutdown", directory: directory)
            } catch { firstError = error }
        }
        writerLock?.release()
        if let firstError { throw firstError }
    }

    /// Drops the log without closing it, as a crash would (tests only): releases the lock.
    func abandonForTesting() {
        _ = closed.exchange(true, ordering: .acquiringAndReleasing)
        background?.stop()
        writerLock?.release()
    }

    // MARK: Recovery checkpoint (Kafka's text format: version, count, "topic partition offset")

    private func writeCheckpointQuietly() { try? writeCheckpoint(useLogEnd: false) }

    private func writeCheckpoint(useLogEnd: Bool) throws {
        try writeOffsetCheckpoint(
            "recovery-point-offset-checkpoint", live: useLogEnd ? \.logEndOffset : \.recoveryPoint, offline: \.offlineRecoveryPoints)
    }

    /// Writes a checkpoint file of the data directory, atomically: per partition, `live` of each
    /// open one and `offline` of each offline one, as Kafka's checkpoints do.
    private func writeOffsetCheckpoint(_ name: String, live: KeyPath<Partition, Int64>, offline: KeyPath<Topic, [Int32: Int64]>) throws {
        try checkpointLock.withLock { _ in
            var entries = allPartitions().map { p in "\(p.topic) \(p.id) \(p[keyPath: live])" }
            entries += topics.withLock { topics in
                topics.values.flatMap { topic in
                    topic[keyPath: offline].map { "\(topic.metadata.name) \($0.key) \($0.value)" }
                }
            }
            entries.sort()
            let text = "0\n\(entries.count)\n" + entries.map { $0 + "\n" }.joined()
            try io.writeAtomically(Array(text.utf8), to: directory + "/" + name, directory: directory)
        }
    }

    private static func readCheckpoint(_ path: String, io: any StorageIO) -> [String: Int64] {
        guard let bytes = try? io.readWholeFile(path) else { return [:] }
        var out: [String: Int64] = [:]
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2, lines[0] == "0" else { return [:] }
        for line in lines.dropFirst(2) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let offset = Int64(parts[2]) else { continue }
            out["\(parts[0]) \(parts[1])"] = offset
        }
        return out
    }

    // MARK: Helpers

    private func metadataPath(_ name: String) -> String { directory + "/topics/\(name).json" }

    private func requireWritable() throws {
        if isReadOnly { throw LogError(.storage, "data directory \(directory) is open read-only") }
        if closed.load(ordering: .acquiring) { throw LogError(.storage, "data directory \(directory) is closed") }
    }

    /// Gives an I/O failure Kafka's KAFKA_STORAGE_ERROR code and says what was being done.
    static func storageError(_ error: any Error, _ doing: String) -> any Error {
        if error is LogError { return error }
        return LogError(.storage, "\(doing) failed: \(error)")
    }

    private func unknownTopic(_ name: String) -> LogError {
        LogError(.unknownTopicOrPartition, "topic '\(name)' does not exist in \(directory)")
    }
}

/// The one background thread of a writable log: fsyncs `interval`-mode partitions when due and
/// applies retention every `log.retention.check.interval.ms`.
final class BackgroundWorker: Sendable {
    private let retentionCheckIntervalMs: Int64
    private let stopped = NSCondition()
    private let state = Mutex<(stop: Bool, done: Bool)>((false, false))

    init(retentionCheckIntervalMs: Int64) {
        self.retentionCheckIntervalMs = retentionCheckIntervalMs
    }

    func start(_ log: LogManager) {
        let thread = Thread { [weak log] in
            var lastRetention = LogManager.systemClock()
            while true {
                if self.state.withLock({ $0.stop }) { break }
                guard let log else { break }
                log.flushDuePartitions()
                let now = LogManager.systemClock()
                if now - lastRetention >= self.retentionCheckIntervalMs {
                    lastRetention = now
                    _ = try? log.enforceRetention()
                    _ = try? log.compact()
                }
                self.stopped.lock()
                if !self.state.withLock({ $0.stop }) { _ = self.stopped.wait(until: Date(timeIntervalSinceNow: 0.05)) }
                self.stopped.unlock()
            }
            self.stopped.lock()
            self.state.withLock { $0.done = true }
            self.stopped.broadcast()
            self.stopped.unlock()
        }
        thread.name = "sluice-log-background"
        thread.start()
    }

    func stop() {
        stopped.lock()
        state.withLock { $0.stop = true }
        stopped.broadcast()
        while !state.withLock({ $0.done }) { _ = stopped.wait(until: Date(timeIntervalSinceNow: 1)) }
        stopped.unlock()
    }
}
