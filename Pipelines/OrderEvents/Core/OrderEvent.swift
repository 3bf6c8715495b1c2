/// One order event, as `../shared/bench/gen_events.py` writes it (snake_case JSON keys).
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
    /// Exchange rates to USD.
    public static let fx: [String: Double] = ["USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "INR": 0.012, "BRL": 0.20]
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

        public init(_ event: OrderEvent) throws {
            guard let rate = OrderLogic.fx[event.currency] else { throw UnknownCurrency(currency: event.currency) }
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

        public init(_ order: EnrichedOrder) {
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

        public init(_ order: EnrichedOrder) {
            orderId = order.orderId
            region = order.region
            nItems = order.nItems
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
    }

    public static func needsShipping(_ order: EnrichedOrder) -> Bool { order.status == .paid || order.status == .shipped }
}
