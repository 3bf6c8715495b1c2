public import SluiceWindows

/// Pre-aggregation: how a windowed aggregate whose partial results can be merged avoids
/// repartitioning every record.
///
/// `groupBy` to a new key normally writes each record to a repartition topic and aggregates it
/// where it lands. When the aggregation has a `merger` and its windows are tumbling or hopping
/// (a record's windows do not depend on other records), the branch instead runs two halves:
///
/// 1. in the task of each source partition, a `WindowPartialStore` (changelog
///    `…-<name>-partial-changelog`) folds the records into per-(key, window) aggregates —
///    each record once, as any store — and at the end of every batch writes the running
///    aggregates that changed to `<pipeline>-<group>-<groupBy>-partials-repartition`,
///    partitioned by key;
/// 2. in the task of each repartition partition, a `WindowCombineStore` merges the newest
///    partial of every source partition and forwards the result as the aggregation would.
///
/// Lateness is judged in the first half, per record, against its source partition's stream
/// time; late records are counted and routed there with their original key and value.
extension WindowedStream {
    @inlinable
    func preAggregated<Aggregate>(
        _ keyed: Stream<Key, Value>, repartitionedThrough topic: TopicName, initial: @escaping @Sendable () -> Aggregate,
        serde aggregateSerde: any Serde<Aggregate>, named name: String?, merger: @escaping @Sendable (inout Aggregate, Aggregate) -> Void,
        aggregator: @escaping @Sendable (inout Aggregate, Value) -> Void
    ) -> Stream<Windowed<Key>, Aggregate> {
        let (windows, graceMs, emit, lateRecordsTopic) = (windows, graceMs, emit, lateRecordsTopic)
        let (keySerde, valueSerde) = (grouped.keySerde, grouped.valueSerde)
        let layout = preAggregationLayout(keyed: keyed, topic: topic, named: name) {
            _ = try WindowedAggregation<Key, Value, Aggregate>(
                windows: windows, grace: graceMs, emit: emit, initializer: initial, aggregator: aggregator, merger: merger)
        }
        let producer = keyed.sources.first ?? topic
        let partials = layout.partialsTopic
        let partialStore = layout.partialStore
        let firstHalf = keyed.finish(plan: layout.firstHalf) { context in
            let store = try WindowPartialStore<Key, Value, Aggregate>(
                name: partialStore, windows: windows, grace: graceMs, initializer: initial, aggregator: aggregator, keySerde: keySerde,
                valueSerde: valueSerde, aggregateSerde: aggregateSerde, lateRecordsTopic: lateRecordsTopic, partials: partials,
                producer: producer, context: context)
            return { key, value, timestamp in try store.process(key: key, value: value, timestamp: timestamp) }
        }
        return Self.combining(
            firstHalf, partials: partials, store: layout.store, grace: graceMs, emit: emit, initial: initial, merger: merger,
            keySerde: keySerde, aggregateSerde: aggregateSerde)
    }

    /// The names and plan of a pre-aggregation's first half (through its repartition topic).
    @usableFromInline
    func preAggregationLayout(keyed: Stream<Key, Value>, topic: TopicName, named name: String?, check: () throws -> Void)
        -> (firstHalf: StreamPlan, partialsTopic: TopicName, partialStore: String, store: String)
    {
        let store = name ?? grouped.stream.plan.ownedName("aggregate")
        let partialStore = "\(store)-partial"
        var partials = topic
        if case .owned(let suffix) = topic {
            let base = suffix.hasSuffix("-repartition") ? String(suffix.dropLast("-repartition".count)) : suffix
            partials = .owned(suffix: "\(base)-partials-repartition")
        }
        var plan = keyed.plan.adding("windowed(\(windows), grace \(graceMs) ms, \(emit))")
            .adding("preAggregate[\(partialStore)]")
            .adding(store: StoreDescriptor(name: partialStore, kind: "window \(windows), partial aggregates per source partition"))
        if let lateRecordsTopic { plan = plan.adding(output: .external(lateRecordsTopic)) }
        do { try check() } catch { plan = plan.adding(problem: "\(store): \(error)") }
        plan = plan.adding("repartition(\(partials))").adding(output: partials)
        return (plan, partials, partialStore, store)
    }

    /// The second half: a stream over the partials topic that merges each window's partials.
    @usableFromInline
    static func combining<Aggregate>(
        _ firstHalf: Sink, partials: TopicName, store: String, grace: Int64, emit: EmitMode, initial: @escaping @Sendable () -> Aggregate,
        merger: @escaping @Sendable (inout Aggregate, Aggregate) -> Void, keySerde: any Serde<Key>, aggregateSerde: any Serde<Aggregate>
    ) -> Stream<Windowed<Key>, Aggregate> {
        var plan = firstHalf.plan.adding("combine[\(store)]").adding(store: StoreDescriptor(name: store, kind: "window, merged partials"))
        plan.keyChanged = false
        return Stream(plan: plan, sources: [partials], upstream: firstHalf.subTopologies) { context, downstream in
            let combine = try WindowCombineStore(
                name: store, grace: grace, emit: emit, initializer: initial, merger: merger, keySerde: keySerde,
                aggregateSerde: aggregateSerde, context: context, downstream: downstream)
            return [partials: SourceHandler { source in try combine.apply(source.view) }]
        }
    }
}
