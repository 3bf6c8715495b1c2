import Foundation
import SluiceJSON
import SluiceTestSupport
import Testing

@Suite("Writer (JSONWritable) and JSONCodec")
struct WriterTests {
    /// Members of every kind the writer writes, with a hand-written writer and reader that follow
    /// the synthesized Codable conformance under the snake_case strategies.
    struct Sample: Codable, Equatable, JSONWritable, JSONReadable {
        var text: String
        var count: Int
        var big: Int64
        var unsigned: UInt64
        var ratio: Double
        var small: Float
        var flag: Bool
        var tags: [String]
        var note: String?
        var nested: [Inner]

        struct Inner: Codable, Equatable, JSONWritable, JSONReadable {
            var innerValue: Double
            init(innerValue: Double) { self.innerValue = innerValue }
            func write(json: inout JSONWriter) throws { try json.object { try $0.member("inner_value", innerValue) } }
            init(json: JSONReader) throws { innerValue = try json.object().double("inner_value") }
        }

        init(text: String, count: Int, big: Int64, unsigned: UInt64, ratio: Double, small: Float, flag: Bool, tags: [String], note: String?, nested: [Inner]) {
            (self.text, self.count, self.big, self.unsigned, self.ratio, self.small, self.flag, self.tags, self.note, self.nested) =
                (text, count, big, unsigned, ratio, small, flag, tags, note, nested)
        }

        func write(json: inout JSONWriter) throws {
            try json.object { o in
                o.member("text", text)
                o.member("count", count)
                o.member("big", big)
                o.member("unsigned", unsigned)
                try o.member("ratio", ratio)
                try o.member("small", small)
                o.member("flag", flag)
                try o.member("tags", tags)
                try o.memberIfPresent("note", note)
                try o.member("nested", nested)
            }
        }

        init(json: JSONReader) throws {
            let o = try json.object()
            text = try o.string("text")
            count = try o.int("count")
            big = try o.int64("big")
            unsigned = try o.uint64("unsigned")
            ratio = try o.double("ratio")
            small = try o.float("small")
            flag = try o.bool("flag")
            tags = try o.array("tags").map { try $0.string() }
            note = try o.valueIfPresent("note").flatMap { $0.isNull ? nil : try $0.string() }
            nested = try o.array("nested").map { try Inner(json: $0) }
        }
    }

