import OrderEventsCore
import Sluice

/// The topics of the order-events job: one source, one output per branch, one dead-letter topic.
enum OrderTopics {
    static let orders = Topic<String, OrderEvent>("orders")
    static let payments = Topic<String, OrderLogic.Payment>("payments")
    static let shipments = Topic<String, OrderLogic.Shipment>("shipments")
    /// Per key `region@windowStartMs`, successive updates of that window's `RegionStats`; the
    /// latest per key is the window's current value. Written by the `stats` branch.
    static let regionStatsName = "region-stats"
    /// Events that do not decode as `OrderEvent` (or cannot be enriched), with their original
    /// bytes and headers naming the error and source offset: one copy per branch that read them.
    static let deadLetters = "orders-dead-letters"
}

/// The logic of `../shared/bench/pipeline_plain.py` as a Sluice pipeline. Every branch is its own
/// consumer group over `orders`, with its own committed offsets, so each can lag, fail or be
/// replayed alone.
enum OrderEventsPipeline {
    static let name = "order-events"

    static func make() -> Pipeline {
        // What every branch starts with: drop cancelled → enrich (USD, item count). Shared, so
        // it runs once per event for all three branches of a stream thread (each branch still
        // has its own group, offsets and dead letters).
        let kept = Stream(OrderTopics.orders)
            .filter { $0.status != .cancelled }
            .map(OrderLogic.EnrichedOrder.init)
            .shared("kept")

        return Pipeline(name) {
            // Every kept order is charged.
            Branch(group: "payment", from: kept, onError: .deadLetter(OrderTopics.deadLetters)) { $0
                .map(OrderLogic.Payment.init)
                .to(OrderTopics.payments) }

            // Orders paid or shipped need a shipment.
            Branch(group: "shipping", from: kept, onError: .deadLetter(OrderTopics.deadLetters)) { $0
                .filter(OrderLogic.needsShipping)
                .map(OrderLogic.Shipment.init)
                .to(OrderTopics.shipments) }

            // Per region, 1-minute tumbling event-time windows aligned to the epoch: order count and
            // USD sum → `region-stats` (key `region@windowStartMs`, latest value per key is current).
            // With a merger, grouping by region pre-aggregates: each orders partition's task folds
            // its sales per (region, window) and repartitions only the windows a batch changed,
            // which the region's task merges. Partitions run at their own pace, so a replay of
            // history reaches a window out of event-time order by up to the skew between them: a
            // day of grace covers any replay of this data; windows are small (8 regions × 1,440 a
            // day), and updates flow on every batch anyway (emit on update).
            Branch(group: "stats", from: kept, onError: .deadLetter(OrderTopics.deadLetters)) { $0
                .map(OrderLogic.RegionSale.init)  // only what the windows need
                .groupBy(\.region)
                .windowed(.tumbling(.milliseconds(OrderLogic.windowMs)), grace: .seconds(86_400))
                .aggregate(OrderLogic.RegionStats(), merger: { $0.merge($1) }) { $0.add($1) }
                .mapKey { "\($0.key)@\($0.window.start)" }
                .to(Topic<String, OrderLogic.RegionStats>(OrderTopics.regionStatsName)) }
        }
    }
}
