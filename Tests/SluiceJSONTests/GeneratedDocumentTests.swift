import Foundation
import SluiceJSON
import SluiceTestSupport
import Testing

/// Random documents (fixed seeds): decoded by Foundation and by this decoder with the same
/// results; randomly damaged, they never crash either decoder and this one throws or decodes.
@Suite("Generated documents")
struct GeneratedDocumentTests {
    /// A random JSON value as text, with the awkward parts JSON allows: escapes, unicode,
    /// exponents, negative zero, empty containers, whitespace.
    static func value(_ random: inout SplitMix64, depth: Int = 0) -> String {
        let space = random.chance(0.2) ? random.pick([" ", "\n", "\t ", "\r\n  "]) : ""
        let choice = depth > 4 ? random.int(0...4) : random.int(0...6)
        let body: String
        switch choice {
        case 0: body = random.pick(["true", "false", "null"])
        case 1: body = String(Int64(bitPattern: random.next()) >> Int64(random.int(0...63)))
        case 2: body = random.pick(["0", "-0", "0.5", "-1.25e-3", "6.02214076E23", "1e5", "123456.789", "-0.0"]) 
        case 3: body = String(Double(bitPattern: random.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x3000_0000_0000_0000) * (random.chance(0.5) ? 1 : -1))
        case 4: body = string(&random)
        case 5:
            body = "[" + (0..<random.int(0...5)).map { _ in value(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            var seen = Set<String>()
            var members: [String] = []
            for _ in 0..<random.int(0...6) {
                let key = string(&random)
                guard seen.insert(key).inserted else { continue }
                members.append(key + space + ":" + value(&random, depth: depth + 1))
            }
            body = "{" + members.joined(separator: "," + space) + "}"
        }
        return space + body + space
    }

    static func string(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "key", "é", "漢字", "😀", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\uD83D\\uDE00", "\\u0000", " ", "_x", "Z"]
        return "\"" + (0..<random.int(0...4)).map { _ in random.pick(pieces) }.joined() + "\""
    }

    @Test func sameResultsAsFoundation() throws {
        var random = SplitMix64(seed: 2024)
        for _ in 0..<400 {
            let text = Self.value(&random)
            // Foundation's JSONDecoder, through the same Codable type, finds the same value.
            let ours = try JSONTest.decode(JSONValue.self, text)
            let foundation = try JSONTest.foundationDecode(JSONValue.self, text)
            #expect(RoundTripNumbers.equal(ours, foundation), "\(text)")
            // What we encode, Foundation reads back as the same value, and so do we.
            let encoded = try FastJSONEncoder().encode(ours)
            #expect(RoundTripNumbers.equal(ours, try JSONDecoder().decode(JSONValue.self, from: Data(encoded))), "\(text)")
            #expect(RoundTripNumbers.equal(ours, try FastJSONDecoder().decode(JSONValue.self, from: encoded)), "\(text)")
        }
    }

    @Test func damagedDocumentsNeverCrash() throws {
        var random = SplitMix64(seed: 99)
        let interesting: [UInt8] = Array("{}[],:\"\\-+.eE0123456789 \n\tnulltruefalse\u{7F}".utf8) + [0, 0x1F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        var accepted = 0
        var rejected = 0
        for _ in 0..<4000 {
            var bytes = Array(Self.value(&random).utf8)
            for _ in 0..<random.int(1...4) where !bytes.isEmpty {
                let at = random.int(0...(bytes.count - 1))
                switch random.int(0...3) {
                case 0: bytes[at] = random.pick(interesting)
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(random.pick(interesting), at: at)
                default: bytes = Array(bytes.prefix(at))
                }
            }
            do {
                _ = try FastJSONDecoder().decode(JSONValue.self, from: bytes)
                accepted += 1
                // Whatever we accept, Foundation accepts too (it may accept more: it is lenient
                // about a few things, never stricter).
                #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil, "\(String(decoding: bytes, as: UTF8.self))")
            } catch let error as DecodingError {
                rejected += 1
                #expect(error.jsonError?.offset.map { $0 <= bytes.count } ?? true)
            }
            _ = try? FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase).decode([String: [JSONValue]].self, from: bytes)
            _ = try? FastJSONDecoder().read(bytes) { reader in try reader.object().keys }
        }
        #expect(accepted > 100 && rejected > 1000)
    }
}

/// Typed cross-check: order events with shuffled keys, extra members, optional members and
/// awkward numbers and strings, decoded by both decoders into the same Codable struct.
@Suite("Generated order events")
struct GeneratedOrderEventTests {
    struct Event: Codable, Equatable {
        struct Item: Codable, Equatable {
            let sku: String
            let qty: Int32
            let price: Double
            let discountRate: Float?
        }
        let orderId: String
        let customerId: String
        let region: String?
        let amount: Double
        let currency: String
        let items: [Item]
        let status: String
        let ts: Int64
        let flags: [String: Bool]?
        let retries: UInt8
    }

    static func event(_ random: inout SplitMix64) -> String {
        func str() -> String { GeneratedDocumentTests.string(&random) }
        var members = [
            "\"order_id\":" + str(), "\"customer_id\":" + str(),
            "\"amount\":" + random.pick(["0", "12.5", "-0.0", "1e2", "3.14159265358979", "1.7976931348623157e308", "5e-324", "21.51"]),
            "\"currency\":" + str(), "\"status\":" + str(),
            "\"ts\":" + String(Int64(bitPattern: random.next())),
            "\"retries\":" + String(random.int(0...255)),
        ]
        if random.chance(0.7) { members.append("\"region\":" + (random.chance(0.2) ? "null" : str())) }
        if random.chance(0.5) { members.append("\"flags\":{" + (0..<random.int(0...3)).map { "\"f\($0)\":\(random.chance(0.5))" }.joined(separator: ",") + "}") }
        if random.chance(0.5) { members.append("\"unknown_member\":" + GeneratedDocumentTests.value(&random)) }
        let items = (0..<random.int(0...3)).map { _ -> String in
            var item = ["\"sku\":" + str(), "\"qty\":" + String(Int32(truncatingIfNeeded: random.next())), "\"price\":" + String(Double(random.int(0...100_000)) / 100)]
            if random.chance(0.5) { item.append("\"discount_rate\":" + random.pick(["0.1", "0.25", "null", "1e-3"])) }
            item.shuffle(using: &random)
            return "{" + item.joined(separator: ",") + "}"
        }
        members.append("\"items\":[" + items.joined(separator: ",") + "]")
        members.shuffle(using: &random)
        return "{" + members.joined(separator: random.pick([",", ", ", ",\n"])) + "}"
    }

    @Test func sameStructsAsFoundation() throws {
        var random = SplitMix64(seed: 77)
        for _ in 0..<300 {
            let text = Self.event(&random)
            let ours = try JSONTest.decode(Event.self, text, snake: true)
            let theirs = try JSONTest.foundationDecode(Event.self, text, snake: true)
            #expect(ours == theirs, "\(text)")
            // And through a round trip of our encoder, read by Foundation.
            let encoded = try FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase).encode(ours)
            let foundation = JSONDecoder()
            foundation.keyDecodingStrategy = .convertFromSnakeCase
            #expect(try foundation.decode(Event.self, from: Data(encoded)) == ours)
        }
    }
}
