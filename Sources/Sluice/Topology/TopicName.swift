/// A topic in a branch's topology: one the user named, or one the pipeline owns.
///
/// Internal topics (repartition and changelog topics) are named `<pipeline>-<group>-<suffix>`,
/// as Kafka Streams names them `<application.id>-<name>-repartition|changelog`. The pipeline is
/// not known while a branch's body is built, so their names resolve when the pipeline runs.
@usableFromInline
enum TopicName: Hashable, Sendable, CustomStringConvertible {
    case external(String)
    case owned(suffix: String)

    @usableFromInline
    func resolved(in scope: TopologyScope) -> String {
        switch self {
        case .external(let name): name
        case .owned(let suffix): "\(scope.pipeline)-\(scope.group)-\(suffix)"
        }
    }

    var isInternal: Bool { if case .owned = self { true } else { false } }

    @usableFromInline var description: String {
        switch self {
        case .external(let name): name
        case .owned(let suffix): "<pipeline>-<group>-\(suffix)"
        }
    }
}

/// What resolves a branch's internal topic names.
@usableFromInline
struct TopologyScope: Sendable, Hashable {
    var pipeline: String
    var group: String
}
