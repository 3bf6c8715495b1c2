import SluiceWindows
import Synchronization

/// The state of a windowed `count` / `reduce` / `aggregate` for one task: a
/// `WindowedAggregation` engine, its per-key changelog, and the forwarding of its results.
///
/// - `.onUpdate`: updates are coalesced per batch (Kafka Streams' record cache): at the end of
///   a batch each (key, window) that changed is forwarded once with its latest state, in the
///   order they first changed. A session that a merge or extension replaced goes to `retract`
///   when there is one (`aggregateWithTombstones`: nil, Kafka's tombstone for the replaced
///   windowed key); without, it is not forwarded at all (a `Record` always has a value).
/// - `.onClose`: each window's final aggregate is forwarded once, when stream time closes it.
///
/// Each source record is applied once: a replayed copy (after a crash, or duplicated through a
/// repartition topic) is recognised by its origin and skipped (`RecordOrigin`).
///
/// Late records (every window closed) are counted in the branch's metrics and, when the branch
/// asked for it, written to a late-records topic with their original key and value.
///
/// The changelog holds one record per key: its open windows and (sliding windows) buffered
/// records, rewritten at the end of each batch that touched the key, a tombstone once the key
/// holds nothing. Layout, version 1: `1`, then `u32` window count and per window `i64 start,
/// i64 end, length-prefixed aggregate`, then `u32` record count and per record `i64 timestamp,
/// length-prefixed value`. The record timestamp is stream time, which restoring takes back.
@usableFromInline
final class WindowAggregateStore<Key: Hashable, Value, Aggregate>: StreamTimeAdvancing {
    @usableFromInline typealias Engine = WindowedAggregation<Key, Value, Aggregate>

    let name: String
    @usableFromInline var engine: Engine
    @usableFromInline let keySerde: any Serde<Key>
    @usableFromInline let valueSerde: any Serde<Value>
    @usableFromInline let aggregateSerde: any Serde<Aggregate>
    @usableFromInline let lateRecords: TopicWriter<Key, Value>?
    private let changelog: Changelog
    @usableFromInline let context: TaskContext
    @usableFromInline let downstream: Emit<Windowed<Key>, Aggregate>
    /// Where a session that a merge replaced goes (`aggregateWithTombstones`); nil: nowhere.
    @usableFromInline let retract: ((Windowed<Key>, Int64) throws -> Void)?

    @usableFromInline var results: [Engine.Result] = []
    /// `.onUpdate`: the latest change per (key, window) this batch, in first-change order: an
    /// update, or (with `retract`) a removal.
    @usableFromInline var updates: [Engine.Result] = []
    @usableFromInline var updateIndex: [Windowed<Key>: Int] = [:]
    @usableFromInline var updateTimestamps: [Int64] = []
    /// Keys whose changelog record this batch must rewrite.
    @usableFromInline var touched: [Key] = []
    @usableFromInline var touchedSet: Set<Key> = []
    @usableFromInline var applied = AppliedOrigins<Key>()
    /// Late records this batch, added to the branch's metrics at its end.
    @usableFromInline var lateSinceBatchStart = 0
    private var changelogKey: [UInt8] = []
    private var changelogValue: [UInt8] = []

    @usableFromInline
    init(
        name: String, engine: Engine, keySerde: any Serde<Key>, valueSerde: any Serde<Value>, aggregateSerde: any Serde<Aggregate>,
        lateRecordsTopic: String?, context: TaskContext, downstream: @escaping Emit<Windowed<Key>, Aggregate>,
        retract: ((Windowed<Key>, Int64) throws -> Void)? = nil
    ) throws {
        self.name = name
        self.retract = retract
        self.engine = engine
        self.keySerde = keySerde
        self.valueSerde = valueSerde
        self.aggregateSerde = aggregateSerde
        self.context = context
        self.downstream = downstream
        lateRecords = lateRecordsTopic.map { TopicWriter(topic: $0, keySerde: keySerde, valueSerde: valueSerde, context: context) }
        changelog = Changelog(store: name, context: context)
        try restore()
        context.attach(store: self) { [unowned self] in try endBatch() }
    }

    var entryCount: Int { engine.openWindowCount }

    func advance(streamTime: Int64) throws {
        engine.advance(streamTime: streamTime, into: &results)
        if !results.isEmpty { try takeResults(timestamp: streamTime) }
    }

    /// Every open window with its aggregate (for tests and tools).
    func snapshot() -> Engine.Snapshot { engine.snapshot() }

    @inlinable
    func process(key: Key?, value: Value, timestamp: Int64) throws {
        guard let key else { throw SerdeError("a record without a key cannot be aggregated (group it by a key first)") }
        guard applied.markApplied(key, context.origin) else { return try forwardAgain(key, timestamp: timestamp) }
        let outcome = try engine.process(key: key, value: value, timestamp: timestamp, into: &results)
        if outcome == .late {
            lateSinceBatchStart += 1
            try lateRecords?.write(key: key, value: value, timestamp: timestamp)
        } else if touchedSet.insert(key).inserted {
            touched.append(key)
        }
        if !results.isEmpty { try takeResults(timestamp: timestamp) }
    }

