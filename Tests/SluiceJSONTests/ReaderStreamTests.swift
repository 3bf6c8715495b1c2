import SluiceJSON
import SluiceTestSupport
import Testing

/// The streaming reader (members read in one pass when asked for in document order) against
/// the indexed paths: the same values, the same errors, whatever order keys are asked for in.
@Suite("Reader: streaming, fallbacks and errors")
struct ReaderStreamTests {
    /// A Codable twin of what `Event.init(json:)` reads, for cross-checks.
    struct Event: Codable, Equatable, JSONReadable {
        struct Item: Codable, Equatable, JSONReadable {
            var sku: String
            var qty: Int
            var price: Double

            init(json: JSONReader) throws {
                let o = try json.object()
                sku = try o.string("sku")
                qty = try o.int("qty")
                price = try o.double("price")
            }
        }
        var orderId: String
        var amount: Double
        var items: [Item]
        var paid: Bool
        var note: String?
        var ts: Int64

        init(json: JSONReader) throws {
            let o = try json.object()
            orderId = try o.string("order_id")
            amount = try o.double("amount")
            items = try o.array("items").map { try Item(json: $0) }
            paid = try o.bool("paid")
            note = try o.valueIfPresent("note").flatMap { $0.isNull ? nil : try $0.string() }
            ts = try o.int64("ts")
        }

        enum CodingKeys: String, CodingKey {
            case orderId = "order_id", amount, items, paid, note, ts
        }
    }

    static func read<T>(_ text: String, _ body: (JSONReader) throws -> T) throws -> T {
        try FastJSONDecoder().read(Array(text.utf8), body)
    }

    @Test func keysInAnyOrder() throws {
        let text = #"{"a":1,"b":"two","c":[3],"d":{"e":4.5}}"#
        let forward = try Self.read(text) { r in
            let o = try r.object()
            return (try o.int("a"), try o.string("b"), try o.array("c").map { try $0.int() }, try o.object("d").double("e"))
        }
        let backward = try Self.read(text) { r in
            let o = try r.object()
            let e = try o.object("d").double("e")
            let c = try o.array("c").map { try $0.int() }
            return (try o.int("a"), try o.string("b"), c, e)
        }
        #expect(forward.0 == 1 && forward.1 == "two" && forward.2 == [3] && forward.3 == 4.5)
        #expect(backward.0 == 1 && backward.1 == "two" && backward.2 == [3] && backward.3 == 4.5)
        // Skipping members, then going back for them.
        #expect(try Self.read(text) { r in let o = try r.object(); return (try o.object("d").double("e"), try o.int("a")) } == (4.5, 1))
    }

    @Test func duplicateKeysFirstOccurrenceWins() throws {
        #expect(try Self.read(#"{"a":1,"a":2}"#) { try $0.object().int("a") } == 1)
        #expect(try Self.read(#"{"a":1,"b":2,"a":3}"#) { r in let o = try r.object(); return [try o.int("a"), try o.int("b"), try o.int("a")] } == [1, 2, 1])
        #expect(try Self.read(#"{"b":0,"a":1,"a":2}"#) { r in let o = try r.object(); return [try o.int("b"), try o.int("a"), try o.int("a")] } == [0, 1, 1])
        // A key spelled with an escape is the same key.
        #expect(try Self.read(#"{"\u0061":1,"a":2}"#) { try $0.object().int("a") } == 1)
        #expect(try Self.read(#"{"x":0,"\u0061":1,"a":2}"#) { r in let o = try r.object(); return [try o.int("x"), try o.int("a")] } == [0, 1])
    }

    @Test func escapesWhitespaceAndUnicode() throws {
        let text = " {\n \"k\" : \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\" ,\t\"caf\u{e9}\" : \"\u{65e5}\u{672c}\" , \"long\":\"0123456789abcdefghij\" } \n"
        let (k, cafe, long) = try Self.read(text) { r in
            let o = try r.object()
            return (try o.string("k"), try o.string("caf\u{e9}"), try o.string("long"))
        }
        #expect(k == "a\"b\\c\n\u{e9}\u{1F600}")
        #expect(cafe == "\u{65e5}\u{672c}")
        #expect(long == "0123456789abcdefghij")
        // Every short length, ASCII and not, makes the same string the standard library makes.
        for n in 0...17 {
            for prefix in ["", "\u{e9}"] {
                let s = prefix + String(repeating: "x", count: n)
                #expect(try Self.read("[\"\(s)\"]") { r in try r.array().map { try $0.string() } } == [s])
            }
        }
    }

