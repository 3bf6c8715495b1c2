import SluiceJSON
import SluiceTestSupport
import Testing

@Suite("Decoding: shapes, optionals, keys")
struct BasicDecodingTests {
    struct Item: Codable, Equatable {
        let sku: String
        let qty: Int
        let price: Double
    }

    enum Status: String, Codable { case created, paid, shipped, cancelled }

    struct OrderEvent: Codable, Equatable {
        let orderId: String
        let customerId: String
        let region: String
        let amount: Double
        let currency: String
        let items: [Item]
        let status: Status
        let ts: Int64
    }

    static let event = #"{"order_id":"ord-000000001","customer_id":"cust-057314","region":"eu-central","amount":21.51,"currency":"INR","items":[{"sku":"SKU-00191","qty":1,"price":21.51}],"status":"cancelled","ts":1700000000045}"#

    @Test func orderEventWithSnakeCase() throws {
        let event = try JSONTest.decode(OrderEvent.self, Self.event, snake: true)
        #expect(event.orderId == "ord-000000001")
        #expect(event.items == [Item(sku: "SKU-00191", qty: 1, price: 21.51)])
        #expect(event.status == .cancelled)
        #expect(event.ts == 1_700_000_000_045)
        #expect(event == (try JSONTest.foundationDecode(OrderEvent.self, Self.event, snake: true)))
    }

    @Test func keysInAnyOrderAndExtraKeys() throws {
        let text = #"{"ts":5,"zzz":[1,{"a":null}],"status":"paid","items":[],"currency":"EUR","amount":1e2,"region":"r","customer_id":"c","order_id":"o","extra":{}}"#
        let event = try JSONTest.decode(OrderEvent.self, text, snake: true)
        #expect(event == OrderEvent(orderId: "o", customerId: "c", region: "r", amount: 100, currency: "EUR", items: [], status: .paid, ts: 5))
    }

    struct Optionals: Codable, Equatable {
        var a: Int?
        var b: String?
        var c: [Int]?
        var d: Item?
    }

