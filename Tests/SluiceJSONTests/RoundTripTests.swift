import Foundation
import SluiceJSON
import Testing

@Suite("Round trips of Codable shapes")
struct RoundTripTests {
    /// Encodes with ours and Foundation's, decodes each with both decoders; all four agree.
    static func roundTrip<T: Codable & Equatable>(_ value: T, snake: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try FastJSONEncoder(keyEncodingStrategy: snake ? .convertToSnakeCase : .useDefaultKeys).encode(value)
        let foundationEncoder = JSONEncoder()
        if snake { foundationEncoder.keyEncodingStrategy = .convertToSnakeCase }
        let theirs = [UInt8](try foundationEncoder.encode(value))
        let decoder = FastJSONDecoder(keyDecodingStrategy: snake ? .convertFromSnakeCase : .useDefaultKeys)
        let foundationDecoder = JSONDecoder()
        if snake { foundationDecoder.keyDecodingStrategy = .convertFromSnakeCase }
        #expect(try decoder.decode(T.self, from: ours) == value, sourceLocation: sourceLocation)
        #expect(try decoder.decode(T.self, from: theirs) == value, sourceLocation: sourceLocation)
        #expect(try foundationDecoder.decode(T.self, from: Data(ours)) == value, sourceLocation: sourceLocation)
    }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case rectangle(width: Int, height: Int)
        case labelled(String, tags: [String]?)
        case empty
    }

    struct Everything: Codable, Equatable {
        var bool = true
        var int = -1
        var int8: Int8 = .min
        var int16: Int16 = .max
        var int32: Int32 = -7
        var int64: Int64 = .max
        var uint: UInt = .max
        var uint8: UInt8 = 255
        var uint16: UInt16 = 0
        var uint32: UInt32 = 42
        var uint64: UInt64 = .max
        var float: Float = 1.5
        var double = -0.25
        var string = "héllo \"world\"\n"
        var optional: Int? = nil
        var optionalSome: String? = "x"
        var nestedOptional: [Int?] = [1, nil, 3]
        var array = [[1], [], [2, 3]]
        var dictionary = ["a": [1.5], "": []]
        var intKeys = [1: "one", -2: "minus two"]
        var set: Set<String> = ["x", "y"]
        var shapes: [Shape] = [.circle(radius: 1), .rectangle(width: 2, height: 3), .labelled("l", tags: nil), .labelled("m", tags: ["t"]), .empty]
        var date = Date(timeIntervalSinceReferenceDate: 12345.5)
        var uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")
        var dataAsBytes: [UInt8] = [0, 255]
        var nested = Inner()

        struct Inner: Codable, Equatable {
            var camelCaseKey = "v"
            var deeper = [Deeper(someValue: 1)]
        }

        struct Deeper: Codable, Equatable { var someValue: Int }
    }

    @Test func everything() throws {
        try Self.roundTrip(Everything())
        try Self.roundTrip(Everything(), snake: true)
    }

    class Animal: Codable, Equatable {
        var name: String
        init(name: String) { self.name = name }
        static func == (lhs: Animal, rhs: Animal) -> Bool { lhs.name == rhs.name && type(of: lhs) == type(of: rhs) && lhs.isEqual(rhs) }
        func isEqual(_ other: Animal) -> Bool { true }
    }

    final class Dog: Animal {
        var goodBoy: Bool
        init(name: String, goodBoy: Bool) {
            self.goodBoy = goodBoy
            super.init(name: name)
        }
        enum CodingKeys: String, CodingKey { case goodBoy }
        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            goodBoy = try container.decode(Bool.self, forKey: .goodBoy)
            try super.init(from: container.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(goodBoy, forKey: .goodBoy)
            try super.encode(to: container.superEncoder())
        }
        override func isEqual(_ other: Animal) -> Bool { (other as? Dog)?.goodBoy == goodBoy }
    }

    @Test func superEncoderAndSuperDecoder() throws {
        let dog = Dog(name: "Rex", goodBoy: true)
        #expect(try JSONTest.encode(dog) == #"{"goodBoy":true,"super":{"name":"Rex"}}"#)
        let decoded = try FastJSONDecoder().decode(Dog.self, from: try FastJSONEncoder().encode(dog))
        #expect(decoded.name == "Rex" && decoded.goodBoy)
        #expect(try JSONDecoder().decode(Dog.self, from: Data(try FastJSONEncoder().encode(dog))).name == "Rex")
    }

    struct ManualContainers: Codable, Equatable {
        var values: [Int]
        var tag: String

        init(values: [Int], tag: String) {
            self.values = values
            self.tag = tag
        }

        init(from decoder: any Decoder) throws {
            var list = try decoder.unkeyedContainer()
            #expect(list.count == 3)
            tag = try list.decode(String.self)
            var inner = try list.nestedUnkeyedContainer()
            values = []
            while !inner.isAtEnd { values.append(try inner.decode(Int.self)) }
            let keyed = try list.nestedContainer(keyedBy: JSONTest.Key.self)
            #expect(try keyed.decodeNil(forKey: "n"))
            #expect(keyed.contains("n") && !keyed.contains("m"))
            #expect(keyed.allKeys.map(\.stringValue) == ["n"])
            #expect(list.isAtEnd)
            #expect(throws: DecodingError.self) { try list.decode(Int.self) }
        }

        func encode(to encoder: any Encoder) throws {
            var list = encoder.unkeyedContainer()
            try list.encode(tag)
            var inner = list.nestedUnkeyedContainer()
            for value in values { try inner.encode(value) }
            var keyed = list.nestedContainer(keyedBy: JSONTest.Key.self)
            try keyed.encodeNil(forKey: "n")
        }
    }

    @Test func manualUnkeyedAndNestedContainers() throws {
        try Self.roundTrip(ManualContainers(values: [1, 2, 3], tag: "t"))
        #expect(try JSONTest.encode(ManualContainers(values: [], tag: "t")) == #"["t",[],{"n":null}]"#)
    }

    struct Flexible: Decodable, Equatable {
        var value: String
        enum CodingKeys: CodingKey { case value }
        init(value: String) { self.value = value }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let int = try? container.decode(Int.self, forKey: .value) {
                value = "int \(int)"
            } else {
                value = try container.decode(String.self, forKey: .value)
            }
        }
    }

    @Test func retryingAKeyWithAnotherType() throws {
        #expect(try JSONTest.decode(Flexible.self, #"{"value":3}"#) == Flexible(value: "int 3"))
        #expect(try JSONTest.decode(Flexible.self, #"{"value":"s"}"#) == Flexible(value: "s"))
        #expect(try JSONTest.decode([Flexible].self, #"[{"value":"s","value":1}]"#) == [Flexible(value: "s")])
    }

    @Test func snakeCaseDecodingMatchesFoundation() throws {
        let keys = ["order_id", "ORDER_ID", "_leading", "trailing_", "__both__", "a__b", "already", "alreadyCamel", "a_1", "a_1b", "x_y_z", "_", "__", "", "café_au_lait", "über_größe", "some_http_request", "a_b_", "a-b_c", "it's_ok", "o.k_go"]
        for key in keys {
            let text = "{\"\(key)\":1}"
            let ours = try JSONTest.decode([String: Int].self, text, snake: true)
            // Keyed containers see converted keys: compare allKeys with Foundation's.
            let mine = try FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase).decode(KeyList.self, from: Array(text.utf8)).keys
            let theirs = try JSONTest.foundationDecode(KeyList.self, text, snake: true).keys
            #expect(mine == theirs, "\(key)")
            #expect(ours == [key: 1])
        }
    }

    /// The converted keys a keyed container lists.
    struct KeyList: Decodable {
        let keys: [String]
        init(from decoder: any Decoder) throws {
            keys = try decoder.container(keyedBy: JSONTest.Key.self).allKeys.map(\.stringValue).sorted()
        }
    }

    @Test func jsonValue() throws {
        let text = #"{"a":[1,-2,3.5,1e400x],"b":{"c":null,"d":true,"e":"s"}}"#.replacingOccurrences(of: ",1e400x", with: "")
        let value = try JSONTest.decode(JSONValue.self, text)
        #expect(value == .object(["a": .array([.int(1), .int(-2), .double(3.5)]), "b": .object(["c": .null, "d": .bool(true), "e": .string("s")])]))
        #expect(try JSONTest.foundationDecode(JSONValue.self, text) == value)
        #expect(try JSONTest.decode(JSONValue.self, try JSONTest.encode(value)) == value)
    }
}
