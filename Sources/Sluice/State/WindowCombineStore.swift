import SluiceLog
import SluiceWindows
import Synchronization

/// The second half of a pre-aggregated windowed aggregation (`WindowedStream.aggregate` with a
/// merger over tumbling or hopping windows): it receives, through the repartition topic, each
/// source partition's running aggregate of each (key, window) and forwards their merge.
///
/// Why partials: repartitioning every record costs an encode, a log write, a fetch and a
/// decode per record. The first half (`WindowAggregateStore` in the source partition's task)
/// folds the records of a batch into per-(key, window) aggregates and repartitions only those
/// that changed — a handful per batch — so grouping costs one hash update per record (Flink's
/// local-global aggregation).
///
/// Exactness: a partial is *cumulative* (all of its source partition's records of that key and
/// window so far), tagged in its `sluice.origin` header with its producer (source topic hash and
/// partition) and a version that grows with every record the producer applied to the key. This
/// store keeps, per (key, window), the newest partial of each producer and merges them, so a
/// replayed, duplicated or reordered partial changes nothing: aggregates stay exact across
/// crashes of either half, as `RecordOrigin` keeps them for per-record repartitioning.
///
/// Time: stream time is the largest partial timestamp seen (each partial carries its window's
/// latest record timestamp); a window closes at `end + grace`, as in `WindowedAggregation`.
/// `.onUpdate` forwards each changed window once per batch; `.onClose` forwards each window
/// once, final, when it closes. Each source partition writes its partials in window order
/// (`WindowPartialStore`), so its own partials never close a window before its partial of that
/// window arrives; a partial for a window that already closed here — another source partition
/// ran ahead by more than the grace — is counted once as late and dropped (its records were on
/// time upstream, where lateness is judged per record).
///
/// Changelog: one record per (key, window), `WindowedSerde` key. Layout, version 1: `1`, `i64`
/// latest timestamp, `u32` partial count, per partial `u32 source, u32 partition, i64 version,
/// length-prefixed aggregate`; a tombstone once the window closed.
@usableFromInline
final class WindowCombineStore<Key: Hashable, Aggregate>: StreamTimeAdvancing {
    /// One producer's running aggregate of a window.
    struct Partial {
        var source: UInt32
        var partition: Int32
        var version: Int64
        var aggregate: Aggregate
    }

    struct Entry {
        var partials: [Partial] = []
        var timestamp: Int64
    }

    let name: String
    private let initializer: @Sendable () -> Aggregate
    private let merger: @Sendable (inout Aggregate, Aggregate) -> Void
    private let grace: Int64
    private let emit: EmitMode
    private let keySerde: any Serde<Key>
    private let windowedSerde: WindowedSerde<Key>
    private let aggregateSerde: any Serde<Aggregate>
    private let changelog: Changelog
    private let context: TaskContext
    private let downstream: Emit<Windowed<Key>, Aggregate>

    private var windows: [Windowed<Key>: Entry] = [:]
    private(set) var streamTime: Int64?
    /// The earliest `end + grace` among open windows: nothing closes before stream time gets there.
    private var nextClose = Int64.max
    /// Windows changed (or closed) this batch, in first-change order.
    private var changed: [Windowed<Key>] = []
    private var changedSet: Set<Windowed<Key>> = []
    /// `.onUpdate`: the last merge of windows that closed this batch after changing in it.
    private var closedUpdates: [Windowed<Key>: (aggregate: Aggregate, timestamp: Int64)] = [:]
    private var lateSinceBatchStart = 0
    private var changelogKey: [UInt8] = []
    private var changelogValue: [UInt8] = []

    init(
        name: String, grace: Int64, emit: EmitMode, initializer: @escaping @Sendable () -> Aggregate,
        merger: @escaping @Sendable (inout Aggregate, Aggregate) -> Void, keySerde: any Serde<Key>, aggregateSerde: any Serde<Aggregate>,
        context: TaskContext, downstream: @escaping Emit<Windowed<Key>, Aggregate>
    ) throws {
        self.name = name
        self.grace = grace
        self.emit = emit
        self.initializer = initializer
        self.merger = merger
        self.keySerde = keySerde
        windowedSerde = WindowedSerde(keySerde)
        self.aggregateSerde = aggregateSerde
        self.context = context
        self.downstream = downstream
        changelog = Changelog(store: name, context: context)
        try restore()
        context.attach(store: self) { [unowned self] in try endBatch() }
    }

    var entryCount: Int { windows.count }

    func advance(streamTime time: Int64) throws {
        guard time > (streamTime ?? .min) else { return }
        streamTime = time
        try closeDueWindows()
    }

    /// Every open window with the merge of its partials (for tests and tools).
    func totals() -> [(Windowed<Key>, Aggregate)] { windows.map { ($0.key, total(of: $0.value)) } }