    @Test func optionalsFromNullAndMissingKeys() throws {
        #expect(try JSONTest.decode(Optionals.self, #"{"a":null,"c":null}"#) == Optionals())
        #expect(try JSONTest.decode(Optionals.self, #"{}"#) == Optionals())
        let full = try JSONTest.decode(Optionals.self, #"{"a":1,"b":"x","c":[1,2],"d":{"sku":"s","qty":2,"price":0.5}}"#)
        #expect(full == Optionals(a: 1, b: "x", c: [1, 2], d: Item(sku: "s", qty: 2, price: 0.5)))
    }

    struct Custom: Codable, Equatable {
        let identifier: Int
        let label: String
        enum CodingKeys: String, CodingKey {
            case identifier = "id"
            case label = "the label"
        }
    }

    @Test func customCodingKeys() throws {
        #expect(try JSONTest.decode(Custom.self, #"{"the label":"x","id":7}"#) == Custom(identifier: 7, label: "x"))
        #expect(try JSONTest.encode(Custom(identifier: 7, label: "x")) == #"{"id":7,"the label":"x"}"#)
    }

    @Test func topLevelValues() throws {
        #expect(try JSONTest.decode(Int.self, " 42 ") == 42)
        #expect(try JSONTest.decode(String.self, #""hi""#) == "hi")
        #expect(try JSONTest.decode(Bool.self, "true"))
        #expect(try JSONTest.decode(Int?.self, "null") == nil)
        #expect(try JSONTest.decode([Int].self, "[1, 2 ,3]") == [1, 2, 3])
        #expect(try JSONTest.decode([[String]].self, #"[["a"],[],["b","c"]]"#) == [["a"], [], ["b", "c"]])
    }

    @Test func dictionaries() throws {
        #expect(try JSONTest.decode([String: Int].self, #"{"a":1,"b":2}"#) == ["a": 1, "b": 2])
        #expect(try JSONTest.decode([Int: String].self, #"{"1":"a","2":"b"}"#) == [1: "a", 2: "b"])
        // Dictionary keys are not converted by the key strategy (as in Foundation).
        #expect(try JSONTest.decode([String: Int].self, #"{"a_b":1}"#, snake: true) == ["a_b": 1])
        #expect(try JSONTest.foundationDecode([String: Int].self, #"{"a_b":1}"#, snake: true) == ["a_b": 1])
        // Duplicate keys: the first occurrence wins, as in Foundation.
        #expect(try JSONTest.decode([String: Int].self, #"{"a":1,"a":2}"#) == ["a": 1])
        #expect(try JSONTest.foundationDecode([String: Int].self, #"{"a":1,"a":2}"#) == ["a": 1])
    }

    struct Pair: Codable, Equatable {
        let a: Int
        let b: Int
    }

    @Test func duplicateKeysFirstWins() throws {
        #expect(try JSONTest.decode(Pair.self, #"{"a":1,"b":2,"a":3}"#) == Pair(a: 1, b: 2))
        #expect(try JSONTest.decode(Pair.self, #"{"b":2,"a":1,"a":3}"#) == Pair(a: 1, b: 2))
        #expect(try JSONTest.foundationDecode(Pair.self, #"{"a":1,"b":2,"a":3}"#) == Pair(a: 1, b: 2))
        // After conversion from snake case, "a_b" and "aB" are the same key.
        struct Snake: Codable, Equatable { let aB: Int }
        #expect(try JSONTest.decode(Snake.self, #"{"a_b":1,"aB":2}"#, snake: true) == Snake(aB: 1))
        #expect(try JSONTest.foundationDecode(Snake.self, #"{"a_b":1,"aB":2}"#, snake: true) == Snake(aB: 1))
        // Escaped spellings of the same key are the same key.
        #expect(try JSONTest.decode(Pair.self, #"{"\u0061":1,"b":2,"a":3}"#) == Pair(a: 1, b: 2))
    }

    @Test func manyKeysInAnObject() throws {
        let keys = (0..<300).map { "k\($0)" }
        let text = "{" + keys.enumerated().map { "\"\($1)\":\($0)" }.joined(separator: ",") + "}"
        let decoded = try JSONTest.decode([String: Int].self, text)
        #expect(decoded.count == 300)
        #expect(decoded["k299"] == 299)
    }

    /// A struct with many members, decoded from objects whose keys repeat, collide in the
    /// indexer's filter, or come in another order: always the first occurrence, as Foundation.
    struct Wide: Codable, Equatable {
        var k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0, k8 = 0, k9 = 0
        var k10 = 0, k11 = 0, k12 = 0, k13 = 0, k14 = 0, k15 = 0, k16 = 0, k17 = 0, k18 = 0, k19 = 0
    }

    @Test func duplicatesAmongManyKeys() throws {
        var members = (0..<20).map { "\"k\($0)\":\($0)" }
        members.append("\"k5\":500")
        members.insert("\"k17\":-17", at: 3)
        var random = SplitMix64(seed: 1234)
        members.shuffle(using: &random)
        let text = "{" + members.joined(separator: ",") + "}"
        let ours = try JSONTest.decode(Wide.self, text)
        #expect(ours == (try JSONTest.foundationDecode(Wide.self, text)), "\(text)")
    }

    struct NearMisses: Codable, Equatable {
        let orderId: Int
        let ordered: Int
        let oRdErId: Int?
        let aB: Int
        let ab: Int
    }

    @Test func keysThatLookAlikeAreNotDuplicates() throws {
        // `order_id` and `ordered` share the snake-case filter's fingerprint (7 letters, o…d);
        // `a_b`/`ab` differ only by an underscore. None of them are the same key.
        let text = #"{"order_id":1,"ordered":2,"a_b":3,"ab":4}"#
        let ours = try JSONTest.decode(NearMisses.self, text, snake: true)
        #expect(ours == NearMisses(orderId: 1, ordered: 2, oRdErId: nil, aB: 3, ab: 4))
        #expect(ours == (try JSONTest.foundationDecode(NearMisses.self, text, snake: true)))
    }
}

@Suite("Large documents")
struct LargeDocumentTests {
    @Test func largeDocumentsThenSmallOnesWithTheSameCoders() throws {
        let decoder = FastJSONDecoder()
        let big = "[" + Array(repeating: "0", count: 1_200_000).joined(separator: ",") + "]"
        #expect(try decoder.decode([Int].self, from: Array(big.utf8)).count == 1_200_000)
        #expect(try decoder.decode([Int].self, from: Array("[1,2]".utf8)) == [1, 2])
        let encoder = FastJSONEncoder()
        let text = String(repeating: "a", count: 17_000_000)
        #expect(try encoder.encode([text]).count == 17_000_004)
        #expect(try encoder.encode([1]) == Array("[1]".utf8))
    }
}
