/// Aggregates a keyed stream into event-time windows, closes windows as stream time passes, and
/// reports updates, retractions and final results into a caller-provided array.
///
/// **Time.** Stream time is the largest timestamp seen (or given to `advance(streamTime:into:)`);
/// it never goes back. One engine serves one task (one partition of one branch), as Kafka's
/// stream time is per task. A window is *closed* once stream time reaches
/// `end + grace` (`end` exclusive; sessions also wait `gap`, see `WindowSpec`), and a closed
/// window is final: no later record changes it, and its state is evicted at once.
///
/// **Lateness.** A record is late when every window it could belong to is closed: it changes
/// nothing, `process` returns `.late`, and `lateRecordCount` counts it, so the caller can route
/// it to a late-records topic. Stream time moves before the check (Kafka's order), so a record
/// can never close its own window.
///
/// **Aggregates.** A window's aggregate starts at `initializer()` and folds in its records in
/// arrival order with `aggregator` (sliding windows too: a window created after some of its
/// records arrived folds them from the record buffer, still in arrival order). Sessions that a
/// record bridges are combined with `merger` into the earliest one, in start order, and then the
/// record is added; `merger` must treat `initializer()` as its identity (Kafka starts from
/// `initializer()` and merges every session into it, which is the same under that rule).
///
/// **Results.** `process`, `advance` and `flush` append to `results` and never clear it. In
/// `.onUpdate` mode each accepted record appends one `.updated` per window it changed, oldest
/// window first (a hopping record updates about `size / advance` windows), preceded, for a
/// session merge, by one `.removed` per session the merge replaced. In `.onClose` mode only
/// `.final` results appear, when stream time closes windows: in close-time order, ties by window
/// start then by the order keys first appeared, so equal input gives equal output.
///
/// **Ownership.** A value type with a single owner: not thread-safe by design, and it needs no
/// lock because only the task that owns the partition touches it. Copying it copies the state
/// (copy-on-write), which is a snapshot, not a second view.
///
/// **Memory.** Proportional to the open windows (plus, for sliding windows, the records younger
/// than `size + grace + 2` of stream time). A key's slot is recycled with its arrays' capacity
/// when its last window closes, so once the arrays have grown to the peak number of open windows
/// `process` does not allocate: it hashes the key once, finds its windows in a small sorted
/// array and updates them in place; opening a window is an amortized push onto the close
/// schedule, and results go into the caller's reused array. (Measured: no heap allocation at all
/// over millions of steady-state records of every window kind, keys churning or not, with a
/// trivial aggregate; an aggregate that allocates, such as an array, allocates as it grows.)
///
/// **Specialization.** The hot path is `@inlinable` so that the module using the engine
/// compiles it for its concrete key, value and aggregate types. Called as unspecialized generic
/// code it measured about ten times slower and allocated on most records.
public struct WindowedAggregation<Key: Hashable, Value, Aggregate> {
    public typealias Result = WindowedResult<Key, Aggregate>

    /// The window definition, as given.
    public let spec: WindowSpec
    /// How long after a window's end (in stream time) records are still accepted into it.
    public let grace: Int64
    public let emitMode: EmitMode

    @usableFromInline let geometry: WindowGeometry
    @usableFromInline let initializer: @Sendable () -> Aggregate
    @usableFromInline let aggregator: @Sendable (inout Aggregate, Value) -> Void
    @usableFromInline let merger: (@Sendable (inout Aggregate, Aggregate) -> Void)?

    /// Key → index of its slot in `states`, for keys with open windows or pending records.
    @usableFromInline var stateIndex: [Key: Int32] = [:]
    /// Per-key state; slots whose `key` is `nil` are free and listed in `freeStates`.
    @usableFromInline var states: [KeyWindows<Key, Value, Aggregate>] = []
    @usableFromInline var freeStates: [Int32] = []
    @usableFromInline var schedule = CloseSchedule()
    /// `Int64.min` until the first record or advance.
    @usableFromInline var currentStreamTime: Int64 = .min
    @usableFromInline var lateRecords = 0
    @usableFromInline var openWindows = 0

