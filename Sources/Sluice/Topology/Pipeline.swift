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
    public let branches: [Branch]

    public init(_ name: String, @PipelineBuilder _ branches: () -> [Branch]) {
        self.name = name
        self.branches = branches()
    }

    /// Checks what can be checked without the log: every branch has its own group.
    public func validate() throws(PipelineError) {
        guard !name.isEmpty else { throw PipelineError.invalid("a pipeline needs a name") }
        var seen: Set<String> = []
        for branch in branches {
            guard !branch.group.isEmpty else { throw PipelineError.invalid("a branch of \(name) has an empty group id") }
            guard seen.insert(branch.group).inserted else {
                throw PipelineError.invalid(
                    "two branches of \(name) use the consumer group '\(branch.group)'; each branch needs its own group (they would split the partitions and each miss records)")
            }
        }
        guard !branches.isEmpty else { throw PipelineError.invalid("pipeline \(name) has no branches") }
    }

    /// The topology as text: one line per branch, source → operators → sink.
    public func describe() -> String {
        var lines = ["Pipeline \(name)"]
        for branch in branches {
            let steps = branch.sink.plan.steps.joined(separator: " → ")
            var line = "  branch \(branch.group) (ack \(branch.ackMode)): \(branch.source) → \(steps)"
            if case .deadLetter(let topic) = branch.onError { line += "  [dead letters → \(topic)]" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The topology as a Mermaid flowchart (topics as rounded nodes, operators as boxes).
    public func mermaid() -> String {
        var lines = ["flowchart LR"]
        func id(_ text: String) -> String { text.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        var topics: Set<String> = []
        for branch in branches {
            topics.insert(branch.source)
            topics.formUnion(branch.outputs)
        }
        for topic in topics.sorted() { lines.append("  t_\(id(topic))([\"\(topic)\"])") }
        for branch in branches {
            var previous = "t_\(id(branch.source))"
            for (i, step) in branch.sink.plan.steps.enumerated() {
                let node = "\(id(branch.group))_\(i)"
                if step.hasPrefix("to(") {
                    let topic = String(step.dropFirst(3).dropLast())
                    lines.append("  \(previous) --> t_\(id(topic))")
                    continue
                }
                lines.append("  \(node)[\"\(branch.group): \(step)\"]")
                lines.append("  \(previous) --> \(node)")
                previous = node
            }
            if case .deadLetter(let topic) = branch.onError { lines.append("  \(previous) -. errors .-> t_\(id(topic))") }
        }
        return lines.joined(separator: "\n")
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
