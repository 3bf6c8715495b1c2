import Foundation

/// A named set of branches that run together in one process, each its own consumer group.
///
/// ```swift
/// let orders = Topic<String, OrderEvent>("orders")
/// let pipeline = Pipeline("order-events") {
///     Branch(group: "payment", from: orders) { $0
///         .filter { $0.status != .cancelled }
///         .map(PaymentRequest.init)
///         .to(Topic<String, PaymentRequest>("payments")) }
/// }
/// try pipeline.run()
/// ```
public struct Pipeline: Sendable {
    public let name: String
    public private(set) var branches: [Branch]

    public init(_ name: String, @PipelineBuilder _ branches: () -> [Branch]) {
        self.name = name
        self.branches = branches()
    }

    /// This pipeline with only the branches of `groups` (every branch when nil), for running
    /// part of it (`RunOptions.branches`).
    /// - Throws: a group that is no branch of the pipeline, naming the ones it has.
    func selecting(_ groups: Set<String>?) throws(PipelineError) -> Pipeline {
        guard let groups else { return self }
        guard !groups.isEmpty else { throw PipelineError.invalid("no branch of pipeline \(name) selected to run") }
        let unknown = groups.subtracting(branches.map(\.group))
        guard unknown.isEmpty else {
            throw PipelineError.invalid(
                "pipeline \(name) has no branch \(unknown.sorted().joined(separator: ", ")); its branches are \(branches.map(\.group).joined(separator: ", "))")
        }
        var selected = self
        selected.branches = branches.filter { groups.contains($0.group) }
        return selected
    }

    /// Checks what can be checked without the log: every branch has its own group, and its
    /// operators were declared with valid arguments (window sizes, grace, …).
    public func validate() throws(PipelineError) {
        guard !name.isEmpty else { throw PipelineError.invalid("a pipeline needs a name") }
        guard !branches.isEmpty else { throw PipelineError.invalid("pipeline \(name) has no branches") }
        var seen: Set<String> = []
        for branch in branches {
            guard !branch.group.isEmpty else { throw PipelineError.invalid("a branch of \(name) has an empty group id") }
            guard seen.insert(branch.group).inserted else {
                throw PipelineError.invalid(
                    "two branches of \(name) use the consumer group '\(branch.group)'; each branch needs its own group (they would split the partitions and each miss records)")
            }
            if let problem = branch.sink.plan.problems.first {
                throw PipelineError.invalid("branch \(branch.group) of \(name): \(problem)")
            }
            for sub in branch.sink.subTopologies where Set(sub.sources).count != sub.sources.count {
                throw PipelineError.invalid("branch \(branch.group) of \(name) merges a topic with itself: \(sub.sources.map(\.description))")
            }
        }
    }

    /// The topology as text: per branch, source → operators → sinks, then its state stores.
    public func describe() -> String {
        var lines = ["Pipeline \(name)"]
        for branch in branches {
            let scope = TopologyScope(pipeline: name, group: branch.group)
            let steps = branch.sink.plan.steps.map { resolve($0, scope) }.joined(separator: " → ")
            var line = "  branch \(branch.group) (ack \(branch.ackMode)): \(branch.source) → \(steps)"
            if case .deadLetter(let topic) = branch.onError { line += "  [dead letters → \(topic)]" }
            lines.append(line)
            for store in branch.sink.plan.stores {
                lines.append("    state store \(store.name) (\(store.kind)), changelog \(store.changelog.resolved(in: scope))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The topology as a Mermaid flowchart (topics as rounded nodes, operators as boxes,
    /// state stores as cylinders).
    public func mermaid() -> String {
        var lines = ["flowchart LR"]
        func id(_ text: String) -> String { text.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        var topics: Set<String> = []
        for branch in branches {
            let scope = TopologyScope(pipeline: name, group: branch.group)
            topics.formUnion(branch.inputs.map { $0.resolved(in: scope) })
            topics.formUnion(branch.outputs.map { $0.resolved(in: scope) })
        }
        for topic in topics.sorted() { lines.append("  t_\(id(topic))([\"\(topic)\"])") }
        for branch in branches {
            let scope = TopologyScope(pipeline: name, group: branch.group)
            var previous = "t_\(id(branch.source))"
            var nodes: [(node: String, step: String)] = []
            var reached: Set<String> = []  // topics an edge of this branch leads to
            for (i, rawStep) in branch.sink.plan.steps.enumerated() {
                let step = resolve(rawStep, scope)
                let node = "\(id(branch.group))_\(i)"
                for prefix in ["to(", "repartition("] where step.hasPrefix(prefix) {
                    let topic = String(step.dropFirst(prefix.count).dropLast())
                    lines.append("  \(previous) --> t_\(id(topic))")
                    reached.insert(topic)
                    if prefix == "repartition(" { previous = "t_\(id(topic))" }
                }
                if step.hasPrefix("to(") || step.hasPrefix("repartition(") { continue }
                lines.append("  \(node)[\"\(branch.group): \(step)\"]")
                lines.append("  \(previous) --> \(node)")
                if let store = branch.sink.plan.stores.first(where: { step.contains("[\($0.name)]") }) {
                    lines.append("  \(node) --- s_\(node)[(\"\(store.name)\")]")
                }
                nodes.append((node, step))
                previous = node
            }
            if case .deadLetter(let topic) = branch.onError {
                lines.append("  \(previous) -. errors .-> t_\(id(topic))")
                reached.insert(topic)
            }
            // Topics the linear walk does not connect: a split route's outputs (written inside
            // the split step), late records (from the windowed aggregate), and merged-in inputs.
            for topic in branch.outputs.map({ $0.resolved(in: scope) }) where !reached.contains(topic) {
                if let (node, _) = nodes.first(where: { $0.step.contains("to(\(topic))") }) {
                    lines.append("  \(node) --> t_\(id(topic))")
                } else if let (node, _) = nodes.first(where: { $0.step.hasPrefix("aggregate[") || $0.step.hasPrefix("preAggregate[") }) {
                    lines.append("  \(node) -. late .-> t_\(id(topic))")
                } else {
                    lines.append("  \(previous) --> t_\(id(topic))")
                }
            }
            let first = nodes.first?.node ?? previous
            for topic in Set(branch.inputs.map({ $0.resolved(in: scope) })).sorted()
            where topic != branch.source && !reached.contains(topic) {
                lines.append("  t_\(id(topic)) --> \(first)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func resolve(_ step: String, _ scope: TopologyScope) -> String {
        step.replacingOccurrences(of: "<pipeline>-<group>-", with: "\(scope.pipeline)-\(scope.group)-")
    }
}

/// A pipeline that cannot run as declared, or stopped on an error.
public enum PipelineError: Error, CustomStringConvertible {
    case invalid(String)
    case missingTopic(String, branch: String)
    case branchFailed(String, any Error)

    public var description: String {
        switch self {
        case .invalid(let why): why
        case .missingTopic(let topic, let branch):
            "branch \(branch) reads topic '\(topic)', which does not exist (create it with `sluice topics create --topic \(topic)`) (UNKNOWN_TOPIC_OR_PARTITION, Kafka error 3)"
        case .branchFailed(let branch, let error): "branch \(branch) stopped: \(error)"
        }
    }
}
