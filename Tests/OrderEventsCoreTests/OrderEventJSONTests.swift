import Foundation
import OrderEventsCore
import SluiceJSON
import Testing

/// The hand-written readers and writers of the order-events model give exactly what Codable
/// gives (under the snake_case strategies the pipeline uses), on the benchmark's own events, and
/// bad events fail with errors that name the field.
@Suite struct OrderEventJSONTests {
    static let snakeDecoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
    static let snakeEncoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)

    /// The first 20,000 lines of `gen_events.py 1000000 FILE 42` (the benchmark file), split.
    static let lines: [[UInt8]] = {
        var generator = OrderEventGenerator(seed: 42)
        var bytes: [UInt8] = []
        generator.appendLines(count: 20_000, to: &bytes)
        return bytes.split(separator: UInt8(ascii: "\n")).map(Array.init)
    }()

    @Test("the reader decodes every event as Codable does")
    func readerMatchesCodable() throws {
        #expect(Self.lines.count == 20_000)
        let plain = FastJSONDecoder()
        for (n, line) in Self.lines.enumerated() {
            let read = try plain.read(OrderEvent.self, from: line)
            let decoded = try Self.snakeDecoder.decode(OrderEvent.self, from: line)
            guard read == decoded else {
                Issue.record("line \(n + 1): reader \(read), Codable \(decoded)")
                return
            }
        }
    }

    @Test("the writers write the bytes FastJSONEncoder writes, and they read back")
    func writersMatchCodable() throws {
        let plain = FastJSONDecoder()
        var statuses = Set<String>()
        for (n, line) in Self.lines.enumerated() {
            let event = try plain.read(OrderEvent.self, from: line)
            statuses.insert(event.status.rawValue)
            try Self.check(event, line: n)
            guard let enriched = try? OrderLogic.EnrichedOrder(event) else {
                Issue.record("line \(n + 1): no FX rate for \(event.currency)")
                return
            }
            try Self.check(enriched, line: n)
            try Self.check(OrderLogic.Payment(enriched), line: n)
            try Self.check(OrderLogic.Shipment(enriched), line: n)
            var stats = OrderLogic.RegionStats()
            stats.add(enriched)
            stats.add(enriched)
            try Self.check(stats, line: n)
        }
        #expect(statuses == ["created", "paid", "shipped", "cancelled"])
        try Self.check(OrderLogic.RegionStats(), line: -1)
    }

    /// `value` written by its writer equals `FastJSONEncoder`'s Codable bytes, and reads back to
    /// `value` through its reader and through Codable.
    static func check<T: Codable & JSONReadable & JSONWritable & Equatable>(_ value: T, line: Int) throws {
        let written = try value.jsonBytes()
        let encoded = try snakeEncoder.encode(value)
        #expect(written == encoded, "line \(line + 1), \(T.self): \(String(decoding: written, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))")
        #expect(try FastJSONDecoder().read(T.self, from: written) == value, "line \(line + 1), \(T.self)")
        #expect(try snakeDecoder.decode(T.self, from: written) == value, "line \(line + 1), \(T.self)")
    }

    // MARK: Bad events

    static let good = #"{"order_id":"ord-1","customer_id":"cust-2","region":"us-west","amount":10.5,"currency":"USD","items":[{"sku":"SKU-1","qty":3,"price":3.5}],"status":"paid","ts":1700000000000}"#

    /// The `JSONError` the reader throws for `text`.
    static func readError(_ text: String) -> JSONError? {
        do {
            _ = try FastJSONDecoder().read(OrderEvent.self, from: Array(text.utf8))
            return nil
        } catch let error as JSONError {
            return error
        } catch {
            Issue.record("not a JSONError: \(error)")
            return nil
        }
    }

    @Test func theGoodEventReads() throws {
        let event = try FastJSONDecoder().read(OrderEvent.self, from: Array(Self.good.utf8))
        #expect(event.orderId == "ord-1" && event.customerId == "cust-2" && event.region == "us-west" && event.amount == 10.5 && event.currency == "USD")
        #expect(event.items.map(\.sku) == ["SKU-1"] && event.items.map(\.qty) == [3] && event.items.map(\.price) == [3.5])
        #expect(event.status == .paid && event.ts == 1_700_000_000_000)
    }

    @Test func aMissingFieldIsNamed() throws {
        let text = Self.good.replacingOccurrences(of: #""customer_id":"cust-2","#, with: "")
        let error = try #require(Self.readError(text))
        #expect(error.kind == .keyNotFound)
        #expect(error.description.contains("customer_id"), "\(error)")
    }

    @Test func aWrongTypeIsNamedWithItsPath() throws {
        let text = Self.good.replacingOccurrences(of: #""qty":3"#, with: #""qty":"3""#)
        let error = try #require(Self.readError(text))
        #expect(error.kind == .typeMismatch)
        #expect(error.description.contains("items[0].qty"), "\(error)")
        let member = try #require(text.range(of: #""qty":"3""#))
        #expect(error.offset == text.utf8.distance(from: text.startIndex, to: member.lowerBound) + #""qty":"#.utf8.count)  // the value's quote
    }

    @Test func aNullIsNamed() throws {
        let text = Self.good.replacingOccurrences(of: #""amount":10.5"#, with: #""amount":null"#)
        let error = try #require(Self.readError(text))
        #expect(error.kind == .valueNotFound)
        #expect(error.description.contains("amount"), "\(error)")
    }

    @Test func anUnknownStatusIsNamed() throws {
        let text = Self.good.replacingOccurrences(of: #""status":"paid""#, with: #""status":"lost""#)
        let error = try #require(Self.readError(text))
        #expect(error.kind == .invalidValue)
        #expect(error.description.contains("status") && error.description.contains("lost"), "\(error)")
        // An escaped spelling of a known status is that status.
        let escaped = Self.good.replacingOccurrences(of: #""status":"paid""#, with: #""status":"pa\u0069d""#)
        #expect(try FastJSONDecoder().read(OrderEvent.self, from: Array(escaped.utf8)).status == .paid)
    }

    @Test func malformedJSONIsReportedWithItsOffset() throws {
        let truncated = String(Self.good.dropLast(5))
        let error = try #require(Self.readError(truncated))
        #expect(error.kind == .unexpectedEndOfInput)
        #expect(error.offset == truncated.utf8.count)
        let broken = Self.good.replacingOccurrences(of: #""region":"us-west","#, with: #""region":"us-west",,"#)
        #expect(Self.readError(broken)?.kind == .unexpectedByte(UInt8(ascii: ",")))
    }

    @Test func codableNamesTheSameFields() throws {
        let text = Self.good.replacingOccurrences(of: #""qty":3"#, with: #""qty":"3""#)
        do {
            _ = try Self.snakeDecoder.decode(OrderEvent.self, from: Array(text.utf8))
            Issue.record("decoded")
        } catch let error as DecodingError {
            guard case .typeMismatch(_, let context) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(context.codingPath.map(\.stringValue) == ["items", "Index 0", "qty"])
            #expect(error.jsonError?.kind == .typeMismatch)
        }
    }
}
