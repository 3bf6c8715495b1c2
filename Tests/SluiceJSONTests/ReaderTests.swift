import SluiceJSON
import Testing

@Suite("Reader (no Codable)")
struct ReaderTests {
    struct Item: Equatable, JSONReadable {
        let sku: String
        let qty: Int
        let price: Double
        init(sku: String, qty: Int, price: Double) {
            self.sku = sku
            self.qty = qty
            self.price = price
        }
        init(json: JSONReader) throws {
            let o = try json.object()
            self.init(sku: try o.string("sku"), qty: try o.int("qty"), price: try o.double("price"))
        }
    }

    struct Event: Equatable, JSONReadable {
        let orderId: String
        let amount: Double
        let items: [Item]
        let note: String?
        let ts: Int64
        init(json: JSONReader) throws {
            let o = try json.object()
            orderId = try o.string("order_id")
            amount = try o.double("amount")
            items = try o.array("items").map { try Item(json: $0) }
            note = try o.valueIfPresent("note").flatMap { $0.isNull ? nil : try $0.string() }
            ts = try o.int64("ts")
        }
    }

    @Test func readsAStruct() throws {
        let text = #"{"ts":5,"items":[{"qty":2,"sku":"s","price":1.5}],"amount":9.75,"order_id":"o","extra":[1,{"x":null}]}"#
        let event = try FastJSONDecoder().read(Event.self, from: Array(text.utf8))
        #expect(event.orderId == "o" && event.amount == 9.75 && event.ts == 5 && event.note == nil)
        #expect(event.items == [Item(sku: "s", qty: 2, price: 1.5)])
    }

    @Test func valuesKindsAndErrors() throws {
        let text = #"{"a":[1,"two",null,true,{"b":2.5}],"c":null}"#
        try FastJSONDecoder().read(Array(text.utf8)) { root in
            let o = try root.object()
            #expect(o.keys == ["a", "c"])
            #expect(o.contains("c") && !o.contains("d"))
            let a = try o.array("a")
            #expect(a.count == 5)
            #expect(a.map(\.kind) == [.number, .string, .null, .bool, .object])
            let elements = Array(a)
            #expect(try elements[0].int() == 1)
            #expect(try elements[1].string() == "two")
            #expect(elements[2].isNull)
            #expect(try elements[3].bool())
            #expect(try elements[4].object().double("b") == 2.5)
            #expect(try elements[4].decode([String: Double].self) == ["b": 2.5])
            #expect(try o.decode([JSONValue].self, forKey: "a").count == 5)

            let missing = JSONTest.jsonError { _ = try o.string("zzz") }
            #expect(missing?.kind == .keyNotFound)
            let null = JSONTest.jsonError { _ = try o.string("c") }
            #expect(null?.kind == .valueNotFound)
            let mismatch = JSONTest.jsonError { _ = try elements[1].int() }
            #expect(mismatch?.kind == .typeMismatch)
            #expect(mismatch?.offset == 8)
            #expect(JSONTest.pathString(mismatch?.codingPath ?? []) == "a/[1]")
            let range = JSONTest.jsonError { _ = try elements[4].object().int("b") }
            #expect(range?.kind == .numberNotRepresentable)
        }
    }

    @Test func syntaxErrorsAreJSONErrors() {
        let error = JSONTest.jsonError { try FastJSONDecoder().read(Array("[1,]".utf8)) { _ in } }
        #expect(error?.kind == .unexpectedByte(UInt8(ascii: "]")))
        #expect(error?.offset == 3)
    }

    @Test func keysFollowTheKeyStrategy() throws {
        let decoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
        let value = try decoder.read(Array(#"{"order_id":"x"}"#.utf8)) { try $0.object().string("orderId") }
        #expect(value == "x")
    }

    @Test func readerKeptPastTheReadThrows() throws {
        let decoder = FastJSONDecoder()
        let kept = try decoder.read(Array(#"{"a":"b"}"#.utf8)) { try $0.object() }
        let error = JSONTest.jsonError { _ = try kept.string("a") }
        #expect(error?.kind == .decoderUsedAfterReturn)
        #expect(try decoder.read(Array(#"{"a":"c"}"#.utf8)) { try $0.object().string("a") } == "c")
    }
}
