/// Types `JSONDecoderImpl.decode(_:at:)` reads itself instead of calling their `init(from:)`.
///
/// `[E]`: the standard library's `Array.init(from:)` is generic code that cannot be specialized
/// for the element type from here; it grows the array one append at a time and goes through
/// an unkeyed container per element. Reading it here reserves the exact count from the index
/// and initializes the elements in place. Same results and errors.
///
/// `[String: V]`: read member by member without a keyed container; with `convertFromSnakeCase`
/// this is also what keeps its keys as written (Foundation converts only keys of keyed
/// containers, not dictionary keys). Duplicate keys: the first occurrence wins, as in Foundation.
enum SpecialType: TypeClassification {
    case none
    case array(any DecodableArray.Type)
    case dictionary(any StringKeyedDictionary.Type)

    init(_ type: Any.Type) {
        if let array = type as? any DecodableArray.Type {
            self = .array(array)
        } else if let dictionary = type as? any StringKeyedDictionary.Type {
            self = .dictionary(dictionary)
        } else {
            self = .none
        }
    }
}

/// `value`, which is a `T` (`Self` of the caller), typed as `T` without a dynamic cast.
@inline(__always)
private func same<Value, T>(_ value: Value, as _: T.Type) -> T {
    precondition(Value.self == T.self, "SpecialType matched \(T.self) to \(Value.self)")
    return unsafeBitCast(value, to: T.self)
}

protocol DecodableArray {
    /// The array at `index`; `T` is `Self`.
    static func decodeJSONArray<T>(_ type: T.Type, from impl: JSONDecoderImpl, at index: UInt32) throws -> T
}

extension Array: DecodableArray where Element: Decodable {
    static func decodeJSONArray<T>(_ type: T.Type, from impl: JSONDecoderImpl, at index: UInt32) throws -> T {
        same(try decode(from: impl, at: index), as: type)
    }

    private static func decode(from impl: JSONDecoderImpl, at index: UInt32) throws -> [Element] {
        let array = impl.entry(index)
        guard array.kind == .array, impl.scratch.live else { throw impl.containerMismatch([Any].self, at: index) }
        var element = index + 1
        return try [Element](unsafeUninitializedCapacity: Int(array.length)) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            while element < array.next {
                (base + initialized).initialize(to: try impl.decode(Element.self, at: element))
                initialized += 1
                element = impl.entry(element).next
            }
        }
    }
}

protocol StringKeyedDictionary {
    /// The object at `index`; `T` is `Self`.
    static func decodeJSONObject<T>(_ type: T.Type, from impl: JSONDecoderImpl, at index: UInt32) throws -> T
}

extension Dictionary: StringKeyedDictionary where Key == String, Value: Decodable {
    static func decodeJSONObject<T>(_ type: T.Type, from impl: JSONDecoderImpl, at index: UInt32) throws -> T {
        same(try decode(from: impl, at: index), as: type)
    }

    private static func decode(from impl: JSONDecoderImpl, at index: UInt32) throws -> Self {
        let object = impl.entry(index)
        guard object.kind == .object, impl.scratch.live else { throw impl.containerMismatch([String: Any].self, at: index) }
        var out: [String: Value] = [:]
        var key = index + 1
        while key < object.next {
            let name = impl.keyName(key, converted: false)
            if out[name] == nil { out[name] = try impl.decode(Value.self, at: key + 1) }
            key = impl.entry(key + 1).next
        }
        return out
    }
}
