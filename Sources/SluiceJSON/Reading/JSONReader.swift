/// A value of a document opened with `FastJSONDecoder.read(_:_:)`: the way to read JSON without
/// Codable's protocol dispatch, for the few types on a hot path.
///
/// Codable calls travel through the standard library's type-erased containers (a box per
/// container, generic metadata looked up per call); measured here, that machinery alone costs
/// more per order event than reading it. A reader is a plain struct: each getter is one direct
/// call into this module that finds the key and converts the value. The getters are
/// `@inlinable` so that the struct plumbing disappears into the caller.
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
/// Speed: reading is one pass over the bytes when members are asked for in the order the
/// document has them (the usual case: write the getters in the order the producer writes the
/// members). Each getter then checks that the next key is the one asked for and converts its
/// value straight from the bytes; nothing is indexed and nothing is allocated but the values'
/// own storage (strings of up to 15 UTF-8 bytes need none). Members never asked for are skipped
/// (and validated) on the way. Anything else still works, at about the cost of indexing the
/// document once: a key asked for out of order (or absent, or repeated), keys converted from
/// snake case, `decode` through Codable, `count`, `keys`, coding paths and errors.
///
/// What is guaranteed, as with the indexed reader this replaces: the whole input is validated
/// (`read` returns only for valid JSON, and throws the document's first syntax error otherwise,
/// even when `body` threw first or never looked at the bad part); duplicate keys: the first
/// occurrence wins; keys are matched as the decoder's `keyDecodingStrategy` says (with
/// `convertFromSnakeCase`, `"orderId"` finds `order_id`). Errors are ``JSONError``s with the byte
/// offset and the path of the value. Readers are valid only while `read` runs: one kept past it
/// throws ``JSONError/Kind/decoderUsedAfterReturn`` instead of reading freed memory.
///
/// Note that `body` may run before the end of the document has been validated: on invalid input
/// its result is discarded and the syntax error thrown.
public struct JSONReader {
    /// The read's state (never freed; see `ReaderState`).
    @usableFromInline let state: UnsafeMutablePointer<ReaderState>
    /// See `ReaderPosition`.
    @usableFromInline let position: Int
    /// The read this reader belongs to.
    @usableFromInline let generation: Int

    @inlinable
    init(state: UnsafeMutablePointer<ReaderState>, position: Int, generation: Int) {
        self.state = state
        self.position = position
        self.generation = generation
    }

    /// The JSON type of the value.
    @inlinable public var kind: JSONKind { state.pointee.kind(at: position, generation: generation) }

    @inlinable public var isNull: Bool { kind == .null }

    @inlinable public func string() throws(JSONError) -> String { try state.pointee.string(at: position, generation: generation) }
    @inlinable public func bool() throws(JSONError) -> Bool { try state.pointee.bool(at: position, generation: generation) }
    @inlinable public func int() throws(JSONError) -> Int { try state.pointee.int(at: position, generation: generation) }
    @inlinable public func int64() throws(JSONError) -> Int64 { try state.pointee.int64(at: position, generation: generation) }
    @inlinable public func uint64() throws(JSONError) -> UInt64 { try state.pointee.uint64(at: position, generation: generation) }
    @inlinable public func double() throws(JSONError) -> Double { try state.pointee.double(at: position, generation: generation) }
    @inlinable public func float() throws(JSONError) -> Float { try state.pointee.float(at: position, generation: generation) }

    /// The value, a string, turned into a `T` by `match` from its UTF-8 bytes without making a
    /// `String`; see ``JSONObjectReader/string(_:matching:)``.
    @inlinable
    public func string<T>(matching match: (UnsafeRawBufferPointer) -> T?) throws(JSONError) -> T {
        let bytes = try state.pointee.stringBytes(at: position, generation: generation)
        guard let matched = match(bytes) else { throw state.pointee.invalidValue(at: position, generation: generation, T.self) }
        return matched
    }

    @inlinable @inline(always)
    public func object() throws(JSONError) -> JSONObjectReader {
        let opened = state.pointee.openPendingCompact(position, generation: generation, bracket: 0x7B)
        if opened >= 0 { return JSONObjectReader(state: state, position: position, depth: opened, generation: generation) }
        let (object, depth) = try state.pointee.openObject(at: position, generation: generation)
        return JSONObjectReader(state: state, position: object, depth: depth, generation: generation)
    }

    @inlinable @inline(always)
    public func array() throws(JSONError) -> JSONArrayReader {
        let opened = state.pointee.openPendingCompact(position, generation: generation, bracket: 0x5B)
        if opened >= 0 { return JSONArrayReader(state: state, position: position, depth: opened, generation: generation) }
        let (array, depth) = try state.pointee.openArray(at: position, generation: generation)
        return JSONArrayReader(state: state, position: array, depth: depth, generation: generation)
    }

    /// The value through Codable (for types without a reader of their own).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try state.pointee.decode(type, at: position, generation: generation) }

    /// The coding path of the value.
    public var codingPath: [any CodingKey] { state.pointee.codingPath(at: position, generation: generation) }
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
    /// - Throws: ``JSONError`` when the text is not valid JSON (whatever `body` did), or what
    ///   `body` throws.
    @inlinable
    public func read<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (JSONReader) throws -> Result) throws -> Result {
        let state = try beginRead(bytes)
        let result: Result
        do {
            result = try body(JSONReader(state: state, position: state.pointee.pos, generation: state.pointee.generation))
            try state.pointee.finish()
        } catch {
            throw endRead(state, failing: error)
        }
        endRead(state)
        return result
    }

    /// Opens the JSON text in `bytes` (UTF-8) and hands its top-level value to `body`.
    @inlinable
    public func read<Result>(_ bytes: [UInt8], _ body: (JSONReader) throws -> Result) throws -> Result {
        try bytes.withUnsafeBytes { try read($0, body) }
    }

    /// A `T` read by its `init(json:)` from the JSON text in `bytes`.
    @inlinable
    public func read<T: JSONReadable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        try read(bytes) { try T(json: $0) }
    }

    /// A `T` read by its `init(json:)` from the JSON text in `bytes`.
    @inlinable
    public func read<T: JSONReadable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try read(type, from: $0) }
    }

    /// Borrows a reader state from the pool and points it at `bytes`.
    @usableFromInline
    func beginRead(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> UnsafeMutablePointer<ReaderState> {
        let state = ReaderStatePool.shared.take()
        do {
            try state.pointee.begin(bytes, self)
        } catch {
            ReaderStatePool.shared.put(state)
            throw error
        }
        return state
    }

    /// Ends the read of `state`, which threw `error`; returns what the read throws (see
    /// `ReaderState.failing`).
    @usableFromInline @inline(never)
    func endRead(_ state: UnsafeMutablePointer<ReaderState>, failing error: any Error) -> any Error {
        let thrown = state.pointee.failing(error)
        endRead(state)
        return thrown
    }

    /// Ends the read of `state` (readers kept past it throw) and parks the state for the next.
    @usableFromInline
    func endRead(_ state: UnsafeMutablePointer<ReaderState>) {
        state.pointee.close()
        ReaderStatePool.shared.put(state)
    }
}
