public import SluiceJSON

/// One order event, as `../shared/bench/gen_events.py` writes it (snake_case JSON keys).
///
/// Codable (with the snake_case key strategies) and SluiceJSON's hand-written reader and writer
/// (`JSONReadable`, `JSONWritable`, keys spelled as in the file) read and write the same JSON;
/// the reader is the hot path of the pipeline's source (see the extensions below).
public struct OrderEvent: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var sku: String
        public var qty: Int
        public var price: Double
    }

    public enum Status: String, Codable, Sendable {
        case created, paid, shipped, cancelled
    }

    public var orderId: String
    public var customerId: String
    public var region: String
    public var amount: Double
    public var currency: String
    public var items: [Item]
    public var status: Status
    /// Event time, ms since the epoch.
    public var ts: Int64
}

/// The pipeline's logic, pinned to `../shared/bench/pipeline_plain.py` so Sluice and its peers
/// compute the same results from the same bytes.
public enum OrderLogic {
    /// Exchange rates to USD (the `FX` table of `pipeline_plain.py`).
    public static let fx: [String: Double] = ["USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "INR": 0.012, "BRL": 0.20]

    /// `fx[currency]` without hashing: every branch enriches every order, and a dictionary
    /// lookup (SipHash over the code) cost more than the rest of the enrichment. Short codes are
    /// small strings, so each comparison is two words. `OrderEventsCoreTests` checks it agrees
    /// with `fx`.
    @inlinable
    public static func rate(for currency: String) -> Double? {
        switch currency {
        case "USD": 1.0
        case "EUR": 1.08
        case "GBP": 1.27
        case "JPY": 0.0067
        case "INR": 0.012
        case "BRL": 0.20
        default: nil
        }
    }
    /// Stats windows: one minute, aligned to the epoch.
    public static let windowMs: Int64 = 60_000

    /// An order after the drop-cancelled filter, enriched with USD amount and item count.
    public struct EnrichedOrder: Codable, Sendable, Equatable {
        public var orderId: String
        public var customerId: String
        public var region: String
        public var amountUsd: Double
        public var nItems: Int
        public var status: OrderEvent.Status
        public var ts: Int64

        public init(_ event: borrowing OrderEvent) throws {
            guard let rate = OrderLogic.rate(for: event.currency) else { throw UnknownCurrency(currency: event.currency) }
            orderId = event.orderId
            customerId = event.customerId
            region = event.region
            amountUsd = event.amount * rate
            nItems = event.items.count
            status = event.status
            ts = event.ts
        }
    }

    public struct UnknownCurrency: Error, CustomStringConvertible {
        public var currency: String
        public var description: String { "unknown currency '\(currency)' (no FX rate)" }
    }

    /// `payments` records.
    public struct Payment: Codable, Sendable, Equatable {
        public var orderId: String
        public var customerId: String
        public var amountUsd: Double

        public init(_ order: borrowing EnrichedOrder) {
            orderId = order.orderId
            customerId = order.customerId
            amountUsd = order.amountUsd
        }
    }

    /// `shipments` records (orders paid or shipped).
    public struct Shipment: Codable, Sendable, Equatable {
        public var orderId: String
        public var region: String
        public var nItems: Int

        public init(_ order: borrowing EnrichedOrder) {
            orderId = order.orderId
            region = order.region
            nItems = order.nItems
        }
    }

    /// What the stats branch needs of an order, and so all it repartitions by region: its
    /// region and USD amount (the event time travels as the record timestamp).
    public struct RegionSale: Codable, Sendable, Equatable {
        public var region: String
        public var amountUsd: Double

        public init(_ order: borrowing EnrichedOrder) {
            region = order.region
            amountUsd = order.amountUsd
        }
    }

    /// Per region and window: how many orders, and their USD total.
    public struct RegionStats: Codable, Sendable, Equatable {
        public var count: Int = 0
        public var sumUsd: Double = 0

        public init() {}

        public mutating func add(_ order: EnrichedOrder) {
            count += 1
            sumUsd += order.amountUsd
        }

        public mutating func add(_ sale: RegionSale) {
            count += 1
            sumUsd += sale.amountUsd
        }

        /// Adds another partial's orders: the stats branch pre-aggregates per source partition
        /// and merges the partials (`WindowedStream.aggregate(merger:)`).
        public mutating func merge(_ other: RegionStats) {
            count += other.count
            sumUsd += other.sumUsd
        }
    }

    public static func needsShipping(_ order: EnrichedOrder) -> Bool { order.status == .paid || order.status == .shipped }
}

// MARK: - SluiceJSON readers and writers
//
// Why: decoding order events is the pipeline's hot path, and Codable's type-erased containers
// cost more per event than reading the JSON itself; these readers and writers are plain calls.
// What is guaranteed: each reads exactly what the synthesized `init(from:)` reads under
// `convertFromSnakeCase` (all members required, `null` rejected, the same numbers accepted) and
// writes exactly the bytes `FastJSONEncoder` writes from `encode(to:)` under
// `convertToSnakeCase` (members in declaration order). A missing member, a value of the wrong
// type or an unknown status throws a `JSONError` naming the key, with the byte offset and the
// path (`items[1].qty`). The tests in `OrderEventsCoreTests` compare both ways on generated
// events.

extension OrderEvent: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        // Members in document order, so that each lookup finds its key at the first try. Read
        // into locals and initialized in one go: assigning the stored properties one by one
        // between throwing calls made the compiler copy and destroy the whole event.
        let o = try json.object()
        let orderId = try o.string("order_id")
        let customerId = try o.string("customer_id")
        let region = try o.string("region")
        let amount = try o.double("amount")
        let currency = try o.string("currency")
        let items = try o.array("items").map { try Item(json: $0) }
        let status = try o.string("status", matching: Status.init(utf8:))
        let ts = try o.int64("ts")
        self.init(orderId: orderId, customerId: customerId, region: region, amount: amount, currency: currency, items: items, status: status, ts: ts)
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("order_id", orderId)
            o.member("customer_id", customerId)
            o.member("region", region)
            try o.member("amount", amount)
            o.member("currency", currency)
            try o.member("items", items)
            o.member("status", status.rawValue)
            o.member("ts", ts)
        }
    }
}

