/// An unkeyed container over the array at tape index `array`.
///
/// Three words (decoder, two tape indices, current index), so the `any UnkeyedDecodingContainer`
/// holding it needs no allocation. As in Foundation, a failed decode does not advance.
struct UnkeyedContainer: UnkeyedDecodingContainer {
    let impl: JSONDecoderImpl
    let array: UInt32
    /// Tape index of the next element.
    private var cursor: UInt32
    private(set) var currentIndex = 0

    init(impl: JSONDecoderImpl, array: UInt32) {
        self.impl = impl
        self.array = array
        self.cursor = array + 1
    }

    var codingPath: [any CodingKey] { impl.path(to: array) }

    var count: Int? { Int(impl.entry(array).length) }

    var isAtEnd: Bool { cursor >= impl.entry(array).next }

    @inline(__always)
    private func next(_ type: Any.Type) throws -> UInt32 {
        guard !isAtEnd else { throw impl.atEnd(type, array: array, index: currentIndex) }
        return cursor
    }

    @inline(__always)
    private mutating func advance() {
        cursor = impl.entry(cursor).next
        currentIndex += 1
    }

    @inline(__always)
    private mutating func primitive<T: JSONPrimitive>(_ type: T.Type) throws -> T {
        let decoded = try impl.read(type, at: try next(type))
        advance()
        return decoded
    }

    @inline(__always)
    private mutating func primitiveIfPresent<T: JSONPrimitive>(_ type: T.Type) throws -> T? {
        guard !isAtEnd else { return nil }
        guard impl.entry(cursor).kind != .null else {
            advance()
            return nil
        }
        return try primitive(type)
    }

    mutating func decodeNil() throws -> Bool {
        guard impl.entry(try next(Any?.self)).kind == .null else { return false }
        advance()
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try primitive(type) }
    mutating func decode(_ type: String.Type) throws -> String { try primitive(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try primitive(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try primitive(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try primitive(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try primitive(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try primitive(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try primitive(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try primitive(type) }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try primitive(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try primitive(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try primitive(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try primitive(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try primitive(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try primitive(type) }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try primitive(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoded = try impl.decode(type, at: try next(type))
        advance()
        return decoded
    }

    mutating func decodeIfPresent(_ type: Bool.Type) throws -> Bool? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: String.Type) throws -> String? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Double.Type) throws -> Double? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Float.Type) throws -> Float? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int.Type) throws -> Int? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int8.Type) throws -> Int8? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int16.Type) throws -> Int16? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int32.Type) throws -> Int32? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int64.Type) throws -> Int64? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: Int128.Type) throws -> Int128? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt.Type) throws -> UInt? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt8.Type) throws -> UInt8? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt16.Type) throws -> UInt16? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt32.Type) throws -> UInt32? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt64.Type) throws -> UInt64? { try primitiveIfPresent(type) }
    mutating func decodeIfPresent(_ type: UInt128.Type) throws -> UInt128? { try primitiveIfPresent(type) }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        guard !isAtEnd else { return nil }
        guard impl.entry(cursor).kind != .null else {
            advance()
            return nil
        }
        return try decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try impl.keyedContainer(type, at: try next(KeyedDecodingContainer<NestedKey>.self))
        advance()
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try impl.unkeyedContainer(at: try next((any UnkeyedDecodingContainer).self))
        advance()
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = impl.superDecoder(at: try next((any Decoder).self), path: [])
        advance()
        return decoder
    }
}
