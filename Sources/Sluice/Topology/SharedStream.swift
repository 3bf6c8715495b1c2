public import SluiceLog

/// The stateless first steps that several branches have in common, declared once and computed
/// once per record for all of them.
///
/// Branches are separate consumer groups, so three branches that each start with
/// `.filter { … }.map(Enrich.init)` would each run those steps on every record. Declared as a
/// shared stream and used as the branches' source, the steps run once per record on a stream
/// thread — for whichever branch reaches the record first — and the other branches reuse the
/// outputs:
///
/// ```swift
/// let kept = Stream(orders).filter { $0.status != .cancelled }.map(Enriched.init).shared("kept")
/// Branch(group: "payment", from: kept) { $0.map(Payment.init).to(payments) }
/// Branch(group: "shipping", from: kept) { $0.filter(\.needsShipping).map(Shipment.init).to(shipments) }
/// ```
///
/// What is guaranteed: each branch sees exactly the records it would see with the steps
/// written into its own body, keeps its own offsets, commits and error policy, and can be
/// reset or replayed alone (a branch behind the others simply runs the steps itself). A record
/// the shared steps fail on is handed to each branch's error policy, as before.
///
/// Only stateless steps can be shared — `map`, `compactMap`, `filter`, `flatMap`, `peek`,
/// `selectKey`, `mapKey`, `timestamped`, `merge` of topics: a state store, an output topic,
/// a repartition or a side effect (`forEach`) would run once for several groups, so
/// `Pipeline.validate()` refuses a shared stream that holds one. `peek` runs once per record,
/// not once per branch.
public struct SharedStream<Key, Value>: Sendable {
    /// The shared steps, from the source topics.
    @usableFromInline let stream: Stream<Key, Value>
    /// Names the stream in `describe()`.
    public let name: String
    /// Identifies this stream's outputs in a stream thread's caches.
    @usableFromInline let identity: Identity

    @usableFromInline
    final class Identity: Sendable {
        @usableFromInline init() {}
    }

    @usableFromInline
    init(stream: Stream<Key, Value>, name: String) {
        var plan = stream.plan.adding("shared(\(name))")
        if !stream.upstream.isEmpty {
            plan = plan.adding(problem: "shared stream '\(name)' repartitions (groupBy): only stateless steps can be shared")
        }
        if let store = stream.plan.stores.first {
            plan = plan.adding(problem: "shared stream '\(name)' keeps state store \(store.name): only stateless steps can be shared")
        }
        if let output = stream.plan.outputs.first {
            plan = plan.adding(problem: "shared stream '\(name)' writes \(output): only stateless steps can be shared")
        }
        if stream.plan.hasSideEffects {
            plan = plan.adding(problem: "shared stream '\(name)' has a side effect (forEach): only stateless steps can be shared")
        }
        self.stream = Stream(plan: plan, sources: stream.sources, upstream: stream.upstream, compose: stream.compose)
        self.name = name
        self.identity = Identity()
    }

    /// The user topic the stream starts from (the first, when it merges several).
    @usableFromInline var source: String {
        for case .external(let name) in stream.sources { return name }
        return name
    }

    /// The stream a branch starts from: the shared steps, run for this branch's task only when
    /// no other branch of the thread ran them for the record yet.
    @inlinable
    var branchStream: Stream<Key, Value> {
        let (shared, id) = (stream, ObjectIdentifier(identity))
        return Stream(plan: shared.plan, sources: shared.sources, upstream: shared.upstream) { context, downstream in
            let target = SharedOutputTarget<Key, Value>()
            let handlers = try context.decodedRecords.composingSharedSteps { try shared.compose(context) { try target.emit($0, $1, $2) } }
            var wrapped: SourceHandlers = [:]
            for (topic, handler) in handlers {
                let slot = context.decodedRecords.outputSlot(
                    of: id, topic: topic.resolved(in: context.scope), partition: context.partition, as: Record<Key, Value>.self)
                wrapped[topic] = SourceHandler { source in
                    // The slot is lent to an outer call on this thread (never, with today's
                    // operators): the steps run for this branch alone.
                    func runAlone() throws {
                        let own = try target.filling(.init(slot: nil, index: 0)) { try handler.process(source) }
                        for record in own { try downstream(record.key, record.value, record.timestamp) }
                    }
                    let offset = source.view.offset
                    let i = slot.firsts.slot(for: offset)
                    if !slot.firsts.holds(offset, at: i) {
                        guard slot.clear(at: i) else { return try runAlone() }
                        _ = try target.filling(.init(slot: slot, index: i)) { try handler.process(source) }
                        slot.firsts.mark(offset, at: i)
                    }
                    let count = slot.counts[i]
                    guard count > 0 else { return }
                    // Every branch borrows the outputs: no copy, no reference counting.
                    guard try slot.firsts.lend(at: i, downstream) else { return try runAlone() }
                    if count > 1 {
                        for record in slot.rests[i] { try downstream(record.key, record.value, record.timestamp) }
                    }
                }
            }
            return wrapped
        }
    }
}

extension Stream {
    /// These steps, shared by every branch that starts from the result (see `SharedStream`).
    /// - Parameter name: how `describe()` shows the shared steps.
    @inlinable
    public func shared(_ name: String) -> SharedStream<Key, Value> {
        SharedStream(stream: self, name: name)
    }
}
