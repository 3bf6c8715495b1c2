import Sluice
import SluiceTestSupport
import SluiceTesting

/// One sale: what the stateful pipelines group by region and aggregate per window.
struct Sale: Codable, Sendable, Hashable {
    var id: Int
    var region: String
    var amount: Int
    var ts: Int64
}

struct Totals: Codable, Sendable, Hashable {
    var count = 0
    var sum = 0

    mutating func add(_ sale: Sale) {
        count += 1
        sum += sale.amount
    }

    mutating func merge(_ other: Totals) {
        count += other.count
        sum += other.sum
    }
}

struct Order: Codable, Sendable, Hashable {
    var id: String
    var amount: Int
    var status: String
}

struct Payment: Codable, Sendable, Hashable {
    var orderId: String
    var amount: Int
}

enum Topics {
    static let sales = Topic<String, Sale>("sales")
    static let totals = Topic<String, Totals>("region-totals")
    static let audit = Topic<String, Sale>("audit")
    static let orders = Topic<String, Order>("orders")
    static let payments = Topic<String, Payment>("payments")
    /// The stats branch's repartition topic (`<pipeline>-<group>-<name>-repartition`).
    static let byRegion = Topic<String, Sale>("shop-stats-by-region-repartition")
}

enum Pipelines {
    static let windowMs: Int64 = 10_000

    /// `stats`: sales grouped by region (a repartition), 10 s tumbling windows with a grace
    /// long enough that no sale is late, count and sum per window, keyed `region@start`.
    /// With `preAggregated`, the aggregate has a merger: each source partition's task folds its
    /// sales per window and repartitions partials (`WindowedStream.preAggregated`).
    static func stats(ackMode: AckMode = .batch, withAudit: Bool = false, preAggregated: Bool = false) -> Pipeline {
        var merger: (@Sendable (inout Totals, Totals) -> Void)?
        if preAggregated { merger = { total, other in total.merge(other) } }
        return Pipeline("shop") {
            if withAudit {
                Branch(group: "audit", from: Topics.sales) { $0.to(Topics.audit) }
            }
            Branch(group: "stats", from: Topics.sales, ackMode: ackMode) { $0
                .groupBy(\.region, named: "by-region")
                .windowed(.tumbling(.milliseconds(windowMs)), grace: .seconds(3_600))
                .aggregate(Totals(), named: "totals", merger: merger) { $0.add($1) }
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(Topics.totals)
            }
        }
    }

    /// `payment`: orders not cancelled become payments.
    static func payments(ackMode: AckMode = .batch, onError: ErrorPolicy = .fail) -> Pipeline {
        Pipeline("checkout") {
            Branch(group: "payment", from: Topics.orders, ackMode: ackMode, onError: onError) { $0
                .filter { $0.status != "cancelled" }
                .map { Payment(orderId: $0.id, amount: $0.amount) }
                .to(Topics.payments)
            }
        }
    }
}

enum Reference {
    /// Sales with increasing, somewhat irregular timestamps over four regions.
    static func sales(_ count: Int, seed: UInt64, firstId: Int = 0, startTs: Int64 = 0) -> [Sale] {
        var random = SplitMix64(seed: seed)
        var ts = startTs
        return (firstId..<firstId + count).map { id in
            ts += Int64(random.next() % 700)
            return Sale(id: id, region: random.pick(["eu", "us", "ap", "sa"]), amount: random.int(0...99), ts: ts)
        }
    }

    /// The brute-force totals per `region@windowStart`.
    static func windowTotals(_ sales: some Sequence<Sale>) -> [String: Totals] {
        var totals: [String: Totals] = [:]
        for sale in sales {
            totals["\(sale.region)@\(sale.ts - sale.ts % Pipelines.windowMs)", default: Totals()].add(sale)
        }
        return totals
    }
}

extension PipelineTestDriver {
    /// Pipes each sale keyed by its id, so one region's sales spread over every partition.
    func pipe(_ sales: some Sequence<Sale>) throws {
        for sale in sales { try pipe(Topics.sales, key: "s\(sale.id)", value: sale, timestamp: sale.ts) }
    }
}

extension Dictionary where Key == Windowed<String> {
    /// Keyed `region@windowStart`, as the stats pipeline's output and `Reference` are.
    var byWindowStart: [String: Value] {
        Dictionary<String, Value>(uniqueKeysWithValues: map { ("\($0.key.key)@\($0.key.window.start)", $0.value) })
    }
}
