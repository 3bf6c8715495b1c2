import SluiceLog
import SluiceWindows
import Synchronization

/// The first half of a pre-aggregated windowed aggregation (see `WindowedStream.preAggregated`):
/// in the task of one source partition, folds each record into its key's tumbling or hopping
/// windows and, at the end of every batch, hands the windows that changed to a
/// `WindowPartialWriter`, which repartitions them for `WindowCombineStore` to merge.
///
/// The per-record path is one lookup (the key's state holds its applied origins and its open
/// windows, a few at most; a short string key is found without hashing, `SmallKeyIndex`) and
/// the aggregator: this is where a grouped, windowed branch spends its time, so it avoids
/// everything else (no per-record sets, no result buffers).
///
/// Guarantees, as every store:
/// - each source record is applied once (`AppliedOrigins`: a replayed copy is skipped);
/// - a window closes when stream time reaches `end + grace` (the rule of `WindowedAggregation`),
///   and a record whose windows all closed is late: counted and, when asked, written to the
///   late-records topic; closed windows are dropped (the second half closes its own);
/// - the changelog holds, per key, its open windows and applied origins in one record written
///   at the end of each batch that changed the key (a tombstone once none is open), before the
///   runtime flushes and commits.
///
/// Changelog layout, version 1: `1`, `u32` window count, per window `i64 start, i64 end,
/// i64 latest timestamp, length-prefixed aggregate`. The record timestamp is stream time.
@usableFromInline
final class WindowPartialStore<Key: Hashable, Value, Aggregate>: StreamTimeAdvancing {
    @usableFromInline
    struct OpenWindow {
        @usableFromInline var start: Int64
        @usableFromInline var aggregate: Aggregate
        @usableFromInline var timestamp: Int64
        @usableFromInline var changed: Bool

        @usableFromInline
        init(start: Int64, aggregate: Aggregate, timestamp: Int64, changed: Bool) {
            self.start = start
            self.aggregate = aggregate
            self.timestamp = timestamp
            self.changed = changed
        }
    }

    @usableFromInline
    struct KeyState {
        @usableFromInline var applied: [RecordOrigin] = []
        @usableFromInline var windows: [OpenWindow] = []
        /// Listed in `changedKeys` this batch.
        @usableFromInline var changed = false

        @usableFromInline init() {}
    }

    /// What one record did to its key.
    @usableFromInline
    enum Outcome {
        case replayed
        case late
        case applied
        /// Applied, and the key's first change this batch.
        case firstChange
    }

    let name: String
    @usableFromInline let size: Int64
    @usableFromInline let advance: Int64
    @usableFromInline let grace: Int64
    @usableFromInline let initializer: @Sendable () -> Aggregate
    @usableFromInline let aggregator: @Sendable (inout Aggregate, Value) -> Void
    @usableFromInline let context: TaskContext
    @usableFromInline let lateRecords: TopicWriter<Key, Value>?
    private let keySerde: any Serde<Key>
    private let aggregateSerde: any Serde<Aggregate>
    private let writer: WindowPartialWriter<Key, Aggregate>
    private let changelog: Changelog

    /// What changes as records arrive. It lives behind a pointer the store owns: touched for
    /// every record, stored class properties would cost dynamic exclusivity checks each time.
    /// Only the task's thread uses it.
    @usableFromInline
    struct Live {
        @usableFromInline var keys: [Key: KeyState] = [:]
        /// Where `keys` keeps short string keys, so the per-record lookup skips the hash;
        /// emptied before `keys` gains or loses a key.
        @usableFromInline var keyIndex = SmallKeyIndex<Key, KeyState>()
        @usableFromInline var changedKeys: [Key] = []
        @usableFromInline var streamTime = Int64.min
        @usableFromInline var lateSinceBatchStart = 0
        /// The earliest stream time at which an open window closes: when to sweep closed ones.
        @usableFromInline var nextSweep = Int64.max

        init() {}
    }