    /// A replayed copy of a record is not applied again, but in `.onUpdate` mode the open
    /// windows it belongs to are forwarded again: a crash can lose the output of a batch whose
    /// changelog already holds its records.
    @usableFromInline @inline(never)
    func forwardAgain(_ key: Key, timestamp: Int64) throws {
        guard engine.emitMode == .onUpdate else { return }
        engine.visitState(of: key, windows: { window, aggregate in
            if window.contains(timestamp) { results.append(Engine.Result(kind: .updated, key: key, window: window, aggregate: aggregate)) }
        }, pendingRecords: { _, _ in })
        if !results.isEmpty { try takeResults(timestamp: timestamp) }
    }

    /// Coalesces updates, forwards final results, and empties `results` (keeping its buffer).
    @inlinable
    func takeResults(timestamp: Int64) throws {
        defer { results.removeAll(keepingCapacity: true) }
        for index in results.indices {
            let result = results[index]
            let windowed = Windowed(key: result.key, window: result.window)
            switch result.kind {
            case .updated, .removed:
                if result.kind == .removed && retract == nil { continue }
                if let index = updateIndex[windowed] {
                    updates[index] = result
                    updateTimestamps[index] = timestamp
                } else {
                    updateIndex[windowed] = updates.count
                    updates.append(result)
                    updateTimestamps.append(timestamp)
                }
            case .final:
                if touchedSet.insert(result.key).inserted { touched.append(result.key) }
                try downstream(windowed, result.aggregate, result.window.last)
            }
        }
    }

    private func endBatch() throws {
        if lateSinceBatchStart > 0 {
            context.metrics.late.add(lateSinceBatchStart, ordering: .relaxed)
            lateSinceBatchStart = 0
        }
        for (result, timestamp) in zip(updates, updateTimestamps) {
            let windowed = Windowed(key: result.key, window: result.window)
            if result.kind == .removed, let retract {
                try retract(windowed, timestamp)
            } else {
                try downstream(windowed, result.aggregate, timestamp)
            }
        }
        updates.removeAll(keepingCapacity: true)
        updateTimestamps.removeAll(keepingCapacity: true)
        updateIndex.removeAll(keepingCapacity: true)
        let streamTime = engine.streamTime ?? 0
        for key in touched { try writeChangelog(of: key, streamTime: streamTime) }
        touched.removeAll(keepingCapacity: true)
        touchedSet.removeAll(keepingCapacity: true)
    }

    private func writeChangelog(of key: Key, streamTime: Int64) throws {
        changelogKey.removeAll(keepingCapacity: true)
        try keySerde.encode(key, into: &changelogKey)
        var windows: [(Window, Aggregate)] = []
        var pending: [(Int64, Value)] = []
        engine.visitState(of: key, windows: { windows.append(($0, $1)) }, pendingRecords: { pending.append(($0, $1)) })
        guard !windows.isEmpty || !pending.isEmpty else {
            // Every window of the key closed: a replayed copy of its records would be late.
            applied.forget(key)
            return try changelog.write(key: changelogKey, value: nil, applied: [], timestamp: streamTime, context: context)
        }
        var writer = ChangelogWriter(reusing: changelogValue)
        writer.byte(1)
        writer.uint32(UInt32(windows.count))
        for (window, aggregate) in windows {
            writer.int64(window.start)
            writer.int64(window.end)
            try writer.lengthPrefixed { try aggregateSerde.encode(aggregate, into: &$0) }
        }
        writer.uint32(UInt32(pending.count))
        for (timestamp, value) in pending {
            writer.int64(timestamp)
            try writer.lengthPrefixed { try valueSerde.encode(value, into: &$0) }
        }
        changelogValue = writer.bytes
        try changelog.write(
            key: changelogKey, value: changelogValue, applied: applied.headerValue(for: key), timestamp: streamTime, context: context)
    }

    private func restore() throws {
        let (entries, latest) = try changelog.replay(from: context.log)
        guard !entries.isEmpty else { return }
        var snapshot = Engine.Snapshot(streamTime: latest, windows: [], pendingRecords: [])
        do {
            for (keyBytes, entry) in entries {
                let key = try keyBytes.withUnsafeBytes { try keySerde.decode($0) }
                try applied.restore(key, from: entry.applied, store: name)
                try entry.value.withUnsafeBytes { raw in
                    var reader = ChangelogReader(raw, store: name)
                    let version = try reader.byte("layout version")
                    guard version == 1 else { throw StateStoreError.corruptChangelog(store: name, "unknown layout version \(version)") }
                    for _ in 0..<(try reader.uint32("window count")) {
                        let window = Window(start: try reader.int64("window start"), end: try reader.int64("window end"))
                        let aggregate = try aggregateSerde.decode(try reader.lengthPrefixed("aggregate"))
                        snapshot.windows.append(.init(key: key, window: window, aggregate: aggregate))
                    }
                    for _ in 0..<(try reader.uint32("record count")) {
                        let timestamp = try reader.int64("record timestamp")
                        let value = try valueSerde.decode(try reader.lengthPrefixed("record value"))
                        snapshot.pendingRecords.append(.init(key: key, timestamp: timestamp, value: value))
                    }
                    guard reader.isAtEnd else { throw StateStoreError.corruptChangelog(store: name, "trailing bytes after the state of a key") }
                }
            }
            try engine.restore(snapshot)
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError.invalidState(store: name, error)
        }
    }
}
