import Foundation
import SluiceJSON
import Testing

@Suite("Encoder")
struct EncoderTests {
    struct Payment: Codable, Equatable {
        let orderId: String
        let customerId: String
        let amount: Double
        let currency: String
        let ts: Int64
        let myURLValue: Int?
    }

    @Test func compactOutputLikeFoundations() throws {
        let payment = Payment(orderId: "o-1", customerId: "c/2", amount: 12.5, currency: "EUR", ts: 1_700_000_000_000, myURLValue: nil)
        let ours = try JSONTest.encode(payment, snake: true)
        #expect(ours == #"{"order_id":"o-1","customer_id":"c/2","amount":12.5,"currency":"EUR","ts":1700000000000}"#)
        // Foundation's member order is a dictionary's; with sorted keys both agree byte for byte.
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        foundation.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        #expect(try JSONTest.encode(payment, snake: true, sorted: true) == String(decoding: try foundation.encode(payment), as: UTF8.self))
        #expect(try JSONTest.decode(Payment.self, ours, snake: true) == payment)
    }

    @Test func sortedKeysLikeFoundation() throws {
        struct Nested: Codable { let b: [String: Int]; let a: Int; let C: String; let é: Bool; let aa: [Int] }
        let value = Nested(b: ["z": 1, "y": 2, "\"": 3, "a\\": 4], a: 1, C: "x", é: true, aa: [3, 1])
        let ours = try JSONTest.encode(value, sorted: true)
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(ours == String(decoding: try foundation.encode(value), as: UTF8.self))
        #expect(ours == #"{"C":"x","a":1,"aa":[3,1],"b":{"\"":3,"a\\":4,"y":2,"z":1},"é":true}"#)
    }

    @Test func snakeCaseConversionMatchesFoundation() throws {
        let keys = ["orderId", "myURLValue", "a", "aB", "ABC", "someHTTPRequest", "x1Y2", "_private", "alreadySnake_case", "URL", "iOS", "abcDEFgh", "élanVital", "a_B", "", "ÉtatCivil", "one2Three"]
        for key in keys {
            let value = [JSONTest.AnyKeyed(key: key, value: 1)]
            let ours = try JSONTest.encode(value, snake: true)
            let foundation = JSONEncoder()
            foundation.keyEncodingStrategy = .convertToSnakeCase
            #expect(ours == String(decoding: try foundation.encode(value), as: UTF8.self), "\(key)")
        }
    }

    @Test func dictionaryKeysAreNotConverted() throws {
        struct Holder: Codable, Equatable {
            let byName: [String: Payment]
            let counts: [String: Int]
            let innerValue: Int
        }
        let payment = Payment(orderId: "o", customerId: "c", amount: 1, currency: "X", ts: 2, myURLValue: 3)
        let value = Holder(byName: ["someName": payment], counts: ["camelKey": 1, "snake_key": 2], innerValue: 4)
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        foundation.outputFormatting = [.sortedKeys]
        let ours = try JSONTest.encode(value, snake: true, sorted: true)
        #expect(ours == String(decoding: try foundation.encode(value), as: UTF8.self))
        #expect(ours.contains(#""someName":{"#) && ours.contains(#""my_url_value":3"#) && ours.contains(#""camelKey":1"#))
        // `my_url_value` reads back as `myUrlValue`, not `myURLValue`: the strategies are not
        // inverses, in Foundation either. Both decoders agree on what comes back.
        #expect(try JSONTest.decode(Holder.self, ours, snake: true) == (try JSONTest.foundationDecode(Holder.self, ours, snake: true)))
        #expect(try JSONTest.encode(["aKey": 1], snake: true) == #"{"aKey":1}"#)
    }

