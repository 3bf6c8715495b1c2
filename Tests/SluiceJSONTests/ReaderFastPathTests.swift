import Foundation
import SluiceJSON
import SluiceTestSupport
import Testing

/// The reader's fast paths (the compact member step, short ASCII strings and short decimals read
/// from a 16-byte window) against the general route and Codable: every value is placed where
/// each path takes it (compact member, member with whitespace, array element, the last bytes of
/// the input, inputs shorter than a word), and the results and errors must be the same.
@Suite("Reader: fast paths at their edges")
struct ReaderFastPathTests {
    static func read<T>(_ text: String, _ body: (JSONReader) throws -> T) throws -> T {
        try FastJSONDecoder().read(Array(text.utf8), body)
    }

    /// The places a value is read from: the compact member step (first and later members, the
    /// last bytes of the document), the general member route (whitespace), and elements.
    static func placements(_ literal: String) -> [(text: String, read: (JSONReader, (JSONReader) throws -> Any) throws -> Any)] {
        let member: (JSONReader, (JSONReader) throws -> Any) throws -> Any = { r, get in try get(try r.object().value("v")) }
        let second: (JSONReader, (JSONReader) throws -> Any) throws -> Any = { r, get in
            let o = try r.object()
            _ = try o.int("a")
            return try get(try o.value("v"))
        }
        let element: (JSONReader, (JSONReader) throws -> Any) throws -> Any = { r, get in try get(try r.array().map { $0 }[0]) }
        let top: (JSONReader, (JSONReader) throws -> Any) throws -> Any = { r, get in try get(r) }
        return [
            (#"{"v":\#(literal)}"#, member),
            (#"{"v":\#(literal),"pad":"................................"}"#, member),
            (#"{"a":1,"v":\#(literal)}"#, second),
            (#"{ "a" : 1 , "v" : \#(literal) }"#, second),
            ("[\(literal)]", element),
            ("[\(literal),\"................................\"]", element),
            (literal, top),
            (" \(literal) ", top),
        ]
    }

    /// `literal` read as `T` by `get` wherever it can be, against Codable on `[literal]`.
    static func agree<T: Decodable & Equatable>(_ literal: String, _ type: T.Type, _ get: @escaping (JSONReader) throws -> T) {
        let reference = try? FastJSONDecoder().decode([T].self, from: Array("[\(literal)]".utf8))[0]
        for (text, read) in placements(literal) {
            let value = try? Self.read(text) { r in try read(r, { try get($0) }) as? T }
            #expect(value == reference, "\(literal) as \(T.self) in \(text)")
        }
    }

    /// Typed getters (`o.double("v")`: the compact step and its fallback) against Codable.
    static func agreeAsMember<T: Decodable & Equatable>(_ literal: String, _ type: T.Type, _ get: (JSONObjectReader) throws -> T) {
        let reference = try? FastJSONDecoder().decode([T].self, from: Array("[\(literal)]".utf8))[0]
        for text in [#"{"v":\#(literal)}"#, #"{"v":\#(literal),"w":0}"#, #"{"w":0,"v":\#(literal)}"#, #"{"v" :\#(literal)}"#] {
            let value = try? Self.read(text) { r -> T in
                let o = try r.object()
                if text.hasPrefix(#"{"w""#) { _ = try o.int("w") }
                return try get(o)
            }
            #expect(value == reference, "\(literal) as \(T.self) in \(text)")
        }
    }

    @Test func numbersAtTheEdgesOfTheShortPath() throws {
        var literals: Set<String> = [
            "0", "-0", "0.0", "-0.0", "00", "01", "-01", "0.", "1.", ".5", "-", "-.5", "1.e3", "1e", "1e3", "1E-3", "1.5e3", "1.5E+3", "2.50e1",
            "9007199254740992", "9007199254740993", "9007199254740991.5", "123456789012345", "1234567890123456", "12345678901234567",
            "0.123456789012345", "0.1234567890123456", "1234567.1234567", "12345678.12345678", "999999999999999.9999", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "18446744073709551615", "18446744073709551616", "487.44", "162.48", "1700000000040",
            "1.00000000000000000001", "3.14159265358979", "5e-324", "1e400", "1x", "12345678x", "1.5x", "1.5.5", "--1", "+1", "1-", "1.5-",
        ]
        // Every split of up to 17 digits around a point, with and without a sign, and their
        // neighbours in the last digit.
        var random = SplitMix64(seed: 7)
        for integerDigits in 1...17 {
            for fractionDigits in 0...17 {
                var digits = (0..<(integerDigits + fractionDigits)).map { _ in Character(String(random.int(0...9))) }
                if integerDigits > 1 && digits[0] == "0" { digits[0] = "7" }
                var text = String(digits.prefix(integerDigits))
                if fractionDigits > 0 { text += "." + String(digits.suffix(fractionDigits)) }
                literals.insert(text)
                literals.insert("-" + text)
                if integerDigits == 1 { literals.insert("0" + String(text.dropFirst())) }
            }
        }
        for literal in literals.sorted() {
            Self.agree(literal, Double.self) { try $0.double() }
            Self.agree(literal, Int.self) { try $0.int() }
            Self.agree(literal, Int64.self) { try $0.int64() }
            Self.agree(literal, UInt64.self) { try $0.uint64() }
            Self.agreeAsMember(literal, Double.self) { try $0.double("v") }
            Self.agreeAsMember(literal, Int.self) { try $0.int("v") }
            Self.agreeAsMember(literal, Int64.self) { try $0.int64("v") }
            Self.agreeAsMember(literal, UInt64.self) { try $0.uint64("v") }
            // The decimal value itself: the standard library's correctly rounded parse.
            if let value = try? Self.read(#"{"v":\#(literal)}"#, { try $0.object().double("v") }) {
                #expect(value == Double(literal) && value.sign == Double(literal)?.sign, "\(literal)")
            }
        }
    }

    @Test func randomShortDecimalsMatchTheStandardLibrary() throws {
        var random = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let integer = String(random.int(0...Int(pow(10, Double(random.int(1...9))))))
            let fraction = String(repeating: "0", count: random.int(0...3)) + String(random.int(0...999_999))
            let literal = (random.chance(0.3) ? "-" : "") + integer + (random.chance(0.8) ? "." + fraction : "")
            let expected = Double(literal)
            let text = random.chance(0.5) ? #"{"v":\#(literal),"k":"x"}"# : #"{"v":\#(literal)}"#
            let value = try Self.read(text) { try $0.object().double("v") }
            #expect(value == expected && value.sign == expected?.sign, "\(literal)")
        }
    }

    @Test func shortStringsEveryLengthAndEveryBreak() throws {
        // ASCII, non-ASCII, escapes, control characters, a quote, at each position of strings
        // of 0 to 20 bytes; each as a compact member, after whitespace, as an element, and at
        // the very end of the input.
        let breaks: [String] = ["a", "\u{e9}", "\\n", "\\\"", "\\u00e9", "\\/", "\u{1}", "\u{7f}", "\u{1F600}"]
        for length in 0...20 {
            for position in 0...max(0, length - 1) {
                for brk in breaks where length > 0 || brk == "a" {
                    let plain = Array(repeating: "x", count: length)
                    var chars = plain
                    if length > 0 { chars[position] = brk }
                    let body = chars.joined()
                    let reference = try? FastJSONDecoder().decode([String].self, from: Array("[\"\(body)\"]".utf8))[0]
                    for text in [#"{"v":"\#(body)"}"#, #"{"v":"\#(body)","w":1}"#, #"{"w":1,"v":"\#(body)"}"#, #"{ "v" : "\#(body)" }"#] {
                        let value = try? Self.read(text) { r -> String in
                            let o = try r.object()
                            if text.hasPrefix(#"{"w""#) { _ = try o.int("w") }
                            return try o.string("v")
                        }
                        #expect(value == reference, "\(text)")
                        // The same bytes through string(matching:).
                        let bytes = try? Self.read(text) { r -> [UInt8] in
                            let o = try r.object()
                            if text.hasPrefix(#"{"w""#) { _ = try o.int("w") }
                            return try o.string("v") { Array($0) }
                        }
                        #expect(bytes == reference.map { Array($0.utf8) }, "\(text)")
                    }
                    for text in ["[\"\(body)\"]", "\"\(body)\""] {
                        let value = try? Self.read(text) { r in r.kind == .array ? try r.array().map { try $0.string() }[0] : try r.string() }
                        #expect(value == reference, "\(text)")
                    }
                }
            }
        }
    }

    @Test func truncatedDocumentsFailAsIndexingFails() throws {
        // Every prefix of a compact event, read through the compact paths: the error is the
        // indexer's (kind and offset).
        let line = #"{"s":"abcdefghijklmno","t":"é","n":-12.5,"i":1700000000040,"a":[{"k":"x","q":3}],"b":true,"z":0}"#
        struct Doc: JSONReadable, Equatable {
            var s: String, t: String, n: Double, i: Int64, a: [String], b: Bool, z: Int
            init(json: JSONReader) throws {
                let o = try json.object()
                s = try o.string("s")
                t = try o.string("t")
                n = try o.double("n")
                i = try o.int64("i")
                a = try o.array("a").map { e in
                    let item = try e.object()
                    return try item.string("k") + String(try item.int("q"))
                }
                b = try o.bool("b")
                z = try o.int("z")
            }
        }
        let bytes = Array(line.utf8)
        let whole = try FastJSONDecoder().read(Doc.self, from: bytes)
        #expect(whole.s == "abcdefghijklmno" && whole.t == "é" && whole.n == -12.5 && whole.i == 1_700_000_000_040 && whole.a == ["x3"] && whole.b && whole.z == 0)
        for n in 0..<bytes.count {
            let prefix = Array(bytes.prefix(n))
            let error = JSONTest.jsonError { _ = try FastJSONDecoder().read(Doc.self, from: prefix) }
            let indexed = JSONTest.jsonError { _ = try FastJSONDecoder().decode(JSONValue.self, from: prefix) }
            #expect(error != nil && error?.kind == indexed?.kind && error?.offset == indexed?.offset, "prefix of \(n) bytes")
        }
        // Damage at every byte: the reader fails exactly when indexing fails, with its error;
        // otherwise it reads what it reads from the intact document or fails as a reader does.
        for at in 0..<bytes.count {
            for replacement in Array(#"{}[],:"\ 0-.ex"#.utf8) where replacement != bytes[at] {
                var damaged = bytes
                damaged[at] = replacement
                let indexed = JSONTest.jsonError { _ = try FastJSONDecoder().decode(JSONValue.self, from: damaged) }
                let error = JSONTest.jsonError { _ = try FastJSONDecoder().read(Doc.self, from: damaged) }
                if let indexed {
                    #expect(error?.kind == indexed.kind && error?.offset == indexed.offset, "\(String(decoding: damaged, as: UTF8.self))")
                }
            }
        }
    }

    @Test func keysTheCompactStepMustNotMatch() throws {
        // A key spelled with an escape, a key that extends the one asked for, one that is a
        // prefix of it, whitespace: the general route decides, with the same answers.
        #expect(try Self.read(#"{"\u0061b":1}"#) { try $0.object().int("ab") } == 1)
        #expect(try Self.read(#"{"abc":1,"ab":2}"#) { try $0.object().int("ab") } == 2)
        #expect(try Self.read(#"{"a":1,"ab":2}"#) { try $0.object().int("ab") } == 2)
        #expect(try Self.read(#"{"ab" :1}"#) { try $0.object().int("ab") } == 1)
        #expect(try Self.read("{\"ab\":\n1}") { try $0.object().int("ab") } == 1)
        #expect(try Self.read(#"{"a":0 ,"ab":1}"#) { r in let o = try r.object(); return [try o.int("a"), try o.int("ab")] } == [0, 1])
        // Keys whose JSON spelling differs from their bytes: only the general route matches.
        #expect(try Self.read(#"{"a\"b":1}"#) { try $0.object().int("a\"b") } == 1)
        #expect(try Self.read(#"{"a\\b":1}"#) { try $0.object().int("a\\b") } == 1)
        #expect(try Self.read(#"{"a\nb":1}"#) { try $0.object().int("a\nb") } == 1)
        #expect(JSONTest.jsonError { _ = try Self.read(#"{"a":"b":1}"#) { try $0.object().int("a\":\"b") } }?.kind == .unexpectedByte(UInt8(ascii: ":")))
        // Keys of every length up to 20, matched and nearly matched.
        for n in 0...20 {
            let key = String((0..<n).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            let text = #"{"\#(key)":\#(n),"\#(key)x":-1}"#
            let value = try Self.read(text) { try $0.object().value(key).int() }
            #expect(value == n)
        }
        // Duplicates: the first occurrence wins on every path.
        #expect(try Self.read(#"{"b":1,"a":2,"a":3}"#) { r in let o = try r.object(); return [try o.int("b"), try o.int("a"), try o.int("a")] } == [1, 2, 2])
        #expect(try Self.read(#"{"a":2,"b":1,"a":3}"#) { r in let o = try r.object(); return [try o.int("a"), try o.int("b"), try o.int("a")] } == [2, 1, 2])
    }

    @Test func typedGettersOnStaticKeysOfEveryLength() throws {
        // The compact step compares keys of 1, 2–3, 4–7, 8–16 and more bytes differently.
        let text = #"{"a":1,"ab":2,"abc":3,"abcd":4,"abcdefg":7,"abcdefgh":8,"abcdefghijklmnop":16,"abcdefghijklmnopq":17,"":0}"#
        let values = try Self.read(text) { r -> [Int] in
            let o = try r.object()
            return [try o.int("a"), try o.int("ab"), try o.int("abc"), try o.int("abcd"), try o.int("abcdefg"), try o.int("abcdefgh"), try o.int("abcdefghijklmnop"), try o.int("abcdefghijklmnopq"), try o.int("")]
        }
        #expect(values == [1, 2, 3, 4, 7, 8, 16, 17, 0])
        // Near misses at the last byte of each length.
        let miss = #"{"b":1,"ac":2,"abd":3,"abce":4,"abcdefh":7,"abcdefgi":8,"abcdefghijklmnoq":16,"abcdefghijklmnopr":17}"#
        for key in ["a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "abcdefghijklmnop", "abcdefghijklmnopq"] {
            #expect(JSONTest.jsonError { _ = try Self.read(miss) { try $0.object().value(key).int() } }?.kind == .keyNotFound)
        }
        #expect(JSONTest.jsonError { _ = try Self.read(miss) { try $0.object().int("abcdefgh") } }?.kind == .keyNotFound)
        #expect(JSONTest.jsonError { _ = try Self.read(miss) { try $0.object().int("abcdefghijklmnopq") } }?.kind == .keyNotFound)
    }

    @Test func aReaderFromAnotherReadThrowsInsteadOfReadingThisOne() throws {
        // Same decoder, so the same reader state: the kept reader is used inside the next read.
        let decoder = FastJSONDecoder()
        var kept: JSONObjectReader?
        _ = try decoder.read(Array(#"{"a":1,"b":"x"}"#.utf8)) { r in kept = try r.object() }
        guard let kept else { return }
        let inside = try decoder.read(Array(#"{"a":2,"b":"y"}"#.utf8)) { r -> (JSONError?, JSONError?, Int) in
            let fresh = try r.object()
            return (JSONTest.jsonError { _ = try kept.int("a") }, JSONTest.jsonError { _ = try kept.string("b") }, try fresh.int("a"))
        }
        #expect(inside.0?.kind == .decoderUsedAfterReturn && inside.1?.kind == .decoderUsedAfterReturn && inside.2 == 2)
    }

    @Test func elementsOnTheCompactPathAndOffIt() throws {
        // Objects read whole, read partly (the general route skips the rest), arrays as
        // elements, whitespace between elements, empty arrays: the same as Codable's view.
        struct Pair: Decodable, Equatable { var k: String; var q: Int }
        let texts = [
            #"[{"k":"a","q":1},{"k":"b","q":2},{"k":"c","q":3}]"#,
            #"[ {"k":"a","q":1} , {"k":"b","q":2} ]"#,
            "[{\"k\":\"a\",\"q\":1}\n,{\"k\":\"b\",\"q\":2}]",
            #"[{"k":"a","q":1,"extra":[1,{"x":2}]},{"q":2,"k":"b"}]"#,
            #"[]"#, #"[ ]"#, #"[{"k":"a","q":1}]"#,
        ]
        for text in texts {
            let reference = try FastJSONDecoder().decode([Pair].self, from: Array(text.utf8))
            let read = try Self.read(text) { r in try r.array().map { e -> Pair in let o = try e.object(); return Pair(k: try o.string("k"), q: try o.int("q")) } }
            #expect(read == reference, "\(text)")
            // Only the first member of each: the rest of each object is skipped on the way.
            let keys = try Self.read(text) { r in try r.array().map { e -> String in
                let o = try e.object()
                return try o.valueIfPresent("k")?.string() ?? "-"
            } }
            #expect(keys == reference.map(\.k), "\(text)")
            // Through the iterator, and a second time over the tape.
            let twice = try Self.read(text) { r -> ([Int], [Int]) in
                let a = try r.array()
                var first: [Int] = []
                for e in a { first.append(try e.object().int("q")) }
                return (first, try a.map { try $0.object().int("q") })
            }
            #expect(twice.0 == reference.map(\.q) && twice.1 == reference.map(\.q), "\(text)")
        }
        // Arrays of arrays (the element left open is an array, not an object).
        #expect(try Self.read("[[1,2],[3],[]]") { r in try r.array().map { try $0.array().map { try $0.int() } } } == [[1, 2], [3], []])
        // Broken arrays fail as indexing fails.
        for text in ["[1,]", "[,1]", "[{\"k\":\"a\"}{\"k\":\"b\"}]", "[{\"k\":\"a\"},]", "[{\"k\":\"a\"}", "[{\"k\":\"a\",}]"] {
            let indexed = JSONTest.jsonError { _ = try FastJSONDecoder().decode(JSONValue.self, from: Array(text.utf8)) }
            let error = JSONTest.jsonError { _ = try Self.read(text) { r in try r.array().map { e -> String in try e.kind == .object ? e.object().string("k") : String(try e.int()) } } }
            #expect(indexed != nil && error?.kind == indexed?.kind && error?.offset == indexed?.offset, "\(text)")
        }
    }

    @Test func containersAndArraysOnTheCompactPath() throws {
        let text = #"{"o":{"x":1,"y":[1,2,3]},"a":[[],[{}],{"z":"w"}],"n":null,"e":[]}"#
        let result = try Self.read(text) { r -> (Int, [Int], Int, String, Bool, Int) in
            let o = try r.object()
            let inner = try o.object("o")
            let x = try inner.int("x")
            let y = try inner.array("y").map { try $0.int() }
            let a = try o.array("a").map { $0 }
            let z = try a[2].object().string("z")
            return (x, y, a.count, z, try o.value("n").isNull, try o.array("e").map { $0 }.count)
        }
        #expect(result.0 == 1 && result.1 == [1, 2, 3] && result.2 == 3 && result.3 == "w" && result.4 && result.5 == 0)
        // A container member that is something else: the reader's type error, with its path.
        let error = JSONTest.jsonError { _ = try Self.read(#"{"o":[1]}"#) { try $0.object().object("o") } }
        #expect(error?.kind == .typeMismatch && error?.offset == 5)
        #expect(JSONTest.jsonError { _ = try Self.read(#"{"o":null}"#) { try $0.object().array("o") } }?.kind == .valueNotFound)
    }
}
