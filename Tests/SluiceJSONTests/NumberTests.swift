import Foundation
import SluiceJSON
import SluiceTestSupport
import Testing

@Suite("Numbers")
struct NumberTests {
    /// `T.min`, `T.max`, and one past each end, as JSON text; the past-the-end ones must fail.
    static func boundaries<T: FixedWidthInteger & Decodable & Sendable>(_ type: T.Type) throws {
        #expect(try JSONTest.decode(T.self, "\(T.max)") == T.max)
        #expect(try JSONTest.decode(T.self, "\(T.min)") == T.min)
        #expect(try JSONTest.decode([T].self, "[\(T.max),\(T.min),0]") == [T.max, T.min, 0])
        let above = (BigDecimal(T.max) + 1).text
        let below = (BigDecimal(T.min) - 1).text
        for text in [above, below, "1" + String(repeating: "0", count: 40), "-" + String(repeating: "9", count: 40)] {
            let error = JSONTest.decodingError { _ = try JSONTest.decode(T.self, text) }
            guard case .dataCorrupted(let context)? = error else {
                Issue.record("\(T.self) from \(text): expected dataCorrupted, got \(String(describing: error))")
                continue
            }
            #expect((context.underlyingError as? JSONError)?.kind == .numberNotRepresentable)
        }
        // Foundation agrees on the boundaries.
        #expect(try JSONTest.foundationDecode(T.self, "\(T.max)") == T.max)
        #expect((try? JSONTest.foundationDecode(T.self, above)) == nil)
    }

    @Test func integerBoundariesAndOverflow() throws {
        try Self.boundaries(Int8.self)
        try Self.boundaries(Int16.self)
        try Self.boundaries(Int32.self)
        try Self.boundaries(Int64.self)
        try Self.boundaries(Int.self)
        try Self.boundaries(UInt8.self)
        try Self.boundaries(UInt16.self)
        try Self.boundaries(UInt32.self)
        try Self.boundaries(UInt64.self)
        try Self.boundaries(UInt.self)
        try Self.boundaries(Int128.self)
        try Self.boundaries(UInt128.self)
    }

    @Test func integersFromOtherSpellings() throws {
        #expect(try JSONTest.decode(Int.self, "-0") == 0)
        #expect(try JSONTest.decode(UInt8.self, "-0") == 0)
        #expect(try JSONTest.decode(Int.self, "1.0") == 1)
        #expect(try JSONTest.decode(Int.self, "1e3") == 1000)
        #expect(try JSONTest.decode(Int.self, "-2.50e1") == -25)
        #expect(try JSONTest.decode(Int.self, "12300e-2") == 123)
        #expect(try JSONTest.decode(UInt64.self, "1.8446744073709551615e19") == UInt64.max)
        #expect(try JSONTest.decode(Int64.self, "-9.223372036854775808E18") == Int64.min)
        #expect(try JSONTest.decode(Int.self, "0e999999999") == 0)
        for text in ["1.5", "1e-1", "0.1", "-1", "1e20", "123.0001"] {
            #expect(throws: DecodingError.self, "\(text) as UInt8") { try JSONTest.decode(UInt8.self, text) }
        }
        #expect(throws: DecodingError.self) { try JSONTest.decode(Int.self, "1.0000000000000001") }
        #expect(throws: DecodingError.self) { try JSONTest.decode(Int.self, #""1""#) }
    }