    @usableFromInline let live: UnsafeMutablePointer<Live> = {
        let live = UnsafeMutablePointer<Live>.allocate(capacity: 1)
        live.initialize(to: Live())
        return live
    }()
    private var changelogKey: [UInt8] = []
    private var changelogValue: [UInt8] = []
    /// The windows a batch changed, with their key and its version, to write in window order.
    private var partials: [(key: Key, window: OpenWindow, version: Int64)] = []

    @usableFromInline
    init(
        name: String, windows: WindowSpec, grace: Int64, initializer: @escaping @Sendable () -> Aggregate,
        aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void, keySerde: any Serde<Key>, valueSerde: any Serde<Value>,
        aggregateSerde: any Serde<Aggregate>, lateRecordsTopic: String?, partials: TopicName, producer: TopicName, context: TaskContext
    ) throws {
        switch windows {
        case .tumbling(let size): (self.size, advance) = (size, size)
        case .hopping(let size, let advance): (self.size, self.advance) = (size, advance)
        case .sliding, .session: throw SerdeError("pre-aggregation needs tumbling or hopping windows, not \(windows)")
        }
        try windows.validate()
        guard grace >= 0, grace <= WindowSpec.maximumDuration else { throw WindowError.invalidGrace(grace) }
        self.name = name
        self.grace = grace
        self.initializer = initializer
        self.aggregator = aggregator
        self.keySerde = keySerde
        self.aggregateSerde = aggregateSerde
        self.context = context
        lateRecords = lateRecordsTopic.map { TopicWriter(topic: $0, keySerde: keySerde, valueSerde: valueSerde, context: context) }
        writer = WindowPartialWriter(topic: partials, producer: producer, keySerde: keySerde, aggregateSerde: aggregateSerde, context: context)
        changelog = Changelog(store: name, context: context)
        try restore()
        context.attach(store: self) { [unowned self] in try endBatch() }
    }

    deinit {
        live.deinitialize(count: 1)
        live.deallocate()
    }

    var entryCount: Int { live.pointee.keys.values.reduce(0) { $0 + $1.windows.count } }

    /// Closed windows are dropped at the batch end (the key's task closes its own).
    func advance(streamTime time: Int64) throws {
        if time > live.pointee.streamTime { live.pointee.streamTime = time }
    }

    /// Every open window with this task's aggregate of it (for tests and tools).
    func windowsByKey() -> [(Windowed<Key>, Aggregate)] {
        live.pointee.keys.flatMap { key, state in
            state.windows.map { (Windowed(key: key, window: Window(start: $0.start, end: $0.start + size)), $0.aggregate) }
        }
    }

    @inlinable
    func process(key: Key?, value: Value, timestamp: Int64) throws {
        guard let key else { throw SerdeError("a record without a key cannot be aggregated (group it by a key first)") }
        guard timestamp >= 0, timestamp <= WindowSpec.maximumTimestamp else { throw WindowError.timestampOutOfRange(timestamp) }
        if timestamp > live.pointee.streamTime { live.pointee.streamTime = timestamp }
        switch fold(key, value, timestamp: timestamp) {
        case .replayed, .applied:
            return
        case .firstChange:
            live.pointee.changedKeys.append(key)
        case .late:
            live.pointee.lateSinceBatchStart += 1
            try lateRecords?.write(key: key, value: value, timestamp: timestamp)
        }
    }

    /// Applies one record to `key`'s state, found through `keyIndex` when the key is a short
    /// string it has seen since `keys` last changed shape (no hashing), else by a lookup.
    @inlinable
    func fold(_ key: Key, _ value: Value, timestamp: Int64) -> Outcome {
        let origin = context.origin
        guard let identity = SmallKeyIndex<Key, KeyState>.identity(of: key) else {
            return fold(&live.pointee.keys[key, default: KeyState()], value, timestamp: timestamp, origin: origin)
        }
        if let index = live.pointee.keyIndex.index(of: identity) {
            return fold(&live.pointee.keys.values[index], value, timestamp: timestamp, origin: origin)
        }
        let count = live.pointee.keys.count
        let outcome = fold(&live.pointee.keys[key, default: KeyState()], value, timestamp: timestamp, origin: origin)
        if live.pointee.keys.count != count { live.pointee.keyIndex.removeAll() }
        if let index = live.pointee.keys.index(forKey: key) { live.pointee.keyIndex.record(index, for: identity) }
        return outcome
    }

