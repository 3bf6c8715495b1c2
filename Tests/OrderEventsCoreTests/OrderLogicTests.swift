@testable import OrderEventsCore
import Testing

@Suite struct OrderLogicTests {
    @Test("the FX switch agrees with the FX table, and knows nothing else")
    func rateAgreesWithTheTable() {
        for (currency, rate) in OrderLogic.fx {
            #expect(OrderLogic.rate(for: currency) == rate, "\(currency)")
        }
        for unknown in ["", "usd", "US", "USDX", "XXX", "EUR ", "€"] {
            #expect(OrderLogic.rate(for: unknown) == nil, "\(unknown)")
        }
    }

    @Test("an unknown currency is an error that names it")
    func unknownCurrencyIsNamed() throws {
        let event = OrderEvent(
            orderId: "ord-1", customerId: "cust-1", region: "us-west", amount: 10, currency: "XYZ",
            items: [], status: .paid, ts: 0)
        #expect(throws: OrderLogic.UnknownCurrency.self) { try OrderLogic.EnrichedOrder(event) }
        let enriched = try OrderLogic.EnrichedOrder(
            OrderEvent(orderId: "ord-2", customerId: "c", region: "r", amount: 10, currency: "EUR", items: [], status: .paid, ts: 5))
        #expect(enriched.amountUsd == 10 * 1.08)
    }
}