    @Test func randomIntegersRoundTrip() throws {
        var random = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let int = Int64(bitPattern: random.next()) >> Int64(random.int(0...63))
            let uint = random.next() >> UInt64(random.int(0...63))
            #expect(try JSONTest.decode(Int64.self, "\(int)") == int)
            #expect(try JSONTest.decode(UInt64.self, "\(uint)") == uint)
            #expect(try JSONTest.decode(Int32.self, "\(Int32(truncatingIfNeeded: int))") == Int32(truncatingIfNeeded: int))
            let encoded = try JSONTest.encode([int])
            #expect(encoded == "[\(int)]")
        }
    }

    /// A decimal literal built from random pieces: digits, a fraction, an exponent.
    static func randomLiteral(_ random: inout SplitMix64) -> String {
        var text = random.chance(0.3) ? "-" : ""
        let integerDigits = random.int(1...(random.chance(0.2) ? 25 : 8))
        text += random.chance(0.1) ? "0" : String(random.int(1...9))
        if !text.hasSuffix("0") {
            for _ in 1..<integerDigits { text += String(random.int(0...9)) }
        }
        if random.chance(0.6) {
            text += "."
            for _ in 0..<random.int(1...(random.chance(0.2) ? 30 : 6)) { text += String(random.int(0...9)) }
        }
        if random.chance(0.35) {
            text += random.pick(["e", "E"]) + random.pick(["", "+", "-"])
            text += String(random.int(0...(random.chance(0.1) ? 400 : 30)))
        }
        return text
    }

    @Test func doublesMatchSwiftParsing() throws {
        var random = SplitMix64(seed: 42)
        var checked = 0
        for _ in 0..<20_000 {
            let text = Self.randomLiteral(&random)
            guard let expected = Double(text) else { continue }
            let inArray = "[\(text)]"
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            if expected.isInfinite || (expected == 0 && mantissa.contains(where: { "123456789".contains($0) })) {
                // Overflow, or underflow to zero: not representable, as in Foundation.
                #expect(throws: DecodingError.self, "\(text)") { try JSONTest.decode([Double].self, inArray) }
                continue
            }
            let decoded = try JSONTest.decode([Double].self, inArray)[0]
            #expect(decoded.bitPattern == expected.bitPattern, "\(text): \(decoded) != \(expected)")
            // At the very end of the input too (no bytes after the literal).
            #expect(try JSONTest.decode(Double.self, text).bitPattern == expected.bitPattern, "\(text) alone")
            checked += 1
        }
        #expect(checked > 15_000)
    }

    @Test func floatsMatchSwiftParsing() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let text = Self.randomLiteral(&random)
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            guard let expected = Float(text), expected.isFinite, expected != 0 || !mantissa.contains(where: { "123456789".contains($0) }) else { continue }
            let decoded = try JSONTest.decode([Float].self, "[\(text)]")[0]
            #expect(decoded.bitPattern == expected.bitPattern, "\(text): \(decoded) != \(expected)")
        }
    }

    @Test func doublesRoundTripThroughTheEncoder() throws {
        var random = SplitMix64(seed: 3)
        var values: [Double] = [0, -0.0, 1, 0.1, 1e20, 1e-7, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, -Double.leastNormalMagnitude, 123456789.125, 21.51]
        for _ in 0..<5_000 { values.append(Double(bitPattern: random.next() & ~(0x7FF << 52) | UInt64(random.int(1...2046)) << 52)) }
        let encoded = try FastJSONEncoder().encode(values)
        let decoded = try FastJSONDecoder().decode([Double].self, from: encoded)
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        // Foundation reads the same numbers.
        let foundation = try JSONDecoder().decode([Double].self, from: Data(encoded))
        #expect(foundation.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func encoderWritesNumbersAsFoundationDoes() throws {
        #expect(try JSONTest.encode([1.0, 0.5, 100, -0.0, 1e20, 1e-5]) == "[1,0.5,100,-0,1e+20,1e-05]")
        #expect(String(decoding: try JSONEncoder().encode([1.0, 0.5, 100, -0.0, 1e20, 1e-5]), as: UTF8.self) == "[1,0.5,100,-0,1e+20,1e-05]")
        #expect(try JSONTest.encode([Float(0.1), 3]) == "[0.1,3]")
        #expect(try JSONTest.encode([Int8.min, 0, Int8.max].map(Int.init)) == "[-128,0,127]")
        #expect(try JSONTest.encode([UInt64.max]) == "[18446744073709551615]")
        #expect(try JSONTest.encode([Int64.min]) == "[-9223372036854775808]")
        #expect(try JSONTest.encode([Int128.max]) == "[170141183460469231731687303715884105727]")
        for bad in [Double.nan, .infinity, -.infinity] {
            let error = JSONTest.jsonError { _ = try FastJSONEncoder().encode(["x": bad]) }
            #expect(error?.kind == .nonConformingFloat)
            #expect(error?.codingPath.map(\.stringValue) == ["x"])
        }
        #expect(throws: EncodingError.self) { try FastJSONEncoder().encode(Float.nan) }
    }

    @Test func overflowingAndUnderflowingDoublesAreErrors() throws {
        for text in ["1e400", "-1e309", "1e-400", "123.456e-789"] {
            let error = JSONTest.jsonError { _ = try JSONTest.decode(Double.self, text) }
            #expect(error?.kind == .numberNotRepresentable, "\(text)")
            #expect((try? JSONTest.foundationDecode(Double.self, text)) == nil, "Foundation accepts \(text)")
        }
        #expect(try JSONTest.decode(Double.self, "0e-400") == 0)
        #expect(try JSONTest.decode(Double.self, "-0.0").sign == .minus)
    }
}

/// Decimal integers as text, for one past `T.min`/`T.max` of any width.
struct BigDecimal {
    var negative: Bool
    var digits: [UInt8]  // most significant first

    init<T: BinaryInteger>(_ value: T) {
        negative = value < 0
        digits = Array(String(value.magnitude).utf8).map { $0 - 48 }
    }

    var text: String { (negative ? "-" : "") + String(decoding: digits.map { $0 + 48 }, as: UTF8.self) }

    static func + (lhs: BigDecimal, rhs: Int) -> BigDecimal {
        precondition(!lhs.negative && rhs == 1)
        var out = lhs
        var i = out.digits.count - 1
        while i >= 0 {
            if out.digits[i] == 9 {
                out.digits[i] = 0
                i -= 1
            } else {
                out.digits[i] += 1
                return out
            }
        }
        out.digits.insert(1, at: 0)
        return out
    }

    static func - (lhs: BigDecimal, rhs: Int) -> BigDecimal {
        precondition(rhs == 1)
        if lhs.negative {
            var magnitude = lhs
            magnitude.negative = false
            var out = magnitude + 1
            out.negative = true
            return out
        }
        if lhs.digits == [0] { return BigDecimal(-1) }
        var out = lhs
        var i = out.digits.count - 1
        while out.digits[i] == 0 {
            out.digits[i] = 9
            i -= 1
        }
        out.digits[i] -= 1
        if out.digits.count > 1 && out.digits[0] == 0 { out.digits.removeFirst() }
        return out
    }
}
