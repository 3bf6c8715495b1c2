import Foundation
import SluiceJSON
import SluiceTestSupport
import Testing

@Suite("Strings: escapes, UTF-8, surrogates")
struct StringTests {
    @Test func everyEscape() throws {
        #expect(try JSONTest.decode(String.self, #""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{08}\u{0C}\n\r\t")
        #expect(try JSONTest.decode(String.self, #""a\u0041\u00e9\u20AC\uFFFFz""#) == "aAé€\u{FFFF}z")
        #expect(try JSONTest.decode(String.self, #""\u0000""#) == "\u{0}")
        // Surrogate pairs, upper- and lowercase hex.
        #expect(try JSONTest.decode(String.self, #""\uD834\uDD1E\ud83d\ude00""#) == "𝄞😀")
        #expect(try JSONTest.decode(String.self, #""x\uDBFF\uDFFFy""#) == "x\u{10FFFF}y")
        // Escapes next to raw UTF-8 and at both ends.
        #expect(try JSONTest.decode(String.self, #""\n漢字\t""#) == "\n漢字\t")
    }

    @Test func everyControlCharacterAndByteRoundTrips() throws {
        var all = ""
        for scalar in 0..<0x80 { all.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        all += "é漢😀\u{2028}\u{10FFFF}"
        let encoded = try JSONTest.encode([all])
        #expect(try JSONTest.decode([String].self, encoded) == [all])
        #expect(try JSONTest.foundationDecode([String].self, encoded) == [all])
        // Control characters use the short escapes where there is one, \u00XX otherwise, as
        // Foundation writes them; '/' and non-ASCII are left as they are.
        #expect(try JSONTest.encode(["\u{0}\u{1F}\u{08}\u{0C}\n\r\t\"\\/é"]) == #"["\u0000\u001f\b\f\n\r\t\"\\/é"]"#)
    }

    @Test func randomStringsRoundTrip() throws {
        var random = SplitMix64(seed: 5)
        let alphabet: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "é", "漢", "😀", "\u{7F}", "\u{FFFD}", "\u{10000}"]
        for _ in 0..<1000 {
            var text = ""
            for _ in 0..<random.int(0...40) { text.unicodeScalars.append(random.pick(alphabet)) }
            let encoded = try FastJSONEncoder().encode(["k": text])
            #expect(try FastJSONDecoder().decode([String: String].self, from: encoded) == ["k": text])
            #expect(try JSONDecoder().decode([String: String].self, from: Data(encoded)) == ["k": text])
            let foundation = try JSONEncoder().encode(["k": text])
            #expect(try FastJSONDecoder().decode([String: String].self, from: [UInt8](foundation)) == ["k": text])
        }
    }

    @Test func rejectsWhatRFC8259Forbids() throws {
        let cases: [(String, JSONError.Kind)] = [
            ("\"a\u{1}b\"", .unescapedControlCharacter(1)),
            ("\"tab\there\"", .unescapedControlCharacter(9)),
            (#""\x41""#, .invalidEscape),
            (#""\u12G4""#, .invalidUnicodeEscape),
            (#""\uD800""#, .invalidUnicodeEscape),
            (#""\uD800\u0041""#, .invalidUnicodeEscape),
            (#""\uDC00\uD800""#, .invalidUnicodeEscape),
            (#""\uD800x""#, .invalidUnicodeEscape),
            (#""abc"#, .unexpectedEndOfInput),
            (#""\"#, .unexpectedEndOfInput),
        ]
        for (text, kind) in cases {
            let error = JSONTest.jsonError { _ = try JSONTest.decode(String.self, text) }
            #expect(error?.kind == kind, "\(text.debugDescription): \(String(describing: error))")
        }
    }

    @Test func rejectsIllFormedUTF8() throws {
        let bad: [[UInt8]] = [
            [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xE2, 0x82], [0xE2, 0x28, 0xA1],
        ]
        for sequence in bad {
            let document = [0x22, 0x61] + sequence + [0x62, 0x22]
            let error = JSONTest.jsonError { _ = try FastJSONDecoder().decode(String.self, from: document) }
            #expect(error?.kind == .invalidUTF8, "\(sequence)")
            #expect(error?.offset.map { $0 >= 2 && $0 <= 2 + sequence.count } == true, "\(sequence) at \(String(describing: error?.offset))")
        }
        let good: [[UInt8]] = [[0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for sequence in good {
            let decoded = try FastJSONDecoder().decode(String.self, from: [0x22] + sequence + [0x22])
            #expect(Array(decoded.utf8) == sequence)
        }
    }

    @Test func longStringsCrossWordBoundaries() throws {
        for length in 0..<40 {
            let plain = String(repeating: "x", count: length)
            #expect(try JSONTest.decode(String.self, "\"\(plain)\"") == plain)
            #expect(try JSONTest.decode(String.self, "\"\(plain)\\n\(plain)\"") == plain + "\n" + plain)
            #expect(try JSONTest.decode(String.self, "\"\(plain)é\(plain)\"") == plain + "é" + plain)
            #expect(throws: DecodingError.self) { try JSONTest.decode(String.self, "\"\(plain)\u{7}\"") }
        }
    }

    @Test func keysWithEscapesAndUnicodeMatch() throws {
        struct Keys: Codable, Equatable {
            let café: Int
            let quote: Int
            enum CodingKeys: String, CodingKey {
                case café
                case quote = "a\"b"
            }
        }
        #expect(try JSONTest.decode(Keys.self, #"{"caf\u00e9":1,"a\"b":2}"#) == Keys(café: 1, quote: 2))
        #expect(try JSONTest.decode(Keys.self, #"{"café":1,"a\u0022b":2}"#) == Keys(café: 1, quote: 2))
        #expect(try JSONTest.encode(Keys(café: 1, quote: 2)) == #"{"café":1,"a\"b":2}"#)
    }
}