    /// Applies one partial record (written by `WindowPartialWriter`); its producer and version
    /// are the task's current origin, which the runtime read from the record's header.
    func apply(_ view: RecordView) throws {
        guard let keyBytes = view.key, let value = view.value else {
            throw SerdeError("a partial aggregate needs a key and a value (topic written by Sluice's pre-aggregation)")
        }
        guard value.count >= 16 else { throw SerdeError("a partial aggregate needs 16 bytes of window bounds, got \(value.count)") }
        let start = Int64(bigEndian: value.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let end = Int64(bigEndian: value.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        guard start < end else { throw SerdeError("a partial aggregate's window [\(start), \(end)) is empty") }
        let windowed = Windowed(key: try keySerde.decode(keyBytes), window: Window(start: start, end: end))
        let origin = context.origin
        let timestamp = view.timestamp
        streamTime = max(streamTime ?? timestamp, timestamp)
        if end + grace <= streamTime ?? timestamp, windows[windowed] == nil {
            lateSinceBatchStart += 1
            return
        }
        var entry = windows[windowed] ?? Entry(timestamp: timestamp)
        if let index = entry.partials.firstIndex(where: { $0.source == origin.source && $0.partition == origin.partition }) {
            guard origin.offset > entry.partials[index].version else {
                // A replayed or older partial changes nothing, but the window's merge is forwarded
                // again: a crash can lose the output of a batch whose changelog has the partial.
                markChanged(windowed)
                return
            }
            entry.partials[index].version = origin.offset
            entry.partials[index].aggregate = try aggregateSerde.decode(UnsafeRawBufferPointer(rebasing: value[16...]))
        } else {
            let aggregate = try aggregateSerde.decode(UnsafeRawBufferPointer(rebasing: value[16...]))
            entry.partials.append(Partial(source: origin.source, partition: origin.partition, version: origin.offset, aggregate: aggregate))
            nextClose = min(nextClose, end + grace)
        }
        entry.timestamp = max(entry.timestamp, timestamp)
        windows[windowed] = entry
        markChanged(windowed)
        try closeDueWindows()
    }

    private func total(of entry: Entry) -> Aggregate {
        var total = initializer()
        for partial in entry.partials { merger(&total, partial.aggregate) }
        return total
    }

    private func markChanged(_ windowed: Windowed<Key>) {
        if changedSet.insert(windowed).inserted { changed.append(windowed) }
    }

    private func closeDueWindows() throws {
        guard let streamTime, streamTime >= nextClose else { return }
        var due: [(Windowed<Key>, Entry)] = []
        nextClose = .max
        for (windowed, entry) in windows {
            let close = windowed.window.end + grace
            if close <= streamTime { due.append((windowed, entry)) } else { nextClose = min(nextClose, close) }
        }
        due.sort { ($0.0.window.end, $0.0.window.start) < ($1.0.window.end, $1.0.window.start) }
        for (windowed, entry) in due {
            windows[windowed] = nil
            switch emit {
            case .onClose:
                try downstream(windowed, total(of: entry), windowed.window.last)
            case .onUpdate:
                if changedSet.contains(windowed) { closedUpdates[windowed] = (total(of: entry), entry.timestamp) }
            }
            markChanged(windowed)
        }
    }

    private func endBatch() throws {
        if lateSinceBatchStart > 0 {
            context.metrics.late.add(lateSinceBatchStart, ordering: .relaxed)
            lateSinceBatchStart = 0
        }
        if emit == .onUpdate {
            for windowed in changed {
                let update = windows[windowed].map { (total(of: $0), $0.timestamp) } ?? closedUpdates[windowed]
                guard let (aggregate, timestamp) = update else { continue }
                try downstream(windowed, aggregate, timestamp)
            }
        }
        let streamTime = streamTime ?? 0
        for windowed in changed { try writeChangelog(of: windowed, streamTime: streamTime) }
        changed.removeAll(keepingCapacity: true)
        changedSet.removeAll(keepingCapacity: true)
        closedUpdates.removeAll(keepingCapacity: true)
    }

    private func writeChangelog(of windowed: Windowed<Key>, streamTime: Int64) throws {
        changelogKey.removeAll(keepingCapacity: true)
        try windowedSerde.encode(windowed, into: &changelogKey)
        guard let entry = windows[windowed] else {
            return try changelog.write(key: changelogKey, value: nil, applied: [], timestamp: streamTime, context: context)
        }
        var writer = ChangelogWriter(reusing: changelogValue)
        writer.byte(1)
        writer.int64(entry.timestamp)
        writer.uint32(UInt32(entry.partials.count))
        for partial in entry.partials {
            writer.uint32(partial.source)
            writer.uint32(UInt32(bitPattern: partial.partition))
            writer.int64(partial.version)
            try writer.lengthPrefixed { try aggregateSerde.encode(partial.aggregate, into: &$0) }
        }
        changelogValue = writer.bytes
        try changelog.write(key: changelogKey, value: changelogValue, applied: [], timestamp: streamTime, context: context)
    }

    private func restore() throws {
        let (entries, latest) = try changelog.replay(from: context.log)
        streamTime = latest
        do {
            for (keyBytes, stored) in entries {
                let windowed = try keyBytes.withUnsafeBytes { try windowedSerde.decode($0) }
                windows[windowed] = try stored.value.withUnsafeBytes { raw in
                    var reader = ChangelogReader(raw, store: name)
                    let version = try reader.byte("layout version")
                    guard version == 1 else { throw StateStoreError.corruptChangelog(store: name, "unknown layout version \(version)") }
                    var entry = Entry(timestamp: try reader.int64("latest timestamp"))
                    for _ in 0..<(try reader.uint32("partial count")) {
                        let source = try reader.uint32("producer source")
                        let partition = Int32(bitPattern: try reader.uint32("producer partition"))
                        let version = try reader.int64("partial version")
                        let aggregate = try aggregateSerde.decode(try reader.lengthPrefixed("partial aggregate"))
                        entry.partials.append(Partial(source: source, partition: partition, version: version, aggregate: aggregate))
                    }
                    guard reader.isAtEnd else { throw StateStoreError.corruptChangelog(store: name, "trailing bytes after a window's partials") }
                    return entry
                }
                nextClose = min(nextClose, windowed.window.end + grace)
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError.invalidState(store: name, error)
        }
    }
}