    @Test func numbersMatchTheIndexedPath() throws {
        let literals = [
            "0", "-0", "7", "-7", "12345678", "123456789", "1234567890123456789", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "18446744073709551615", "18446744073709551616", "1.5", "-0.0", "1e3", "1E+3", "2.50e1", "0.1",
            "487.44", "3.14159265358979", "1.7976931348623157e308", "5e-324", "1e400", "123456789.123456789", "0.000001",
        ]
        for literal in literals {
            for wrapped in ["[\(literal)]", "{\"n\":\(literal),\"pad\":\"................................\"}", literal] {
                func both<T: Equatable & Decodable>(_ type: T.Type, _ read: (JSONReader) throws -> T) {
                    let codable = try? FastJSONDecoder().decode(JSONValueBox<T>.self, from: Array("[\(literal)]".utf8)).value
                    let streamed = try? Self.read(wrapped) { r -> T in
                        switch r.kind {
                        case .array: return try read(try r.array().map { $0 }[0])
                        case .object: return try read(try r.object().value("n"))
                        default: return try read(r)
                        }
                    }
                    #expect(codable == streamed, "\(literal) as \(T.self) in \(wrapped)")
                }
                both(Int.self) { try $0.int() }
                both(Int64.self) { try $0.int64() }
                both(UInt64.self) { try $0.uint64() }
                both(Double.self) { try $0.double() }
                both(Float.self) { try $0.float() }
            }
        }
        let leadingZero = JSONTest.jsonError { _ = try Self.read("[01]") { try $0.array().map { try $0.int() } } }
        #expect(leadingZero?.kind == .invalidNumber)
    }

