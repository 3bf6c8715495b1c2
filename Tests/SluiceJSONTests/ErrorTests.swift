import Foundation
import SluiceJSON
import Testing

@Suite("Errors: DecodingError cases, paths and offsets")
struct ErrorTests {
    struct Item: Codable { let sku: String; let qty: Int }
    struct Order: Codable {
        let orderId: String
        let items: [Item]
        let note: String?
    }

    /// The case name, coding path and (for ours) byte offset of a decoding failure, from both
    /// decoders, for the same input.
    static func both<T: Decodable>(_ type: T.Type, _ text: String, snake: Bool = true) -> (ours: DecodingError?, foundation: DecodingError?) {
        (JSONTest.decodingError { _ = try JSONTest.decode(type, text, snake: snake) },
         JSONTest.decodingError { _ = try JSONTest.foundationDecode(type, text, snake: snake) })
    }

    static func describe(_ error: DecodingError?) -> String {
        switch error {
        case .typeMismatch(_, let c)?: "typeMismatch " + JSONTest.pathString(c.codingPath)
        case .valueNotFound(_, let c)?: "valueNotFound " + JSONTest.pathString(c.codingPath)
        case .keyNotFound(let key, let c)?: "keyNotFound \(key.stringValue) at " + JSONTest.pathString(c.codingPath)
        case .dataCorrupted(let c)?: "dataCorrupted " + JSONTest.pathString(c.codingPath)
        case nil: "none"
        @unknown default: "unknown"
        }
    }

    @Test func casesAndPathsMatchFoundation() {
        let documents = [
            #"{"order_id":"o","items":[{"sku":"a","qty":1},{"sku":"b","qty":"2"}]}"#,  // typeMismatch at items/[1]/qty
            #"{"order_id":"o","items":[{"sku":"a","qty":1},{"qty":2}]}"#,  // keyNotFound sku at items/[1]
            #"{"order_id":"o","items":[{"sku":null,"qty":1}]}"#,  // valueNotFound at items/[0]/sku
            #"{"order_id":"o","items":null}"#,  // valueNotFound at items
            #"{"order_id":"o","items":{}}"#,  // typeMismatch at items
            #"{"order_id":7,"items":[]}"#,  // typeMismatch at orderId
            #"{"items":[]}"#,  // keyNotFound orderId
            #"[]"#,  // typeMismatch at root
            #"{"order_id":"o","items":[],"note":5}"#,  // typeMismatch at note
        ]
        for text in documents {
            let (ours, foundation) = Self.both(Order.self, text)
            #expect(Self.describe(ours) == Self.describe(foundation), "\(text)")
        }
    }

    @Test func underlyingErrorCarriesOffsetAndPath() throws {
        let text = #"{"order_id":"o","items":[{"sku":"a","qty":1},{"sku":"b","qty":"2"}]}"#
        let error = JSONTest.jsonError { _ = try JSONTest.decode(Order.self, text, snake: true) }
        #expect(error?.kind == .typeMismatch)
        #expect(error?.offset == text.utf8.count - 6)  // the opening quote of "2"
        #expect(JSONTest.pathString(error?.codingPath ?? []) == "items/[1]/qty")
        #expect(error?.description.contains("items[1].qty") == true)
    }

    @Test func syntaxErrorsAreDataCorruptedWithOffsets() {
        let cases: [(String, Int, JSONError.Kind)] = [
            ("[1,2,]", 5, .unexpectedByte(UInt8(ascii: "]"))),
            (#"{"a":1,}"#, 7, .unexpectedByte(UInt8(ascii: "}"))),
            ("[01]", 1, .invalidNumber),
            ("[1.]", 3, .invalidNumber),
            ("[-]", 2, .invalidNumber),
            ("[1e]", 3, .invalidNumber),
            (#"{"a" 1}"#, 5, .unexpectedByte(UInt8(ascii: "1"))),
            ("[1 2]", 3, .unexpectedByte(UInt8(ascii: "2"))),
            ("[1] x", 4, .trailingContent),
            ("", 0, .unexpectedEndOfInput),
            ("   ", 3, .unexpectedEndOfInput),
            ("[tru]", 4, .unexpectedByte(UInt8(ascii: "]"))),
            ("{'a':1}", 1, .unexpectedByte(UInt8(ascii: "'"))),
        ]
        for (text, offset, kind) in cases {
            let error = JSONTest.decodingError { _ = try JSONTest.decode(JSONValue.self, text) }
            guard case .dataCorrupted(let context)? = error, let json = context.underlyingError as? JSONError else {
                Issue.record("\(text): \(String(describing: error))")
                continue
            }
            #expect(json.kind == kind, "\(text): \(json)")
            #expect(json.offset == offset, "\(text): \(json)")
            #expect(context.codingPath.isEmpty)
        }
    }

    @Test func depthLimit() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let error = JSONTest.jsonError { _ = try JSONTest.decode(JSONValue.self, deep) }
        #expect(error?.kind == .tooDeep(limit: 512))
        #expect(error?.offset == 512)
        var decoder = FastJSONDecoder()
        decoder.maximumDepth = 1000
        #expect(throws: Never.self) { try decoder.decode(JSONValue.self, from: Array(deep.utf8)) }
        decoder.maximumDepth = .max
        #expect(try decoder.decode([[Int]].self, from: Array("[[1]]".utf8)) == [[1]])
        decoder.maximumDepth = 0
        #expect(try decoder.decode(Int.self, from: Array("1".utf8)) == 1)
        #expect(JSONTest.jsonError { _ = try decoder.decode([Int].self, from: Array("[]".utf8)) }?.kind == .tooDeep(limit: 0))
    }

    /// Keeps the decoder it was decoded with (a misuse the decoder must survive).
    struct Keeper: Decodable {
        let decoder: any Decoder
        init(from decoder: any Decoder) throws { self.decoder = decoder }
    }

    @Test func decoderKeptPastTheDecodeThrowsInsteadOfReading() throws {
        let decoder = FastJSONDecoder()
        let kept = try decoder.decode(Keeper.self, from: Array(#"{"a":"b"}"#.utf8)).decoder
        struct A: Decodable { let a: String }
        let error = JSONTest.jsonError { _ = try A(from: kept) }
        #expect(error?.kind == .decoderUsedAfterReturn)
        // The decoder itself is unharmed and keeps working.
        #expect(try decoder.decode([String: String].self, from: Array(#"{"a":"c"}"#.utf8)) == ["a": "c"])
    }
}
