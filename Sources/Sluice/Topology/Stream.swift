public import SluiceLog

/// Where a record came from, handed to every operator chain: the stored record (zero-copy view)
/// and its partition.
@usableFromInline
struct SourceRecord {
    @usableFromInline let partition: Int32
    @usableFromInline let view: RecordView

    @usableFromInline init(partition: Int32, view: RecordView) {
        self.partition = partition
        self.view = view
    }
}

/// What one task does with each record of one of its source topics: the composed operator chain.
///
/// An object around the closure, not the closure itself: closures stored in dictionaries (as
/// handlers are, by topic) are re-abstracted, and every call would go through a chain of
/// thunks. A class, so that the runtime can hold a task's handler unretained while it runs
/// (`BranchTasks.Reader`): calling a closure copied out of a struct retains its context.
@usableFromInline
final class SourceHandler {
    @usableFromInline let process: (SourceRecord) throws -> Void

    @usableFromInline init(_ process: @escaping (SourceRecord) throws -> Void) { self.process = process }
}

/// One task's handlers, by source topic.
@usableFromInline typealias SourceHandlers = [TopicName: SourceHandler]

/// Receives the records a stream produces (the next operator, or a sink): a record's key (nil
/// when it has none), value and timestamp.
///
/// The parts are borrowed for the call: an operator that changes one passes its own and the
/// others as they came, so `map` copies neither the key nor anything else it does not make.
/// That is what lets every branch reading a partition in step take the one decoded record
/// without copying it (`DecodedRecordCache`).
///
/// Why parts, not a `Record`: a `Record<Key, Value>` made and dropped in an operator is copied
/// and destroyed through its generic value witnesses (the compiler outlines those operations
/// for a struct of that size), about 250 instructions a record; passed as parts, the key and
/// the value are each copied and released directly.
public typealias Emit<Key, Value> = (Key?, Value, Int64) throws -> Void

/// A connected piece of a branch's dataflow, from its source topics to its sinks. A `groupBy`
/// that changes the key ends one (in a repartition topic) and starts the next, as in Kafka
/// Streams. The runtime runs one task per (sub-topology, partition), each with its own
/// operator chain and state stores, built by `build` when the task starts.
@usableFromInline
struct SubTopology: Sendable {
    @usableFromInline var sources: [TopicName]
    @usableFromInline var build: @Sendable (TaskContext) throws -> SourceHandlers

    @usableFromInline init(sources: [TopicName], build: @escaping @Sendable (TaskContext) throws -> SourceHandlers) {
        self.sources = sources
        self.build = build
    }
}

/// A typed stream of records, built by chaining operators on a branch's source topic.
///
/// A stream is a description: nothing runs until its pipeline does. Each operator wraps the
/// next one in a closure, so the runtime pushes every record through plain function calls — no
/// per-record allocation, queue or `await` — one batch at a time.
public struct Stream<Key, Value>: Sendable {
    /// Operators, outputs and stores so far, for `describe()` and topic creation.
    @usableFromInline let plan: StreamPlan
    /// The source topics of the sub-topology this stream is in.
    @usableFromInline let sources: [TopicName]
    /// Builds, for one task, the chain from each source record to `downstream`.
    @usableFromInline let compose: @Sendable (TaskContext, @escaping Emit<Key, Value>) throws -> SourceHandlers
    /// Earlier sub-topologies of the branch, ended by a repartition.
    @usableFromInline let upstream: [SubTopology]

    /// The stream of `topic`'s records, decoded with its serdes. A branch's body starts from
    /// its source's stream; use this to `merge` in another topic.
    @inlinable
    public init(_ topic: Topic<Key, Value>) {
        self.init(source: .external(topic.name), keySerde: topic.keySerde, valueSerde: topic.valueSerde, plan: StreamPlan(steps: []), upstream: [])
    }

    /// The stream of a topic with the given serdes (a user topic or a repartition topic).
    @inlinable
    init(source: TopicName, keySerde: any Serde<Key>, valueSerde: any Serde<Value>, plan: StreamPlan, upstream: [SubTopology]) {
        self.plan = plan
        self.sources = [source]
        self.upstream = upstream
        compose = { context, downstream in
            let topic = source.resolved(in: context.scope)
            @inline(__always) func key(of view: RecordView) throws -> Key? { try view.key.map { try keySerde.decode($0) } }
            @inline(__always) func value(of view: RecordView) throws -> Value {
                guard let bytes = view.value else { throw SerdeError("the record has no value (a tombstone)") }
                return try valueSerde.decode(bytes)
            }
            // Decoded as parts and handed on: no `Record` to destroy through its generic value
            // witnesses (see `Emit`).
            func emitDecoded(_ view: RecordView) throws {
                try downstream(try key(of: view), try value(of: view), view.timestamp)
            }
            guard context.decodedRecords.sharesDecoding(of: topic) else {
                // This task is the partition's only reader on its thread (or runs a shared
                // stream's steps, once per record for every branch): nothing to keep.
                return [source: SourceHandler { source in try emitDecoded(source.view) }]
            }
            let slot = context.decodedRecords.slot(topic: topic, partition: context.partition, keySerde: keySerde, valueSerde: valueSerde)
            let handler = SourceHandler { source in
                let view = source.view
                let i = slot.slot(for: view.offset)
                if !slot.holds(view.offset, at: i) {
                    // Lent to an outer call on this thread (never, with today's operators):
                    // this reader decodes its own.
                    guard slot.clear(at: i) else { return try emitDecoded(view) }
                    slot.store(try key(of: view), try value(of: view), view.timestamp, at: i)
                    slot.mark(view.offset, at: i)
                }
                // Every reader borrows the one record: no copy, no reference counting.
                if try !slot.lend(at: i, downstream) { try emitDecoded(view) }
            }
            return [source: handler]
        }
    }

    @usableFromInline
    init(
        plan: StreamPlan, sources: [TopicName], upstream: [SubTopology],
        compose: @escaping @Sendable (TaskContext, @escaping Emit<Key, Value>) throws -> SourceHandlers
    ) {
        self.plan = plan
        self.sources = sources
        self.upstream = upstream
        self.compose = compose
    }

    /// A new stage: `stage` turns this stream's emit function into the next one's. It runs once
    /// per task, so state it creates (a store, a buffer) belongs to that task alone.
    @inlinable
    func then<K2, V2>(
        _ step: String, _ stage: @escaping @Sendable (TaskContext, @escaping Emit<K2, V2>) throws -> Emit<Key, Value>
    ) -> Stream<K2, V2> {
        then(plan: plan.adding(step), stage)
    }

    @inlinable
    func then<K2, V2>(
        plan: StreamPlan, _ stage: @escaping @Sendable (TaskContext, @escaping Emit<K2, V2>) throws -> Emit<Key, Value>
    ) -> Stream<K2, V2> {
        let upstreamCompose = compose
        return Stream<K2, V2>(plan: plan, sources: sources, upstream: upstream) { context, downstream in
            try upstreamCompose(context, try stage(context, downstream))
        }
    }

    /// This stream's sub-topology, ended by `terminal` (a sink), after the earlier ones.
    @inlinable
    func finish(plan: StreamPlan, _ terminal: @escaping @Sendable (TaskContext) throws -> Emit<Key, Value>) -> Sink {
        let compose = compose
        let last = SubTopology(sources: sources) { context in try compose(context, try terminal(context)) }
        return Sink(plan: plan, subTopologies: upstream + [last])
    }
}