    @Test func appendsIntoAnExistingBuffer() throws {
        var buffer = Array("prefix:".utf8)
        try FastJSONEncoder().encode([1, 2], into: &buffer)
        try FastJSONEncoder().encode("x", into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:[1,2]"x""#)
        // A failed encode leaves the buffer as it was.
        #expect(throws: EncodingError.self) { try FastJSONEncoder().encode([Double.nan], into: &buffer) }
        #expect(String(decoding: buffer, as: UTF8.self) == #"prefix:[1,2]"x""#)
    }

    struct Manual: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONTest.Key.self)
            try container.encode(1, forKey: "a")
            var nested = container.nestedContainer(keyedBy: JSONTest.Key.self, forKey: "n")
            try nested.encode(true, forKey: "t")
            var list = nested.nestedUnkeyedContainer(forKey: "l")
            try list.encode("x")
            var inner = list.nestedContainer(keyedBy: JSONTest.Key.self)
            try inner.encodeNil(forKey: "z")
            try list.encode(2)
            try container.encode("after", forKey: "b")
            let empty = container.nestedUnkeyedContainer(forKey: "e")
            _ = empty.count
            try container.encode([String: Int](), forKey: "d")
        }
    }

    @Test func nestedContainersInNestingOrder() throws {
        #expect(try JSONTest.encode(Manual()) == #"{"a":1,"n":{"t":true,"l":["x",{"z":null},2]},"b":"after","e":[],"d":{}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(try FastJSONEncoder().encode(Manual()))) is [String: Any])
    }

    struct OutOfOrder: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONTest.Key.self)
            var nested = container.nestedContainer(keyedBy: JSONTest.Key.self, forKey: "n")
            try container.encode(1, forKey: "a")
            try nested.encode(2, forKey: "late")
        }
    }

    @Test func containerUsedAfterItsParentMovedOnThrows() throws {
        let error = JSONTest.jsonError { _ = try FastJSONEncoder().encode(OutOfOrder()) }
        #expect(error?.kind == .invalidContainerUse)
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test func valuesThatEncodeNothing() throws {
        #expect(try JSONTest.encode(["a": Nothing()]) == #"{"a":{}}"#)
        #expect(throws: EncodingError.self) { try FastJSONEncoder().encode(Nothing()) }
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(Nothing()) }
    }

    @Test func topLevelScalars() throws {
        #expect(try JSONTest.encode(3) == "3")
        #expect(try JSONTest.encode("a") == #""a""#)
        #expect(try JSONTest.encode(Int?.none) == "null")
        #expect(try JSONTest.encode([Int?.none, 1]) == "[null,1]")
    }

    @Test func concurrentUseOfOneEncoderAndDecoder() async throws {
        let encoder = FastJSONEncoder()
        let decoder = FastJSONDecoder()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<500 {
                        let value = ["task": task, "i": i]
                        let bytes = try encoder.encode(value)
                        guard try decoder.decode([String: Int].self, from: bytes) == value else { return false }
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}

extension JSONTest {
    /// A `CodingKey` from a string literal.
    struct Key: CodingKey, ExpressibleByStringLiteral {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(stringLiteral value: String) { stringValue = value }
    }

    /// One member with a key chosen at run time.
    struct AnyKeyed: Encodable {
        let key: String
        let value: Int
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}

extension EncoderTests {
    /// Keeps its container (a misuse the encoder must survive).
    final class Keeper: Encodable {
        var kept: KeyedEncodingContainer<JSONTest.Key>?
        var keptList: (any UnkeyedEncodingContainer)?
        func encode(to encoder: any Encoder) throws {
            kept = encoder.container(keyedBy: JSONTest.Key.self)
            try kept?.encode(1, forKey: "a")
            keptList = kept?.nestedUnkeyedContainer(forKey: "l")
        }
    }

    @Test func containersKeptPastTheEncodeThrow() throws {
        let keeper = Keeper()
        let encoder = FastJSONEncoder()
        #expect(try JSONTest.encode(keeper) == #"{"a":1,"l":[]}"#)
        _ = try encoder.encode(keeper)
        #expect(throws: EncodingError.self) { try keeper.kept?.encode(2, forKey: "b") }
        #expect(throws: EncodingError.self) { try keeper.keptList?.encode(3) }
        #expect(keeper.keptList?.count == 0)
        #expect(try String(decoding: encoder.encode([1]), as: UTF8.self) == "[1]")
    }

    final class SuperUnused: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONTest.Key.self)
            _ = container.superEncoder()
            try container.encode(1, forKey: "after")
            var list = container.nestedUnkeyedContainer(forKey: "list")
            let element = list.superEncoder()
            var single = element.singleValueContainer()
            try single.encode("s")
            _ = container.superEncoder(forKey: "last")
        }
    }

    @Test func superEncodersLeftEmptyBecomeEmptyObjects() throws {
        #expect(try JSONTest.encode(SuperUnused()) == #"{"super":{},"after":1,"list":["s"],"last":{}}"#)
    }
}
