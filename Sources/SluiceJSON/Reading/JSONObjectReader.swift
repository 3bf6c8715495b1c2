/// An object of a document being read; see ``JSONReader``.
///
/// The typed getters find the key and convert its value in one call; a missing key throws
/// ``JSONError/Kind/keyNotFound``, `null` throws ``JSONError/Kind/valueNotFound`` (use
/// ``valueIfPresent(_:)`` for optional members). Duplicate keys: the first occurrence wins.
///
/// The typed getters take `StaticString` keys: a literal's bytes are compared in place, with no
/// `String` to unpack; ``value(_:)`` takes keys computed at run time.
public struct JSONObjectReader {
    /// The object, checked and ready for lookups.
    @usableFromInline let object: JSONReader
    @usableFromInline var impl: JSONDecoderImpl { object.impl }
    @usableFromInline var index: UInt32 { object.index }

    @usableFromInline
    init(object: JSONReader) { self.object = object }

    /// The member `key`.
    public func value(_ key: String) throws(JSONError) -> JSONReader {
        JSONReader(impl: impl, index: try impl.member(key, in: index))
    }

    /// The member `key`, or nil when the object lacks it (a `null` member is a reader whose
    /// `isNull` is true).
    public func valueIfPresent(_ key: String) throws(JSONError) -> JSONReader? {
        try impl.memberIfPresent(key, in: index).map { JSONReader(impl: impl, index: $0) }
    }

    public func contains(_ key: String) -> Bool { ((try? impl.memberIfPresent(key, in: index)) ?? nil) != nil }

    /// The keys in document order (converted by the key strategy), each once.
    public var keys: [String] { impl.keys(of: index) }

    @inlinable public func string(_ key: StaticString) throws(JSONError) -> String { try impl.readString(key, in: index) }
    @inlinable public func bool(_ key: StaticString) throws(JSONError) -> Bool { try impl.readBool(key, in: index) }
    @inlinable public func int(_ key: StaticString) throws(JSONError) -> Int { try impl.readInt(key, in: index) }
    @inlinable public func int64(_ key: StaticString) throws(JSONError) -> Int64 { try impl.readInt64(key, in: index) }
    @inlinable public func uint64(_ key: StaticString) throws(JSONError) -> UInt64 { try impl.readUInt64(key, in: index) }
    @inlinable public func double(_ key: StaticString) throws(JSONError) -> Double { try impl.readDouble(key, in: index) }
    @inlinable public func float(_ key: StaticString) throws(JSONError) -> Float { try impl.readFloat(key, in: index) }

    /// The member `key`, a string, turned into a `T` by `match` straight from its UTF-8 bytes
    /// (escapes decoded), without making a `String`: the cheap way to read a value from a known
    /// set, such as an enum's raw values. The bytes are valid only during the call. When `match`
    /// returns nil, throws ``JSONError/Kind/invalidValue`` naming the key and quoting the value.
    @inlinable
    public func string<T>(_ key: StaticString, matching match: (UnsafeRawBufferPointer) -> T?) throws(JSONError) -> T {
        let (value, bytes) = try impl.readStringBytes(key, in: index)
        guard let matched = match(bytes) else { throw impl.invalidValue(at: value, T.self) }
        return matched
    }

    @inlinable
    public func object(_ key: StaticString) throws(JSONError) -> JSONObjectReader {
        JSONObjectReader(object: JSONReader(impl: impl, index: try impl.openObject(at: try impl.member(key, in: index))))
    }

    @inlinable
    public func array(_ key: StaticString) throws(JSONError) -> JSONArrayReader {
        JSONArrayReader(array: JSONReader(impl: impl, index: try impl.openArray(at: try impl.member(key, in: index))))
    }

    /// The member `key` through Codable.
    public func decode<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T {
        try impl.decode(type, at: try impl.member(key, in: index))
    }

    /// The coding path of the object.
    public var codingPath: [any CodingKey] { impl.path(to: index) }
}