    /// - Parameters:
    ///   - windows: the window definition; validated here.
    ///   - grace: milliseconds of stream time after a window's end during which out-of-order
    ///     records are still accepted (0 to `WindowSpec.maximumDuration`). Kafka 3 asks for it
    ///     explicitly too (`ofSizeAndGrace` / `ofSizeWithNoGrace`).
    ///   - emit: every update, or final results only.
    ///   - initializer: a new window's aggregate before any record.
    ///   - aggregator: folds one record's value into an aggregate.
    ///   - merger: combines two sessions' aggregates into the first; required for `.session`.
    /// - Throws: `WindowError` naming the invalid size, advance, gap or grace, or a missing merger.
    public init(
        windows: WindowSpec,
        grace: Int64,
        emit: EmitMode,
        initializer: @escaping @Sendable () -> Aggregate,
        aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)? = nil
    ) throws(WindowError) {
        geometry = try WindowGeometry(windows, grace: grace)
        if geometry.kind == .session, merger == nil { throw .missingMerger }
        self.spec = windows
        self.grace = grace
        self.emitMode = emit
        self.initializer = initializer
        self.aggregator = aggregator
        self.merger = merger
    }

    /// Records refused because all their windows had closed, since this engine was created.
    public var lateRecordCount: Int { lateRecords }

    /// Windows currently open, over all keys.
    public var openWindowCount: Int { openWindows }

    /// The largest timestamp seen or advanced to; `nil` before the first.
    public var streamTime: Int64? { currentStreamTime == .min ? nil : currentStreamTime }

    /// Keys that currently hold open windows (or sliding-window records).
    public var keyCount: Int { stateIndex.count }

    /// Adds one record.
    ///
    /// Moves stream time to `timestamp` if it is later (closing, and in `.onClose` mode
    /// emitting, the windows that closes), then aggregates the record into its open windows.
    /// - Returns: `.late` if every window the record belongs to had closed (nothing changed).
    /// - Throws: `WindowError.timestampOutOfRange` for a timestamp outside
    ///   `0...WindowSpec.maximumTimestamp` (the record is not counted and nothing changes).
    @inlinable
    public mutating func process(
        key: Key,
        value: Value,
        timestamp: Int64,
        into results: inout [Result]
    ) throws(WindowError) -> RecordOutcome {
        guard timestamp >= 0, timestamp <= WindowSpec.maximumTimestamp else {
            throw .timestampOutOfRange(timestamp)
        }
        if timestamp > currentStreamTime {
            currentStreamTime = timestamp
            closeDueWindows(into: &results)
        }
        let outcome: RecordOutcome
        switch geometry.kind {
        case .fixed: outcome = aggregateFixed(key: key, value: value, timestamp: timestamp, into: &results)
        case .sliding: outcome = aggregateSliding(key: key, value: value, timestamp: timestamp, into: &results)
        case .session: outcome = aggregateSession(key: key, value: value, timestamp: timestamp, into: &results)
        }
        if outcome == .late { lateRecords += 1 }
        return outcome
    }

    /// Moves stream time forward without a record (a punctuation, or an idle partition whose
    /// time is known from elsewhere) and closes what that closes. An earlier time is ignored.
    @inlinable
    public mutating func advance(streamTime: Int64, into results: inout [Result]) {
        guard streamTime > currentStreamTime else { return }
        currentStreamTime = streamTime
        closeDueWindows(into: &results)
    }

    /// Ends the stream: closes every open window (emitting its final result in `.onClose`
    /// mode) in close-time order and leaves the engine empty, with stream time at its maximum,
    /// so any later record is late. For bounded input (`--until-idle`), not for shutdown: a
    /// restarted task should restore its snapshot instead, since flushed windows are final.
    @inlinable
    public mutating func flush(into results: inout [Result]) {
        advance(streamTime: .max, into: &results)
    }

    // MARK: Key state slots

    /// The state slot of `key`, claiming a free (or new) one if the key has none.
    @inlinable
    mutating func claimState(for key: Key) -> Int {
        if let index = stateIndex[key] { return Int(index) }
        let index: Int
        if let free = freeStates.popLast() {
            index = Int(free)
            states[index].key = key
        } else {
            index = states.count
            states.append(KeyWindows(key: key))
        }
        stateIndex[key] = Int32(index)
        return index
    }

    /// Frees `state` for another key once it holds no window and no record.
    @inlinable
    mutating func releaseIfIdle(_ state: Int) {
        guard states[state].isIdle, let key = states[state].key else { return }
        stateIndex.removeValue(forKey: key)
        states[state].recycle()
        freeStates.append(Int32(state))
    }

    /// Inserts a new window for `state` at `slot`, schedules its close and reports it.
    @inlinable
    mutating func open(
        _ window: Window,
        aggregate: Aggregate,
        state: Int,
        at slot: Int,
        into results: inout [Result]
    ) {
        states[state].slots.insert(.init(window: window, aggregate: aggregate), at: slot)
        openWindows += 1
        schedule.schedule(.init(time: geometry.closeTime(of: window), start: window.start, state: Int32(state), isSweep: false))
        reportUpdate(state: state, slot: slot, into: &results)
    }

    /// Appends `.updated` for a changed window, in `.onUpdate` mode.
    @inlinable
    func reportUpdate(state: Int, slot: Int, into results: inout [Result]) {
        guard emitMode == .onUpdate, let key = states[state].key else { return }
        let changed = states[state].slots[slot]
        results.append(Result(kind: .updated, key: key, window: changed.window, aggregate: changed.aggregate))
    }
}

extension WindowedAggregation: Sendable where Key: Sendable, Value: Sendable, Aggregate: Sendable {}
