import Foundation
import Sluice
import SluiceLog
import SluiceTestSupport
import Testing

enum Size: String, CaseIterable, Sendable {
    case small, medium, large

    init(_ amount: Int) { self = amount < 30 ? .small : amount < 70 ? .medium : .large }
}

/// `split` by predicate and by enum case, including a route that aggregates.
extension StatefulPipelineTests {
    func count(_ topic: String) throws -> Int {
        let log = try LogManager(directory: directory.path, readOnly: true)
        defer { try? log.close() }
        guard log.topicNames().contains(topic) else { return 0 }
        var total = 0
        for p in 0..<Int32(try log.partitionCount(topic)) { _ = try log.partition(topic, p).forEachRecord(from: 0) { _ in total += 1 } }
        return total
    }

    /// Every topic in the Mermaid chart is connected: split routes' outputs, merged-in
    /// inputs, late records and dead letters too, not only the linear path.
    @Test func mermaidConnectsEveryTopic() {
        let pipeline = Pipeline("charted") {
            Branch(group: "router", from: Topic<String, Sale>("sales"), onError: .deadLetter("sales-dlq")) { $0
                .merge(Topic<String, Sale>("in-store"))
                .split {
                    Route("eu", where: { $0.region == "eu" }) { $0.to(Topic<String, Sale>("eu-sales")) }
                    Route.otherwise { $0
                        .groupBy(\.region)
                        .windowed(.tumbling(.seconds(1)), emit: .onClose, lateRecordsTo: Topic<String, Sale>("late-sales"))
                        .count()
                        .mapKey { $0.key }
                        .map { "\($0)" }
                        .to(Topic<String, String>("counts"))
                    }
                }
            }
        }
        let chart = pipeline.mermaid()
        let declared = chart.split(separator: "\n").compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("t_"), text.contains("([") else { return nil }
            return String(text.prefix { $0 != "(" })
        }
        #expect(Set(declared).isSuperset(of: ["t_sales", "t_in_store", "t_eu_sales", "t_late_sales", "t_counts", "t_sales_dlq"]))
        for topic in declared {
            let edges = chart.split(separator: "\n").filter { line in
                (line.contains("--") || line.contains("-.")) && line.split(separator: " ").contains { $0 == topic }
            }
            #expect(!edges.isEmpty, "\(topic) has no edge in:\n\(chart)")
        }
    }

    @Test func splitByPredicateTakesTheFirstMatchingRoute() throws {
        let sales = randomSales(400, seed: 21)
        try load(sales)
        let pipeline = Pipeline("routes") {
            Branch(group: "router", from: Topic<String, Sale>("sales")) { $0
                .split {
                    Route("eu", where: { $0.region == "eu" }) { $0.to(Topic<String, Sale>("eu-sales")) }
                    Route("big", where: { $0.amount >= 50 }) { $0
                        .groupBy(\.region)
                        .count()
                        .map { "\($0)" }
                        .to(Topic<String, String>("big-counts"))
                    }
                    Route.otherwise { $0.to(Topic<String, Sale>("other-sales")) }
                }
            }
        }
        _ = try pipeline.run(options())
        let eu = sales.filter { $0.region == "eu" }
        let big = sales.filter { $0.region != "eu" && $0.amount >= 50 }
        #expect(try count("eu-sales") == eu.count)
        #expect(try count("other-sales") == sales.count - eu.count - big.count)
        let counts = try latest("big-counts").reduce(into: [String: Int]()) {
            $0[String(decoding: $1.key, as: UTF8.self)] = Int(String(decoding: $1.value, as: UTF8.self))
        }
        #expect(counts == Dictionary(grouping: big, by: \.region).mapValues(\.count))
        #expect(pipeline.describe().contains("routes-router-big-groupBy-0-repartition"))
    }

    @Test func splitByEnumCaseRoutesEveryCase() throws {
        let sales = randomSales(300, seed: 22)
        try load(sales)
        let pipeline = Pipeline("sizes") {
            Branch(group: "sizer", from: Topic<String, Sale>("sales")) { $0
                .split(by: { Size($0.amount) }) { size, sales in
                    switch size {
                    case .small: sales.to(Topic<String, Sale>("small"))
                    case .medium: sales.to(Topic<String, Sale>("medium"))
                    case .large: sales.forEach { _ in }
                    }
                }
            }
        }
        let summary = try pipeline.run(options())
        #expect(summary.branches[0].consumed == 300)
        #expect(try count("small") == sales.filter { Size($0.amount) == .small }.count)
        #expect(try count("medium") == sales.filter { Size($0.amount) == .medium }.count)
        #expect(try count("large") == 0)
    }
}
