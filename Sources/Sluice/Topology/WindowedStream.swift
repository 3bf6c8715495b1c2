public import SluiceWindows

/// A grouped stream cut into event-time windows, ready to aggregate per (key, window).
/// Produced by `GroupedStream.windowed(_:grace:emit:lateRecordsTo:)`.
///
/// Windows follow the records' timestamps (set them from the value with
/// `Stream.timestamped(by:)`), per task: stream time is the largest timestamp a task has seen,
/// a window closes once stream time passes its end plus `grace`, and a record whose windows
/// have all closed is late: counted (`RunSummary`), optionally written to a topic, and
/// otherwise dropped. The window state lives in a store with a compacted changelog, so closed
/// windows stay closed and open ones survive restarts.
public struct WindowedStream<Key: Hashable & Sendable, Value>: Sendable {
    @usableFromInline let grouped: GroupedStream<Key, Value>
    @usableFromInline let windows: WindowSpec
    @usableFromInline let graceMs: Int64
    @usableFromInline let emit: EmitMode
    @usableFromInline let lateRecordsTopic: String?

    @usableFromInline
    init(grouped: GroupedStream<Key, Value>, windows: WindowSpec, graceMs: Int64, emit: EmitMode, lateRecordsTopic: String?) {
        self.grouped = grouped
        self.windows = windows
        self.graceMs = graceMs
        self.emit = emit
        self.lateRecordsTopic = lateRecordsTopic
    }

    /// Folds each window's records into an aggregate that starts at `initial`.
    ///
    /// `merger` combines two aggregates (with `initial` as its identity). Session windows need
    /// it to merge the sessions a record bridges. Tumbling and hopping windows behind a
    /// repartitioning `groupBy` use it to pre-aggregate: each source partition's task folds its
    /// records and repartitions only the per-window aggregates that changed in a batch, instead
    /// of every record (see `preAggregated`); results are the same, far cheaper. Give one
    /// whenever partial aggregates can be combined (counts, sums, min/max, sketches).
    /// Inlinable so that the pipeline's module specializes the store's per-record path for its
    /// key, value and aggregate types (generic, it runs about ten times slower).
    @inlinable
    public func aggregate<Aggregate>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, serde: some Serde<Aggregate>, named name: String? = nil,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Windowed<Key>, Aggregate> {
        if let merger, let repartition = grouped.repartition, windows.isFixed {
            return preAggregated(
                repartition.keyed, repartitionedThrough: repartition.topic, initial: initial, serde: serde, named: name, merger: merger,
                aggregator: aggregator)
        }
        return windowStore(initial(), serde: serde, named: name, merger: merger, aggregator) { downstream in (downstream, nil) }
    }

    /// `aggregate`, as the changelog of a table of windows: each window's latest aggregate, and
    /// nil for a session that a merge replaced — Kafka's tombstone for that windowed key, which
    /// `to(_:)` writes as a record without a value. A table read from the output (a compacted
    /// topic, `PipelineTestDriver.table`) then holds exactly the current sessions, where
    /// `aggregate`'s output keeps the replaced ones too.
    ///
    /// Only session windows in `.onUpdate` mode replace windows; other windows never give nil,
    /// and `.onClose` forwards final sessions only.
    @inlinable
    public func aggregateWithTombstones<Aggregate>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, serde: some Serde<Aggregate>, named name: String? = nil,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Windowed<Key>, Aggregate?> {
        if let merger, let repartition = grouped.repartition, windows.isFixed {
            // Fixed windows never merge: nothing to retract.
            let fixed = preAggregated(
                repartition.keyed, repartitionedThrough: repartition.topic, initial: initial, serde: serde, named: name, merger: merger,
                aggregator: aggregator)
            return fixed.then(plan: fixed.plan) { _, downstream in { key, value, timestamp in try downstream(key, value, timestamp) } }
        }
        return windowStore(initial(), serde: serde, named: name, merger: merger, aggregator) { downstream in
            let updates: Emit<Windowed<Key>, Aggregate> = { windowed, aggregate, timestamp in try downstream(windowed, aggregate, timestamp) }
            return (updates, { windowed, timestamp in try downstream(windowed, nil, timestamp) })
        }
    }

    /// `aggregateWithTombstones` with JSON for the aggregate's changelog.
    @inlinable
    public func aggregateWithTombstones<Aggregate: Codable & Sendable>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, named name: String? = nil,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Windowed<Key>, Aggregate?> {
        aggregateWithTombstones(initial(), serde: JSONSerde<Aggregate>(), named: name, merger: merger, aggregator)
    }