extension OrderEvent.Item: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        let sku = try o.string("sku")
        let qty = try o.int("qty")
        let price = try o.double("price")
        self.init(sku: sku, qty: qty, price: price)
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("sku", sku)
            o.member("qty", qty)
            try o.member("price", price)
        }
    }
}

extension OrderEvent.Status {
    /// The status whose raw value is `utf8`, compared as bytes (no `String` is made); nil for
    /// anything else.
    public init?(utf8: UnsafeRawBufferPointer) {
        if Self.spells(utf8, "paid") {
            self = .paid
        } else if Self.spells(utf8, "created") {
            self = .created
        } else if Self.spells(utf8, "shipped") {
            self = .shipped
        } else if Self.spells(utf8, "cancelled") {
            self = .cancelled
        } else {
            return nil
        }
    }

    /// Whether `utf8` is `name`'s bytes (a length check rules most names out at once).
    private static func spells(_ utf8: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        name.withUTF8Buffer { name in
            guard name.count == utf8.count else { return false }
            for i in 0..<name.count where name[i] != utf8[i] { return false }
            return true
        }
    }
}

extension OrderLogic.EnrichedOrder: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        orderId = try o.string("order_id")
        customerId = try o.string("customer_id")
        region = try o.string("region")
        amountUsd = try o.double("amount_usd")
        nItems = try o.int("n_items")
        status = try o.string("status", matching: OrderEvent.Status.init(utf8:))
        ts = try o.int64("ts")
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("order_id", orderId)
            o.member("customer_id", customerId)
            o.member("region", region)
            try o.member("amount_usd", amountUsd)
            o.member("n_items", nItems)
            o.member("status", status.rawValue)
            o.member("ts", ts)
        }
    }
}

extension OrderLogic.Payment: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        orderId = try o.string("order_id")
        customerId = try o.string("customer_id")
        amountUsd = try o.double("amount_usd")
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("order_id", orderId)
            o.member("customer_id", customerId)
            try o.member("amount_usd", amountUsd)
        }
    }
}

extension OrderLogic.Shipment: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        orderId = try o.string("order_id")
        region = try o.string("region")
        nItems = try o.int("n_items")
    }

    public func write(json: inout JSONWriter) {
        json.object { o in
            o.member("order_id", orderId)
            o.member("region", region)
            o.member("n_items", nItems)
        }
    }
}

extension OrderLogic.RegionSale: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        region = try o.string("region")
        amountUsd = try o.double("amount_usd")
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("region", region)
            try o.member("amount_usd", amountUsd)
        }
    }
}

extension OrderLogic.RegionStats: JSONReadable, JSONWritable {
    public init(json: JSONReader) throws {
        let o = try json.object()
        count = try o.int("count")
        sumUsd = try o.double("sum_usd")
    }

    public func write(json: inout JSONWriter) throws {
        try json.object { o in
            o.member("count", count)
            try o.member("sum_usd", sumUsd)
        }
    }
}