    /// `[value]` through Codable: the reference for one number.
    struct JSONValueBox<T: Decodable>: Decodable {
        var value: T
        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            value = try c.decode(T.self)
        }
    }

    @Test func syntaxErrorsWinOverReaderErrors() throws {
        // The member read first is fine, the bytes after it are not: the syntax error.
        let tail = JSONTest.jsonError { _ = try Self.read(#"{"a":1,"b":tru}"#) { try $0.object().int("a") } }
        #expect(tail?.kind == .unexpectedByte(UInt8(ascii: "}")) && tail?.offset == 14)
        // A type error before a syntax error: the syntax error, as if indexed first.
        let type = JSONTest.jsonError { _ = try Self.read(#"{"a":"x","b":[1,]}"#) { try $0.object().int("a") } }
        #expect(type?.kind == .unexpectedByte(UInt8(ascii: "]")) && type?.offset == 16)
        // Whatever the body throws.
        struct Mine: Error {}
        let mine = JSONTest.jsonError { _ = try Self.read(#"{"a":1}}"#) { _ -> Int in throw Mine() } }
        #expect(mine?.kind == .trailingContent && mine?.offset == 7)
        // Trailing content and an empty input.
        #expect(JSONTest.jsonError { _ = try Self.read(#"{"a":1} x"#) { try $0.object().int("a") } }?.kind == .trailingContent)
        #expect(JSONTest.jsonError { _ = try Self.read("  ") { $0.kind } }?.kind == .unexpectedEndOfInput)
        // Errors of a valid document keep their offsets and paths.
        let deep = JSONTest.jsonError { _ = try Self.read(#"{"x":[{"q":1},{"q":"2"}]}"#) { r in try r.object().array("x").map { try $0.object().int("q") } } }
        #expect(deep?.kind == .typeMismatch && deep?.offset == 19 && JSONTest.pathString(deep?.codingPath ?? []) == "x/[1]/q")
        let missing = JSONTest.jsonError { _ = try Self.read(#"{"x":{"q":1}}"#) { r in try r.object().object("x").int("r") } }
        #expect(missing?.kind == .keyNotFound && missing?.offset == 5 && JSONTest.pathString(missing?.codingPath ?? []) == "x")
    }

    @Test func everyTruncationIsRejected() throws {
        let line = Array(#"{"order_id":"ord-1","amount":487.44,"items":[{"sku":"S-1","qty":3,"price":162.48},{"sku":"S-2","qty":1,"price":0.5}],"paid":true,"note":null,"ts":1700000000040}"#.utf8)
        let whole = try FastJSONDecoder().read(Event.self, from: line)
        #expect(whole.items.count == 2 && whole.note == nil && whole.paid)
        for n in 0..<line.count {
            let prefix = Array(line.prefix(n))
            let error = JSONTest.jsonError { _ = try FastJSONDecoder().read(Event.self, from: prefix) }
            let indexed = JSONTest.jsonError { _ = try FastJSONDecoder().decode(JSONValue.self, from: prefix) }
            #expect(error != nil && error?.kind == indexed?.kind && error?.offset == indexed?.offset, "prefix of \(n) bytes")
        }
    }

    @Test func readersKeptPastTheReadThrow() throws {
        let decoder = FastJSONDecoder()
        var kept: (JSONObjectReader, JSONArrayReader, JSONReader)?
        _ = try decoder.read(Array(#"{"a":[1,2],"b":"x"}"#.utf8)) { r in
            let o = try r.object()
            kept = (o, try o.array("a"), try o.value("b"))
        }
        // Another read in between, on the same state.
        #expect(try decoder.read(Array(#"{"a":[3],"b":"y"}"#.utf8)) { try $0.object().string("b") } == "y")
        guard let (o, a, b) = kept else { return }
        #expect(JSONTest.jsonError { _ = try o.string("b") }?.kind == .decoderUsedAfterReturn)
        #expect(JSONTest.jsonError { _ = try b.string() }?.kind == .decoderUsedAfterReturn)
        #expect(Array(a).isEmpty)
    }

    @Test func arraysIteratedTwiceAndPartly() throws {
        let result = try Self.read(#"{"a":[[1,2],[3],[]],"b":7}"#) { r in
            let o = try r.object()
            let a = try o.array("a")
            var first: [Int] = []
            for inner in a {
                first.append(try inner.array().map { try $0.int() }.reduce(0, +))
                break
            }
            let again = try a.map { try $0.array().map { try $0.int() } }
            return (first, again, a.count, try o.int("b"))
        }
        #expect(result.0 == [3] && result.1 == [[1, 2], [3], []] && result.2 == 3 && result.3 == 7)
    }

    /// Random events with shuffled and extra members, optional ones left out, and damage: the
    /// reader gives exactly what Codable gives, or fails when Codable fails.
    @Test func randomizedAgainstCodable() throws {
        var random = SplitMix64(seed: 2024)
        var agreed = 0
        for round in 0..<3000 {
            var members: [String] = []
            members.append("\"order_id\":\"ord-\(random.int(0...99999))\"")
            members.append("\"amount\":\(Double(random.int(0...1_000_000)) / 100)")
            members.append("\"paid\":\(random.chance(0.5))")
            members.append("\"ts\":\(Int64(bitPattern: random.next()) / 1000)")
            var items: [String] = []
            for _ in 0..<random.int(0...3) {
                var item: [String] = ["\"sku\":\"S\(random.int(0...999))\"", "\"qty\":\(random.int(-5...500))", "\"price\":\(random.int(0...99999))e-2"]
                if random.chance(0.2) { item.shuffle(using: &random) }
                if random.chance(0.1) { item.append("\"sku\":\"dup\"") }
                items.append("{" + item.joined(separator: ",") + "}")
            }
            members.append("\"items\":[" + items.joined(separator: ",") + "]")
            if random.chance(0.5) { members.append("\"note\":" + (random.chance(0.3) ? "null" : "\"n\\u00e9 \(random.int(0...9))\"")) }
            if random.chance(0.3) { members.append("\"extra\":" + GeneratedDocumentTests.value(&random)) }
            if random.chance(0.3) { members.shuffle(using: &random) }
            var bytes = Array(("{" + members.joined(separator: random.pick([",", " , "])) + "}").utf8)
            if round % 3 == 0 && !bytes.isEmpty {
                let at = random.int(0...(bytes.count - 1))
                bytes[at] = random.pick(Array("{}[],:\"\\-.e0 x".utf8))
            }
            let codable = try? FastJSONDecoder().decode(Event.self, from: bytes)
            let read = try? FastJSONDecoder().read(Event.self, from: bytes)
            #expect(codable == read, "\(String(decoding: bytes, as: UTF8.self))")
            if codable == read { agreed += 1 }
            // Syntax errors are the same error either way.
            if codable == nil, let indexed = JSONTest.jsonError({ _ = try FastJSONDecoder().decode(JSONValue.self, from: bytes) }) {
                let streamed = JSONTest.jsonError { _ = try FastJSONDecoder().read(Event.self, from: bytes) }
                #expect(streamed?.kind == indexed.kind && streamed?.offset == indexed.offset)
            }
        }
        #expect(agreed == 3000)
    }
}
