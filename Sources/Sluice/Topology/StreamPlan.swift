/// What a stream is, as data: its operators (for `describe()`), the topics it writes and the
/// state stores it keeps. Built up operator by operator alongside the stream's closures.
@usableFromInline
struct StreamPlan: Sendable {
    /// Operator names in order, across sub-topologies (`groupBy` steps name their repartition).
    var steps: [String]
    /// Topics written: sinks, dead letters are added by the branch, repartition topics.
    var outputs: [TopicName] = []
    /// State stores, each backed by a compacted changelog topic.
    var stores: [StoreDescriptor] = []
    /// Whether an operator since the last (re)partitioning changed the key, so that grouping
    /// by key must repartition (Kafka Streams' "key changing operation").
    @usableFromInline var keyChanged = false
    /// Mistakes found while the stream was built (a negative window size, …), reported by
    /// `Pipeline.validate()` before anything runs.
    var problems: [String] = []
    /// Whether the stream calls out (a `forEach` side effect), which may block: such branches
    /// run on stream threads of their own so they never hold up the others.
    @usableFromInline var hasSideEffects = false
    /// Prepended to owned names inside a `split` route, so two routes never share a topic.
    var namePrefix = ""

    @usableFromInline
    func adding(_ step: String) -> StreamPlan {
        var next = self
        next.steps.append(step)
        return next
    }

    @usableFromInline
    init(
        steps: [String], outputs: [TopicName] = [], stores: [StoreDescriptor] = [], keyChanged: Bool = false, problems: [String] = [],
        hasSideEffects: Bool = false, namePrefix: String = ""
    ) {
        self.steps = steps
        self.outputs = outputs
        self.stores = stores
        self.keyChanged = keyChanged
        self.problems = problems
        self.hasSideEffects = hasSideEffects
        self.namePrefix = namePrefix
    }

    @usableFromInline
    func changingKey() -> StreamPlan {
        var next = self
        next.keyChanged = true
        return next
    }

    func adding(problem: String) -> StreamPlan {
        var next = self
        next.problems.append(problem)
        return next
    }

    func adding(store: StoreDescriptor) -> StreamPlan {
        var next = self
        next.stores.append(store)
        return next
    }

    @usableFromInline
    func adding(output: TopicName) -> StreamPlan {
        var next = self
        next.outputs.append(output)
        return next
    }

    /// A name for the next operator that owns something (`<operator>-<position>`), unique
    /// within the branch: Kafka Streams' generated `KSTREAM-AGGREGATE-0000000003` in short.
    @usableFromInline func ownedName(_ operatorName: String) -> String { "\(namePrefix)\(operatorName)-\(steps.count)" }

    /// Joins two plans (`merge`): the steps side by side, outputs and stores together.
    @usableFromInline
    func merged(with other: StreamPlan) -> StreamPlan {
        StreamPlan(
            steps: ["merge(\(steps.joined(separator: " → ")) | \(other.steps.joined(separator: " → ")))"],
            outputs: outputs + other.outputs, stores: stores + other.stores, keyChanged: keyChanged || other.keyChanged,
            problems: problems + other.problems, hasSideEffects: hasSideEffects || other.hasSideEffects, namePrefix: namePrefix)
    }
}

/// A state store as `describe()` shows it and as the runtime creates its changelog.
@usableFromInline
struct StoreDescriptor: Sendable, Hashable {
    /// `aggregate-3`, `count-5`, …: the operator that owns it.
    var name: String
    /// Windowed or key-value, with the window definition.
    var kind: String
    var changelog: TopicName { .owned(suffix: "\(name)-changelog") }
}
