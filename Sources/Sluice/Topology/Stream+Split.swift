/// One way out of a `split`: the records for which `predicate` holds (and no earlier route's
/// did), and what to do with them.
public struct Route<Key, Value>: Sendable {
    let name: String?
    let predicate: @Sendable (Value) throws -> Bool
    let body: @Sendable (Stream<Key, Value>) -> Sink

    /// Records whose value satisfies `predicate`. `name` (default `route-<n>`) prefixes the
    /// internal topics of the route's stateful operators.
    public init(
        _ name: String? = nil, where predicate: @escaping @Sendable (Value) throws -> Bool,
        _ body: @escaping @Sendable (Stream<Key, Value>) -> Sink
    ) {
        self.name = name
        self.predicate = predicate
        self.body = body
    }

    /// Every record no earlier route took (Kafka Streams' `defaultBranch`).
    public static func otherwise(_ name: String? = nil, _ body: @escaping @Sendable (Stream<Key, Value>) -> Sink) -> Route {
        Route(name: name, predicate: { _ in true }, body: body)
    }

    private init(name: String?, predicate: @escaping @Sendable (Value) throws -> Bool, body: @escaping @Sendable (Stream<Key, Value>) -> Sink) {
        self.name = name
        self.predicate = predicate
        self.body = body
    }
}

/// Collects the routes of a `split`.
@resultBuilder
public enum RouteBuilder<Key, Value> {
    public static func buildExpression(_ route: Route<Key, Value>) -> [Route<Key, Value>] { [route] }
    public static func buildBlock(_ parts: [Route<Key, Value>]...) -> [Route<Key, Value>] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Route<Key, Value>]?) -> [Route<Key, Value>] { part ?? [] }
    public static func buildEither(first: [Route<Key, Value>]) -> [Route<Key, Value>] { first }
    public static func buildEither(second: [Route<Key, Value>]) -> [Route<Key, Value>] { second }
}

extension Stream {
    /// Sends each record down the first route whose predicate it satisfies (Kafka Streams'
    /// `split().branch(…)`); a record no route takes is dropped, unless a `Route.otherwise`
    /// catches it. Every route is a full stream: it can filter, group, aggregate and end in
    /// its own sinks, all committed together with the branch.
    ///
    /// ```swift
    /// $0.split {
    ///     Route("large", where: { $0.amount > 1_000 }) { $0.to(largeOrders) }
    ///     Route.otherwise { $0.to(orders) }
    /// }
    /// ```
    public func split(@RouteBuilder<Key, Value> _ routes: () -> [Route<Key, Value>]) -> Sink {
        let routes = routes()
        let predicates = routes.map(\.predicate)
        return fanOut(routes.enumerated().map { ($0.element.name ?? "route-\($0.offset)", $0.element.body) }) { value in
            for (index, predicate) in predicates.enumerated() where try predicate(value) { return index }
            return nil
        }
    }

    /// Sends each record to the route of its case: `body` is called once per case of `Case`
    /// when the pipeline is built, and a `switch` in it makes the compiler check that every
    /// case is handled. The selector runs once per record.
    ///
    /// ```swift
    /// $0.split(by: \.status) { status, orders in
    ///     switch status {
    ///     case .created, .paid: orders.to(openOrders)
    ///     case .shipped: orders.to(shipped)
    ///     case .cancelled: orders.forEach { _ in }   // nothing to do
    ///     }
    /// }
    /// ```
    public func split<Case: CaseIterable & Hashable & Sendable>(
        by selector: @escaping @Sendable (Value) throws -> Case, _ body: @escaping @Sendable (Case, Stream<Key, Value>) -> Sink
    ) -> Sink {
        let cases = Array(Case.allCases)
        var indexOfCase: [Case: Int] = [:]
        for (index, value) in cases.enumerated() { indexOfCase[value] = index }
        let lookup = indexOfCase
        return fanOut(cases.map { value in ("\(value)", { stream in body(value, stream) }) }) { value in
            lookup[try selector(value)]
        }
    }

    /// The shared machinery of `split`: one route stream per entry, fed by `select`.
    private func fanOut(
        _ routes: [(name: String, body: @Sendable (Stream<Key, Value>) -> Sink)],
        select: @escaping @Sendable (Value) throws -> Int?
    ) -> Sink {
        let sinks = routes.map { route -> Sink in
            var routePlan = StreamPlan(steps: [])
            routePlan.namePrefix = "\(plan.namePrefix)\(route.name)-"
            // A route starts from no topic: its chain's entry is handed to the split.
            let entry = Stream(plan: routePlan, sources: [], upstream: []) { context, downstream in
                context.routeEntry = downstream
                return [:]
            }
            return route.body(entry)
        }
        var combined = plan.adding(
            "split[" + zip(routes, sinks).map { "\($0.name): \($1.plan.steps.joined(separator: " → "))" }.joined(separator: " | ") + "]")
        for sink in sinks {
            combined.outputs += sink.plan.outputs
            combined.stores += sink.plan.stores
            combined.problems += sink.plan.problems
            combined.hasSideEffects = combined.hasSideEffects || sink.plan.hasSideEffects
        }
        let roots = sinks.map { $0.subTopologies.first { $0.sources.isEmpty } }
        let split = finish(plan: combined) { context in
            var entries: [Emit<Key, Value>?] = []
            for root in roots {
                guard let root else {
                    entries.append(nil)
                    continue
                }
                context.routeEntry = nil
                _ = try root.build(context)
                entries.append(context.routeEntry as? Emit<Key, Value>)
                context.routeEntry = nil
            }
            let routeEntries = entries
            return { key, value, timestamp in
                guard let index = try select(value), let entry = routeEntries[index] else { return }
                try entry(key, value, timestamp)
            }
        }
        let later = sinks.flatMap { $0.subTopologies.filter { !$0.sources.isEmpty } }
        return Sink(plan: split.plan, subTopologies: split.subTopologies + later)
    }
}
