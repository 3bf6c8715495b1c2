import SluiceLog

/// Where a record came from, handed to every operator chain: the stored record (zero-copy view)
/// and its partition.
struct SourceRecord {
    let partition: Int32
    let view: RecordView
}

/// A stream's source topic and operators, for `describe()`.
struct StreamPlan: Sendable {
    var source: String
    var steps: [String]

    func adding(_ step: String) -> StreamPlan { StreamPlan(source: source, steps: steps + [step]) }
}

/// What one task does with each record of its source: the composed operator chain.
typealias SourceHandler = (SourceRecord) throws -> Void

/// Receives the records a stream produces (the next operator, or a sink).
public typealias Emit<Key, Value> = (inout Record<Key, Value>) throws -> Void

/// A typed stream of records, built by chaining operators on a branch's source topic.
///
/// A stream is a description: nothing runs until its pipeline does. Each operator wraps the
/// next one in a closure, so the runtime pushes every record through plain function calls — no
/// per-record allocation, queue or `await` — one batch at a time.
public struct Stream<Key, Value>: Sendable {
    /// The source topic and the operators so far, for `describe()`.
    let plan: StreamPlan
    /// Builds, for one task, the chain from the source record to `downstream`.
    let compose: @Sendable (TaskContext, @escaping Emit<Key, Value>) -> SourceHandler

    /// The stream of `topic`'s records, decoded with its serdes.
    init(topic: Topic<Key, Value>) {
        plan = StreamPlan(source: topic.name, steps: [])
        compose = { _, downstream in
            { source in
                let view = source.view
                let key = try view.key.map { try topic.keySerde.decode($0) }
                guard let bytes = view.value else { throw SerdeError("the record has no value (a tombstone)") }
                var record = Record(key: key, value: try topic.valueSerde.decode(bytes), timestamp: view.timestamp)
                try downstream(&record)
            }
        }
    }

    init(plan: StreamPlan, compose: @escaping @Sendable (TaskContext, @escaping Emit<Key, Value>) -> SourceHandler) {
        self.plan = plan
        self.compose = compose
    }

    /// A new stage: `stage` turns this stream's emit function into the next one's.
    func then<K2, V2>(
        _ step: String, _ stage: @escaping @Sendable (TaskContext, @escaping Emit<K2, V2>) -> Emit<Key, Value>
    ) -> Stream<K2, V2> {
        let upstream = compose
        return Stream<K2, V2>(plan: plan.adding(step)) { context, downstream in upstream(context, stage(context, downstream)) }
    }
}