    /// A replayed copy: in the state already, but the partials carrying it may not have reached
    /// the key's task (a crash can lose them after the changelog has the record), so its windows
    /// go out again, with the same version: a task that has them skips them. Out of line: only
    /// replays after a crash or rebalance come here.
    @usableFromInline @inline(never)
    func resend(_ state: inout KeyState, containing timestamp: Int64) -> Outcome {
        var resend = false
        for index in state.windows.indices where state.windows[index].start <= timestamp && timestamp < state.windows[index].start + size {
            state.windows[index].changed = true
            resend = true
        }
        guard resend, !state.changed else { return .replayed }
        state.changed = true
        return .firstChange
    }

    /// Applies one record to its key's state: skips a replayed copy, else adds the value to
    /// every window of `timestamp` that is still open.
    @inlinable
    func fold(_ state: inout KeyState, _ value: Value, timestamp: Int64, origin: RecordOrigin) -> Outcome {
        guard AppliedOrigins<Key>.mark(&state.applied, origin) else { return resend(&state, containing: timestamp) }
        let newest = timestamp - timestamp % advance
        var start = newest - (newest - (timestamp - size) - 1) / advance * advance
        while start <= newest, start + size + grace <= live.pointee.streamTime { start += advance }
        guard start <= newest else { return .late }
        while start <= newest {
            // From the end: windows are appended as time moves on, so a record's window is
            // nearly always among the last, while a long grace keeps many older ones open.
            if let index = state.windows.lastIndex(where: { $0.start == start }) {
                aggregator(&state.windows[index].aggregate, value)
                state.windows[index].timestamp = max(state.windows[index].timestamp, timestamp)
                state.windows[index].changed = true
            } else {
                var aggregate = initializer()
                aggregator(&aggregate, value)
                state.windows.append(OpenWindow(start: start, aggregate: aggregate, timestamp: timestamp, changed: true))
                if start + size + grace < live.pointee.nextSweep { live.pointee.nextSweep = start + size + grace }
            }
            start += advance
        }
        guard !state.changed else { return .applied }
        state.changed = true
        return .firstChange
    }

    private func endBatch() throws {
        live.pointee.keyIndex.removeAll()  // keys are rewritten and swept below
        if live.pointee.lateSinceBatchStart > 0 {
            context.metrics.late.add(live.pointee.lateSinceBatchStart, ordering: .relaxed)
            live.pointee.lateSinceBatchStart = 0
        }
        // The partials go out in window order, whatever order their keys changed in: the
        // second half's stream time is the largest partial timestamp it has seen, so a later
        // window's partial read first would close an earlier window of another key before that
        // key's partial arrives, dropping records that were on time here. In window order, no
        // partial of this batch comes after one of a window that ends before its own.
        for key in live.pointee.changedKeys {
            guard var state = live.pointee.keys[key] else { continue }
            let version = AppliedOrigins<Key>.version(of: state.applied)
            for index in state.windows.indices where state.windows[index].changed {
                partials.append((key, state.windows[index], version))
                state.windows[index].changed = false
            }
            state.changed = false
            live.pointee.keys[key] = state
            try writeChangelog(of: key, state)
        }
        live.pointee.changedKeys.removeAll(keepingCapacity: true)
        if partials.count > 1 {
            // By start, then first-change order (stable for equal starts).
            var order = Array(partials.indices)
            order.sort { (partials[$0].window.start, $0) < (partials[$1].window.start, $1) }
            partials = order.map { partials[$0] }
        }
        for (key, window, version) in partials {
            try writer.write(
                key: key, window: Window(start: window.start, end: window.start + size), aggregate: window.aggregate,
                timestamp: window.timestamp, version: version)
        }
        partials.removeAll(keepingCapacity: true)
        if live.pointee.streamTime >= live.pointee.nextSweep { try sweepClosedWindows() }
    }

