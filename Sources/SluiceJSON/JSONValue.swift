/// Any JSON value, for documents without a fixed shape.
///
/// Numbers that are integers fitting `Int64` become `.int`; every other number (fractions,
/// exponents, larger integers) becomes `.double`. Objects keep the first occurrence of a
/// duplicate key, as `FastJSONDecoder` and Foundation do. Decoded with `FastJSONDecoder`, a
/// `JSONValue` is built straight from the index; any other decoder goes through Codable.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let impl = decoder as? JSONDecoderImpl {
            self = try impl.jsonValue(at: impl.value)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .int(int)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONDecoderImpl {
    /// The value at `index` as a `JSONValue`, straight from the tape (recursion is bounded by
    /// the decoder's `maximumDepth`).
    func jsonValue(at index: UInt32) throws -> JSONValue {
        let e = entry(index)
        switch e.kind {
        case .null: return .null
        case .trueLiteral: return .bool(true)
        case .falseLiteral: return .bool(false)
        case .string: return .string(try read(String.self, at: index))
        case .number:
            if e.flags & TapeFlags.integer != 0, let int = try? integer(Int64.self, at: index) { return .int(int) }
            return .double(try read(Double.self, at: index))
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(e.length))
            var element = index + 1
            while element < e.next {
                elements.append(try jsonValue(at: element))
                element = entry(element).next
            }
            return .array(elements)
        case .object:
            var members: [String: JSONValue] = [:]
            var key = index + 1
            while key < e.next {
                let name = try read(String.self, at: key)
                if members[name] == nil { members[name] = try jsonValue(at: key + 1) }
                key = entry(key + 1).next
            }
            return .object(members)
        }
    }
}