    static let texts = [
        "", "a", "plain ascii", "quote \" and backslash \\ and slash /", "\n\r\t\u{8}\u{c}", "\u{0}\u{1}\u{1f}\u{7f}",
        "é ü 日本 🎉", String(repeating: "x", count: 15), String(repeating: "y", count: 16), String(repeating: "long \"text\" ", count: 40),
    ]
    static let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1.5, 12.0, 97.48800000000001, 1e20, 1e21, 1e-7, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -123456.789]
    static let integers: [Int64] = [0, 1, -1, 9, 10, 99, 100, 1_700_000_000_040, .max, .min]

    static func samples() -> [Sample] {
        var random = SplitMix64(seed: 77)
        return (0..<300).map { n in
            Sample(
                text: texts[n % texts.count], count: Int(integers[n % integers.count]), big: integers[(n + 3) % integers.count],
                unsigned: n % 7 == 0 ? .max : UInt64(n), ratio: doubles[n % doubles.count], small: Float(n) / 8 - 3.25,
                flag: n % 2 == 0, tags: Array(texts.prefix(n % 4)), note: n % 3 == 0 ? nil : texts[(n + 1) % texts.count],
                nested: (0..<(n % 3)).map { _ in Sample.Inner(innerValue: Double(random.next() % 1_000_000) / 1000) })
        }
    }

    @Test func writesWhatTheEncoderWritesAndReadsBack() throws {
        let encoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)
        let decoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
        for sample in Self.samples() {
            let written = try sample.jsonBytes()
            #expect(written == (try encoder.encode(sample)), "\(sample)")
            #expect(try FastJSONDecoder().read(Sample.self, from: written) == sample)
            #expect(try decoder.decode(Sample.self, from: written) == sample)
            // Foundation reads it too, to the same value.
            let foundation = JSONDecoder()
            foundation.keyDecodingStrategy = .convertFromSnakeCase
            #expect(try foundation.decode(Sample.self, from: Data(written)) == sample)
        }
    }

    @Test func writeAppendsAndLeavesBytesAloneOnError() throws {
        var bytes = Array("prefix:".utf8)
        try Sample.Inner(innerValue: 2.5).writeJSON(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"prefix:{"inner_value":2.5}"#)
        for bad in [Double.nan, .infinity, -.infinity] {
            var kept = bytes
            do {
                try Sample.Inner(innerValue: bad).writeJSON(into: &kept)
                Issue.record("wrote \(bad)")
            } catch let error as JSONError {
                #expect(error.kind == .nonConformingFloat)
                #expect(error.description.contains("inner_value"), "\(error)")
            }
            #expect(kept == bytes)
        }
    }

    /// `withJSON` hands over the same text as `jsonBytes`, from stack memory for short values
    /// and through the spill array for long ones (over 512 bytes: strings of 480 bytes here).
    @Test func withJSONHandsOverTheTextOfShortAndLongValues() throws {
        var spill = Array("stale".utf8)
        var sawLong = false
        for sample in Self.samples() {
            let expected = try sample.jsonBytes()
            var seen: [UInt8] = []
            try sample.withJSON(spill: &spill) { seen = Array($0) }
            #expect(seen == expected, "\(sample)")
            sawLong = sawLong || expected.count > 512
        }
        #expect(sawLong, "no sample exceeded the stack memory")
        #expect(spill.capacity > 512, "the spill array was not used for long values")
    }

    @Test func withJSONDoesNotCallTheBodyWhenWritingFailsAndRethrowsTheBodysError() throws {
        struct BodyFailure: Error {}
        var spill: [UInt8] = []
        var called = false
        #expect(throws: JSONError.self) {
            try Sample.Inner(innerValue: .nan).withJSON(spill: &spill) { _ in called = true }
        }
        #expect(!called)
        #expect(throws: BodyFailure.self) {
            try Sample.Inner(innerValue: 1).withJSON(spill: &spill) { _ in throw BodyFailure() }
        }
    }

    @Test func containersAndCommas() throws {
        var writer = JSONWriter()
        try writer.array { a in
            a.int(1)
            a.null()
            a.object { o in
                o.key("k")
                o.array { $0.string("x"); $0.bool(false) }
                o.member("e", "")
                o.key("empty")
                o.object { _ in }
            }
            a.array { _ in }
            try a.double(0.5)
            a.uint64(.max)
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"[1,null,{"k":["x",false],"e":"","empty":{}},[],0.5,18446744073709551615]"#)
        // Keys are escaped as strings are.
        var escaped = JSONWriter()
        escaped.object { o in o.member("a\"b", 1) }
        #expect(String(decoding: escaped.bytes, as: UTF8.self) == #"{"a\"b":1}"#)
    }

    // MARK: JSONCodec

    struct CodableOnly: Codable, Equatable {
        var orderId: String
        var lineItems: [Int]
    }

    @Test func codecPicksThePathOnceAndRoundTrips() throws {
        let fast = JSONCodec<Sample>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
        #expect(fast.readsDirectly && fast.writesDirectly)
        let slow = JSONCodec<CodableOnly>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
        #expect(!slow.readsDirectly && !slow.writesDirectly)

        for sample in Self.samples().prefix(50) {
            var bytes: [UInt8] = [0x20]
            try fast.encode(sample, into: &bytes)
            #expect(try fast.decode(Array(bytes.dropFirst())) == sample)
        }
        let value = CodableOnly(orderId: "o-1", lineItems: [1, 2])
        let bytes = try slow.encode(value)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"order_id":"o-1","line_items":[1,2]}"#)
        #expect(try slow.decode(bytes) == value)
        // Failures keep their kinds: DecodingError on the Codable path, JSONError on the reader's.
        #expect(throws: DecodingError.self) { try slow.decode(Array(#"{"order_id":1,"line_items":[]}"#.utf8)) }
        #expect(throws: JSONError.self) { try fast.decode(Array(#"{"text":1}"#.utf8)) }
    }

    @Test func codecIsSafeToShareAcrossThreads() async throws {
        let codec = JSONCodec<Sample>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
        let samples = Self.samples()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bytes: [UInt8] = []
                    for round in 0..<200 {
                        let sample = samples[(worker * 31 + round) % samples.count]
                        bytes.removeAll(keepingCapacity: true)
                        try codec.encode(sample, into: &bytes)
                        guard try codec.decode(bytes) == sample else { throw JSONError(.typeMismatch, offset: nil, "round trip differs") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: Strings matched as bytes

    enum Color: String { case red, green }

    @Test func stringsMatchedAsBytes() throws {
        let match: (UnsafeRawBufferPointer) -> Color? = { bytes in Color(rawValue: String(decoding: bytes, as: UTF8.self)) }
        try FastJSONDecoder().read(Array(#"{"a":"red","b":"gr\u0065en","c":"blue","d":7,"e":["red"]}"#.utf8)) { root in
            let o = try root.object()
            #expect(try o.string("a", matching: match) == .red)
            #expect(try o.string("b", matching: match) == .green)  // escapes decoded first
            #expect(try o.array("e").map { try $0.string(matching: match) } == [.red])
            do {
                _ = try o.string("c", matching: match)
                Issue.record("matched blue")
            } catch let error as JSONError {
                #expect(error.kind == .invalidValue)
                #expect(error.codingPath.map(\.stringValue) == ["c"])
                #expect(error.description.contains("blue"), "\(error)")
            }
            #expect(throws: JSONError.self) { try o.string("d", matching: match) }
            #expect(throws: JSONError.self) { try o.string("missing", matching: match) }
        }
    }
}

/// Duplicate keys and snake_case spellings in random objects: the lookup shortcuts (the
/// indexer's key filter, the duplicate check, the cached snake_case spellings) must always give
/// what Foundation gives, the first occurrence of a key.
@Suite("Key lookups against Foundation")
struct KeyLookupTests {
    struct Five: Codable, Equatable {
        var alpha: Int?
        var betaGamma: Int?
        var aBC: Int?
        var item2B: Int?
        var x: Int?
    }

    /// Spellings that convert (or not) to Five's names under convertFromSnakeCase.
    static let snakeSpellings = ["alpha", "Alpha", "ALPHA", "beta_gamma", "betaGamma", "BETA_GAMMA", "beta__gamma", "_beta_gamma", "a_b_c", "a_bc", "aBC", "item2_b", "item_2b", "item2B", "x", "X", "_x", "x_", "other", "beta_gamma_"]
    static let plainSpellings = ["alpha", "betaGamma", "aBC", "item2B", "x", "X", "alphA", "other", "bet", "betaGamma2"]

    static func randomDocument(_ random: inout SplitMix64, spellings: [String]) -> String {
        let members = (0..<Int(random.next() % 12)).map { _ in
            "\"\(spellings[Int(random.next() % UInt64(spellings.count))])\":\(random.next() % 100)"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test(arguments: [false, true])
    func randomObjectsDecodeAsFoundationDecodesThem(snake: Bool) throws {
        var random = SplitMix64(seed: snake ? 5 : 6)
        let spellings = snake ? Self.snakeSpellings : Self.plainSpellings
        for _ in 0..<2_000 {
            let text = Self.randomDocument(&random, spellings: spellings)
            let ours = try JSONTest.decode(Five.self, text, snake: snake)
            let theirs = try JSONTest.foundationDecode(Five.self, text, snake: snake)
            guard ours == theirs else {
                Issue.record("\(text): ours \(ours), Foundation \(theirs)")
                return
            }
        }
    }

    /// More names than the snake_case cache keeps: later names take the long way, correctly.
    struct Many: Decodable {
        var values: [String: Int] = [:]
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for n in 0..<120 {
                let name = "fieldNumber\(n)Value"
                values[name] = try container.decodeIfPresent(Int.self, forKey: Key(stringValue: name))
            }
        }
    }

    @Test func manyNamesUnderSnakeCase() throws {
        let text = "{" + (0..<120).map { "\"field_number\($0)_value\":\($0)" }.joined(separator: ",") + "}"
        let decoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
        for _ in 0..<3 {
            let many = try decoder.decode(Many.self, from: Array(text.utf8))
            #expect(many.values.count == 120)
            #expect(many.values.allSatisfy { $0.key == "fieldNumber\($0.value)Value" })
        }
    }

    /// Short strings take the small-string path (their two words stored as they are): every
    /// length up to 15 and past it, with each character that needs an escape at each position
    /// and non-ASCII text, must come out as `FastJSONEncoder` writes them, inside an object and
    /// an array (commas, keys).
    @Test func shortStringsAreWrittenAsTheEncoderWritesThem() throws {
        struct Text: Codable, JSONWritable {
            var value: String
            var list: [String]
            func write(json: inout JSONWriter) throws {
                try json.object { o in
                    o.member("value", value)
                    try o.member("list", list)
                }
            }
        }
        var samples: [String] = []
        for length in 0...17 {
            let plain = String((0..<length).map { Character(UnicodeScalar(UInt8(0x61 + $0 % 26))) })
            samples.append(plain)
            for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "é", "\u{7F}"] where length > 0 {
                for position in [0, length / 2, length - 1] {
                    var characters = Array(plain)
                    characters[position] = Character(special)
                    samples.append(String(characters))
                }
            }
        }
        let encoder = FastJSONEncoder()
        for sample in samples {
            let text = Text(value: sample, list: [sample, "x", sample])
            #expect(try text.jsonBytes() == encoder.encode(text), "\(sample.debugDescription)")
        }
    }

    @Test func smallASCIIStringsFromBytes() {
        for length in 0...15 {
            let bytes = (0..<length).map { UInt8(0x30 + $0) }
            let made = bytes.withUnsafeBytes { SmallString.ascii($0) }
            #expect(made == String(decoding: bytes, as: UTF8.self))
        }
        #expect(Array(repeating: UInt8(0x41), count: 16).withUnsafeBytes { SmallString.ascii($0) } == nil, "16 bytes is not small")
        #expect([UInt8(0x61), 0xC3, 0xA9].withUnsafeBytes { SmallString.ascii($0) } == nil, "not ASCII")
    }
}
