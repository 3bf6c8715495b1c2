/// A value of a document opened with `FastJSONDecoder.read(_:_:)`: the way to read JSON without
/// Codable's protocol dispatch, for the few types on a hot path.
///
/// Codable calls travel through the standard library's type-erased containers (a box per
/// container, generic metadata looked up per call); measured here, that machinery alone costs
/// more per order event than indexing and reading it. A reader is a plain struct over the same
/// index: each getter is one direct call that finds the key (bytes compared, with the keyed
/// containers' lookup hints) and converts the value. The getters are `@inlinable` so that the
/// struct plumbing disappears into the caller; the work stays behind one call into this module.
///
/// ```swift
/// extension OrderEvent: JSONReadable {
///     init(json: JSONReader) throws {
///         let o = try json.object()
///         self.init(orderId: try o.string("order_id"), amount: try o.double("amount"),
///                   items: try o.array("items").map { try Item(json: $0) }, ...)
///     }
/// }
/// let event = try decoder.read(OrderEvent.self, from: bytes)
/// ```
///
/// Keys are matched as the decoder's `keyDecodingStrategy` says (with `convertFromSnakeCase`,
/// `"orderId"` finds `order_id`). Readers are valid only while `read` runs: one kept past it
/// throws ``JSONError/Kind/decoderUsedAfterReturn`` instead of reading freed memory. Errors are
/// ``JSONError``s with the byte offset and the path of the value.
public struct JSONReader {
    @usableFromInline let impl: JSONDecoderImpl
    @usableFromInline let index: UInt32

    @usableFromInline
    init(impl: JSONDecoderImpl, index: UInt32) {
        self.impl = impl
        self.index = index
    }

    /// The JSON type of the value.
    @inlinable public var kind: JSONKind { impl.kind(at: index) }

    @inlinable public var isNull: Bool { impl.kind(at: index) == .null }

    @inlinable public func string() throws(JSONError) -> String { try impl.readString(at: index) }
    @inlinable public func bool() throws(JSONError) -> Bool { try impl.readBool(at: index) }
    @inlinable public func int() throws(JSONError) -> Int { try impl.readInt(at: index) }
    @inlinable public func int64() throws(JSONError) -> Int64 { try impl.readInt64(at: index) }
    @inlinable public func uint64() throws(JSONError) -> UInt64 { try impl.readUInt64(at: index) }
    @inlinable public func double() throws(JSONError) -> Double { try impl.readDouble(at: index) }
    @inlinable public func float() throws(JSONError) -> Float { try impl.readFloat(at: index) }

    /// The value, a string, turned into a `T` by `match` from its UTF-8 bytes without making a
    /// `String`; see ``JSONObjectReader/string(_:matching:)``.
    @inlinable
    public func string<T>(matching match: (UnsafeRawBufferPointer) -> T?) throws(JSONError) -> T {
        let bytes = try impl.readStringBytes(at: index)
        guard let matched = match(bytes) else { throw impl.invalidValue(at: index, T.self) }
        return matched
    }

    @inlinable
    public func object() throws(JSONError) -> JSONObjectReader {
        JSONObjectReader(object: JSONReader(impl: impl, index: try impl.openObject(at: index)))
    }

    @inlinable
    public func array() throws(JSONError) -> JSONArrayReader {
        JSONArrayReader(array: JSONReader(impl: impl, index: try impl.openArray(at: index)))
    }

    /// The value through Codable (for types without a reader of their own).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try impl.decode(type, at: index) }

    /// The coding path of the value.
    public var codingPath: [any CodingKey] { impl.path(to: index) }
}

/// JSON's value types.
public enum JSONKind: Sendable, Equatable {
    case object, array, string, number, bool, null

    init(_ kind: TapeKind) {
        switch kind {
        case .object: self = .object
        case .array: self = .array
        case .string: self = .string
        case .number: self = .number
        case .trueLiteral, .falseLiteral: self = .bool
        case .null: self = .null
        }
    }
}

/// Types that read themselves from a ``JSONReader``; see `FastJSONDecoder.read(_:from:)`.
public protocol JSONReadable {
    init(json: JSONReader) throws
}

extension FastJSONDecoder {
    /// Opens the JSON text in `bytes` (UTF-8) and hands its top-level value to `body`.
    ///
    /// - Throws: ``JSONError`` when the text is not valid JSON, or what `body` throws.
    public func read<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (JSONReader) throws -> Result) throws -> Result {
        try finish(try open(bytes)) { try body(JSONReader(impl: $0, index: 0)) }
    }


    /// Opens the JSON text in `bytes` (UTF-8) and hands its top-level value to `body`.
    public func read<Result>(_ bytes: [UInt8], _ body: (JSONReader) throws -> Result) throws -> Result {
        try bytes.withUnsafeBytes { try read($0, body) }
    }

    /// A `T` read by its `init(json:)` from the JSON text in `bytes`.
    public func read<T: JSONReadable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        try read(bytes) { try T(json: $0) }
    }

    /// A `T` read by its `init(json:)` from the JSON text in `bytes`.
    public func read<T: JSONReadable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try read(type, from: $0) }
    }
}