    /// Drops every closed window; a key left with none is forgotten (tombstoned), since a
    /// replayed copy of its records would be late anyway.
    private func sweepClosedWindows() throws {
        live.pointee.nextSweep = .max
        for key in Array(live.pointee.keys.keys) {
            guard var state = live.pointee.keys[key] else { continue }
            let before = state.windows.count
            state.windows.removeAll { $0.start + size + grace <= live.pointee.streamTime }
            for window in state.windows { live.pointee.nextSweep = min(live.pointee.nextSweep, window.start + size + grace) }
            if state.windows.isEmpty {
                live.pointee.keys[key] = nil
                try writeChangelog(of: key, nil)
            } else if state.windows.count != before {
                live.pointee.keys[key] = state
                try writeChangelog(of: key, state)
            }
        }
    }

    private func writeChangelog(of key: Key, _ state: KeyState?) throws {
        changelogKey.removeAll(keepingCapacity: true)
        try keySerde.encode(key, into: &changelogKey)
        let timestamp = max(live.pointee.streamTime, 0)
        guard let state, !state.windows.isEmpty else {
            return try changelog.write(key: changelogKey, value: nil, applied: [], timestamp: timestamp, context: context)
        }
        var writer = ChangelogWriter(reusing: changelogValue)
        writer.byte(1)
        writer.uint32(UInt32(state.windows.count))
        for window in state.windows {
            writer.int64(window.start)
            writer.int64(window.start + size)
            writer.int64(window.timestamp)
            try writer.lengthPrefixed { try aggregateSerde.encode(window.aggregate, into: &$0) }
        }
        changelogValue = writer.bytes
        try changelog.write(
            key: changelogKey, value: changelogValue, applied: AppliedOrigins<Key>.headerValue(of: state.applied), timestamp: timestamp,
            context: context)
    }

    private func restore() throws {
        live.pointee.keyIndex.removeAll()
        let (entries, latest) = try changelog.replay(from: context.log)
        if let latest { live.pointee.streamTime = latest }
        do {
            for (keyBytes, entry) in entries {
                let key = try keyBytes.withUnsafeBytes { try keySerde.decode($0) }
                var state = KeyState()
                state.applied = try AppliedOrigins<Key>.entries(from: entry.applied, store: name)
                try entry.value.withUnsafeBytes { raw in
                    var reader = ChangelogReader(raw, store: name)
                    let version = try reader.byte("layout version")
                    guard version == 1 else { throw StateStoreError.corruptChangelog(store: name, "unknown layout version \(version)") }
                    for _ in 0..<(try reader.uint32("window count")) {
                        let start = try reader.int64("window start")
                        let end = try reader.int64("window end")
                        guard end - start == size, start % advance == 0 else {
                            throw StateStoreError.corruptChangelog(store: name, "window [\(start), \(end)) does not fit \(size) ms windows every \(advance) ms")
                        }
                        let timestamp = try reader.int64("latest timestamp")
                        let aggregate = try aggregateSerde.decode(try reader.lengthPrefixed("aggregate"))
                        state.windows.append(OpenWindow(start: start, aggregate: aggregate, timestamp: timestamp, changed: false))
                        live.pointee.nextSweep = min(live.pointee.nextSweep, end + grace)
                    }
                    guard reader.isAtEnd else { throw StateStoreError.corruptChangelog(store: name, "trailing bytes after the windows of a key") }
                }
                live.pointee.keys[key] = state
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError.invalidState(store: name, error)
        }
    }
}
