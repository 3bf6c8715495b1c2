public import SluiceClient

/// One consumer group over a source topic and what it does with the records. Branches are
/// independent: each has its own committed offsets, so a slow or failed branch never stalls
/// another, and each can be replayed alone (`sluice groups reset-offsets --group <group>`).
public struct Branch: Sendable {
    public let group: String
    /// The topic the branch's body starts from.
    public let source: String
    public let ackMode: AckMode
    public let onError: ErrorPolicy
    @usableFromInline let sink: Sink

    /// - Parameters:
    ///   - group: the branch's consumer group (unique within the pipeline).
    ///   - ackMode: when offsets are committed (default `batch`: after every record of a poll
    ///     is processed and its outputs are durable).
    ///   - onError: what to do with a record that cannot be processed.
    ///   - body: the branch's dataflow, from the source stream to a sink.
    /// Inlinable so that the source operator is specialized for the topic's types in the
    /// pipeline's module (its decode runs once per record).
    @inlinable
    public init<Key, Value>(
        group: String, from topic: Topic<Key, Value>, ackMode: AckMode = .batch, onError: ErrorPolicy = .fail,
        _ body: (Stream<Key, Value>) -> Sink
    ) {
        self.init(group: group, source: topic.name, stream: Stream(topic), ackMode: ackMode, onError: onError, body)
    }

    /// A branch that starts from steps it shares with other branches (see `SharedStream`):
    /// its group reads the shared stream's source topics, and the shared steps run once per
    /// record for all the branches of a stream thread that start from them.
    @inlinable
    public init<Key, Value>(
        group: String, from shared: SharedStream<Key, Value>, ackMode: AckMode = .batch, onError: ErrorPolicy = .fail,
        _ body: (Stream<Key, Value>) -> Sink
    ) {
        self.init(group: group, source: shared.source, stream: shared.branchStream, ackMode: ackMode, onError: onError, body)
    }

    @usableFromInline
    init<Key, Value>(
        group: String, source: String, stream: Stream<Key, Value>, ackMode: AckMode, onError: ErrorPolicy, _ body: (Stream<Key, Value>) -> Sink
    ) {
        self.group = group
        self.source = source
        self.ackMode = ackMode
        self.onError = onError
        self.sink = body(stream)
    }

    /// The topics the branch writes (its sinks, repartition topics and dead-letter topic).
    var outputs: [TopicName] {
        var topics = sink.outputs
        if case .deadLetter(let topic) = onError { topics.append(.external(topic)) }
        return topics
    }

    /// Every topic the branch's consumer group reads: user topics and repartition topics.
    var inputs: [TopicName] { sink.subTopologies.flatMap(\.sources) }

    /// The user topics the branch reads (the source and what it merges in).
    var externalInputs: [String] {
        inputs.compactMap { if case .external(let name) = $0 { name } else { nil } }
    }
}

/// Collects the branches of a pipeline: `if`, `for` and plain statements.
@resultBuilder
public enum PipelineBuilder {
    public static func buildExpression(_ branch: Branch) -> [Branch] { [branch] }
    public static func buildBlock(_ parts: [Branch]...) -> [Branch] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Branch]?) -> [Branch] { part ?? [] }
    public static func buildEither(first: [Branch]) -> [Branch] { first }
    public static func buildEither(second: [Branch]) -> [Branch] { second }
    public static func buildArray(_ parts: [[Branch]]) -> [Branch] { parts.flatMap { $0 } }
}