    /// The window store of `aggregate` (not pre-aggregated) and where it forwards: `forward`
    /// turns the stream's downstream into the store's (updates and finals, and replaced sessions).
    @inlinable
    func windowStore<Aggregate, Output>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, serde: some Serde<Aggregate>, named name: String?,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)?, _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void,
        forward: @escaping @Sendable (@escaping Emit<Windowed<Key>, Output>) -> (
            Emit<Windowed<Key>, Aggregate>, ((Windowed<Key>, Int64) throws -> Void)?
        )
    ) -> Stream<Windowed<Key>, Output> {
        let (windows, graceMs, emit, lateRecordsTopic) = (windows, graceMs, emit, lateRecordsTopic)
        let (plan, storeName) = aggregatePlan(named: name) {
            _ = try WindowedAggregation<Key, Value, Aggregate>(
                windows: windows, grace: graceMs, emit: emit, initializer: initial, aggregator: aggregator, merger: merger)
        }
        let (keySerde, valueSerde, aggregateSerde) = (grouped.keySerde, grouped.valueSerde, serde as any Serde<Aggregate>)
        return grouped.stream.then(plan: plan) { context, downstream in
            let engine = try WindowedAggregation<Key, Value, Aggregate>(
                windows: windows, grace: graceMs, emit: emit, initializer: initial, aggregator: aggregator, merger: merger)
            let (updates, retract) = forward(downstream)
            let store = try WindowAggregateStore(
                name: storeName, engine: engine, keySerde: keySerde, valueSerde: valueSerde, aggregateSerde: aggregateSerde,
                lateRecordsTopic: lateRecordsTopic, context: context, downstream: updates, retract: retract)
            return { key, value, timestamp in try store.process(key: key, value: value, timestamp: timestamp) }
        }
    }

    /// The plan of an aggregation: its steps and store, and the problem `check` finds with
    /// the window definition, if any.
    @usableFromInline
    func aggregatePlan(named name: String?, check: () throws -> Void) -> (StreamPlan, String) {
        let storeName = name ?? grouped.stream.plan.ownedName("aggregate")
        var plan = grouped.stream.plan.adding("windowed(\(windows), grace \(graceMs) ms, \(emit))")
            .adding("aggregate[\(storeName)]")
            .adding(store: StoreDescriptor(name: storeName, kind: "window \(windows)"))
        if let lateRecordsTopic { plan = plan.adding(output: .external(lateRecordsTopic)) }
        do { try check() } catch { plan = plan.adding(problem: "\(storeName): \(error)") }
        return (plan, storeName)
    }

    /// `aggregate` with JSON for the aggregate's changelog.
    @inlinable
    public func aggregate<Aggregate: Codable & Sendable>(
        _ initial: @escaping @autoclosure @Sendable () -> Aggregate, named name: String? = nil,
        merger: (@Sendable (inout Aggregate, Aggregate) -> Void)? = nil,
        _ aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Windowed<Key>, Aggregate> {
        aggregate(initial(), serde: JSONSerde<Aggregate>(), named: name, merger: merger, aggregator)
    }

    /// How many records each window of each key has.
    public func count(named name: String? = nil) -> Stream<Windowed<Key>, Int> {
        aggregate(0, named: name ?? grouped.stream.plan.ownedName("count"), merger: { $0 += $1 }) { count, _ in count += 1 }
    }

    /// Combines each window's values with `combine`, the first value as it is (sessions merge
    /// with `combine` too).
    public func reduce(named name: String? = nil, _ combine: @escaping @Sendable (Value, Value) -> Value) -> Stream<Windowed<Key>, Value> {
        aggregate(
            nil, serde: OptionalSerde(grouped.valueSerde), named: name ?? grouped.stream.plan.ownedName("reduce"),
            merger: { current, other in
                guard let other else { return }
                current = current.map { combine($0, other) } ?? other
            }
        ) { current, value in current = current.map { combine($0, value) } ?? value }
        .compactMap { $0 }
    }
}

extension GroupedStream {
    /// Aggregates per event-time window.
    /// - Parameters:
    ///   - windows: tumbling, hopping, sliding or session windows (`WindowSpec`, milliseconds;
    ///     `.tumbling(.minutes(1))` and friends take a `Duration`).
    ///   - grace: how long after a window's end out-of-order records are still accepted.
    ///   - emit: `.onUpdate` (default) forwards each changed window once per batch;
    ///     `.onClose` forwards each window once, final, when it closes.
    ///   - lateRecordsTo: where records that arrive after all their windows closed are written
    ///     (with their key and value); they are counted either way.
    @inlinable
    public func windowed(
        _ windows: WindowSpec, grace: Duration = .zero, emit: EmitMode = .onUpdate, lateRecordsTo lateRecords: Topic<Key, Value>? = nil
    ) -> WindowedStream<Key, Value> {
        WindowedStream(grouped: self, windows: windows, graceMs: grace.milliseconds, emit: emit, lateRecordsTopic: lateRecords?.name)
    }
}

extension WindowSpec {
    /// Whether a record's windows follow from its timestamp alone (tumbling and hopping), so
    /// that partial aggregates of the same window can be merged.
    @usableFromInline var isFixed: Bool {
        switch self {
        case .tumbling, .hopping: true
        case .sliding, .session: false
        }
    }

    /// Epoch-aligned windows of `size`, one per record.
    public static func tumbling(_ size: Duration) -> WindowSpec { .tumbling(size: size.milliseconds) }
    /// Windows of `size` starting every `advance`.
    public static func hopping(_ size: Duration, advance: Duration) -> WindowSpec {
        .hopping(size: size.milliseconds, advance: advance.milliseconds)
    }
    /// Windows of records at most `size` apart.
    public static func sliding(_ size: Duration) -> WindowSpec { .sliding(size: size.milliseconds) }
    /// Sessions of records separated by at most `gap`.
    public static func sessions(gap: Duration) -> WindowSpec { .session(gap: gap.milliseconds) }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    @usableFromInline var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
