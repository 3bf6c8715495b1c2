import SluiceJSON
import Testing

/// The writer's doubles against the standard library's: `JSONWriter` prints most doubles by a
/// decimal shortcut of its own (see `JSONWriter.finiteDouble`), and must print exactly
/// `description` without a trailing `.0`, as it did when every double went through the
/// standard library.
@Suite("Writer doubles (byte identity with description)")
struct WriterDoubleTests {
    /// A seeded generator, so a failure can be replayed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What the writer wrote before the shortcut: `description` without a trailing `.0`.
    static func expected(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// The edges of the shortcut (zero and its sign, the 0.001 and 2^50 bounds, integers, sums
    /// that are not short decimals) and of `Double` itself (subnormals, the largest values).
    static let edges: [Double] = {
        var values: [Double] = [
            0, 1, 2, 10, 97.49, 97.488, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 0.5, 0.25, 0.125, 0.001, 0.0001, 0.00099, 0.0009765625,
            1e15, 1e16, 1e17, 1e22, 1e23, 0x1p50, 0x1p50 - 1, 0x1p50 + 2, 0x1p53, 0x1p53 - 1, 123456789012345.67, 999999999999999.9,
            Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude, Double.ulpOfOne,
            1.0 + Double.ulpOfOne, 9.999999999999999, 99.99999999999999, 0.009999999999999998, 53.989200000000004, 1.1e-3, 4.35, 2.675,
            1.005, 0.015, 1e-7, 123e-20, 1.7976931348623157e308, 2.2250738585072014e-308,
        ]
        for bound in [0.001, 0x1p50, 1, 10, 0.1, 1e15, 1e14, 0x1p53] {
            var up = bound
            var down = bound
            for _ in 0..<20 {
                up = up.nextUp
                down = down.nextDown
                values += [up, down]
            }
        }
        return values + values.map { -$0 }
    }()

    /// Random doubles of every kind: short decimals (what records hold, and what the shortcut
    /// takes), products of such (as FX conversions make), integers, and any bit pattern.
    static func randomValues(count: Int) -> [Double] {
        var random = SplitMix64(state: 42)
        var values: [Double] = []
        values.reserveCapacity(count)
        let scales: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e12, 1e15, 1e17]
        while values.count < count {
            let sign: Double = Bool.random(using: &random) ? -1 : 1
            switch values.count % 5 {
            case 0:
                let digits = Double(UInt64.random(in: 0..<(1 << UInt64.random(in: 1...60, using: &random)), using: &random))
                values.append(sign * digits / scales.randomElement(using: &random)!)
            case 1:
                let amount = Double(Int.random(in: 1..<1_000_000, using: &random)) / 100
                let rate = [1.0, 1.08, 1.27, 0.0067, 0.012, 0.20].randomElement(using: &random)!
                values.append(sign * amount * rate)
            case 2:
                values.append(sign * Double(Int64.random(in: 0..<(1 << 55), using: &random)))
            case 3:
                values.append(sign * Double.random(in: 0..<1_000_000, using: &random))
            default:
                let value = Double(bitPattern: random.next())
                if value.isFinite { values.append(value) }
            }
        }
        return values
    }

    @Test func edgeValuesMatchDescription() throws {
        for value in Self.edges {
            #expect(String(decoding: try value.jsonBytes(), as: UTF8.self) == Self.expected(value), "\(value)")
        }
    }

    @Test func randomValuesMatchDescription() throws {
        var mismatches: [String] = []
        var output: [UInt8] = []
        for value in Self.randomValues(count: 400_000) {
            output.removeAll(keepingCapacity: true)
            try value.writeJSON(into: &output)
            let expected = Self.expected(value)
            if !output.elementsEqual(expected.utf8) { mismatches.append("\(expected) written as \(String(decoding: output, as: UTF8.self))") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, such as \(mismatches.prefix(5))")
    }

    /// Members and elements, through `writeJSON` (scratch memory) and a writer of its own
    /// (appending to its array directly), give the same bytes.
    @Test func membersAndElementsMatchDescription() throws {
        struct Pair: JSONWritable {
            var a: Double
            var b: [Double]
            func write(json: inout JSONWriter) throws {
                try json.object { o in
                    try o.member("a", a)
                    try o.member("b", b)
                }
            }
        }
        let values = Self.randomValues(count: 2_000) + Self.edges
        for (index, value) in values.enumerated() {
            let pair = Pair(a: value, b: [values[(index + 1) % values.count], value])
            let expected = #"{"a":\#(Self.expected(value)),"b":[\#(Self.expected(pair.b[0])),\#(Self.expected(value))]}"#
            #expect(String(decoding: try pair.jsonBytes(), as: UTF8.self) == expected)
            var writer = JSONWriter()
            try pair.write(json: &writer)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
        }
    }

    /// A value longer than the writer's scratch memory, and text before it in the array.
    @Test func longValuesAndExistingBytes() throws {
        let values = Self.randomValues(count: 300)
        var output = Array("prefix ".utf8)
        try values.writeJSON(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "prefix [" + values.map(Self.expected).joined(separator: ",") + "]")
        let long = String(repeating: "x\"y", count: 400)
        #expect(try long.jsonBytes() == (try FastJSONEncoder().encode(long)))
    }
}
