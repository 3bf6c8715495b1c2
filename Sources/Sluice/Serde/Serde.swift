import SluiceJSON

/// Turns values into record bytes and back. A topic's key and value serdes fix its types, so a
/// stream can only be written to a topic of the same types (a compile error otherwise).
///
/// Implementations must be stateless or internally synchronised: the runtime calls one serde
/// from several task threads.
public protocol Serde<Value>: Sendable {
    associatedtype Value
    /// Appends the encoding of `value` to `bytes`.
    func encode(_ value: Value, into bytes: inout [UInt8]) throws
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value

    /// Runs `body` on the encoding of `value`: how `Stream.to(_:)` writes a record, whose key
    /// and value bytes are needed only to be hashed and copied into a batch. `scratch` is a
    /// buffer the caller lends for the encoding (its contents on entry are not meaningful); a
    /// serde whose values already are their bytes (`StringSerde`, `BytesSerde`) hands those
    /// over instead, and `JSONSerde` writes into stack memory. The bytes are valid during
    /// `body` only. Errors thrown by `body` are rethrown as they are.
    func withEncoded(_ value: Value, scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension Serde {
    /// Encodes `value` into `scratch` (emptied first) and runs `body` on it.
    public func withEncoded(_ value: Value, scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        scratch.removeAll(keepingCapacity: true)
        try encode(value, into: &scratch)
        try scratch.withUnsafeBytes { try body($0) }
    }
}

/// UTF-8 text. Decoding rejects invalid UTF-8 (so a poison record is reported, not mangled).
public struct StringSerde: Serde {
    public init() {}

    public func encode(_ value: String, into bytes: inout [UInt8]) { bytes.append(contentsOf: value.utf8) }

    /// The string's own UTF-8 (no copy for a native string; a small one is copied to the stack).
    /// Read in place, not through `withUTF8` on a copy: that copy cost a retain and a release
    /// per record.
    public func withEncoded(_ value: String, scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if try value.utf8.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) != nil { return }
        var native = value  // a bridged string: made native first
        try native.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> String {
        // Keys are mostly ASCII: checked 8 bytes at a time, they take the standard library's
        // fast UTF-8 path (`String(validating:)` is generic over encodings and costs ~1,000
        // instructions for a 13-byte key).
        if let small = SmallString.ascii(bytes) { return small }
        if Self.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        guard let text = String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw SerdeError("the bytes are not valid UTF-8 (from byte \(Self.firstInvalidOffset(bytes)) of \(bytes.count))")
        }
        return text
    }

    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Where the first ill-formed UTF-8 sequence starts (only failures pay for this).
    private static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error, .emptyInput: return offset
            }
        }
    }
}

/// The bytes as they are.
public struct BytesSerde: Serde {
    public init() {}
    public func encode(_ value: [UInt8], into bytes: inout [UInt8]) { bytes.append(contentsOf: value) }

    /// The array's own bytes.
    public func withEncoded(_ value: [UInt8], scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try value.withUnsafeBytes { try body($0) }
    }
    public func decode(_ bytes: UnsafeRawBufferPointer) -> [UInt8] { Array(bytes) }
}

/// `Codable` values as JSON (the default for topic values), with snake_case keys on the wire:
/// `orderId` travels as `order_id`, as Foundation's `convertToSnakeCase` and
/// `convertFromSnakeCase` strategies spell it.
///
/// Speed: SluiceJSON's decoder and encoder work on the record bytes directly, several times
/// faster than Foundation's. A `Value` that also conforms to `JSONReadable` is decoded through
/// its hand-written reader, and one that conforms to `JSONWritable` is encoded through its
/// writer, which skip Codable's machinery and are several times faster again. Which path a type
/// takes is decided once, when the serde is made (see `JSONCodec`), not per record. Such a
/// type spells its keys exactly as they are in the bytes (`order_id`), and should read and
/// write what its Codable conformance does under the snake_case strategies.
///
/// What is guaranteed: decoding validates the whole record as strict JSON; every failure, in
/// either direction, is a `SerdeError` whose description names the type and the problem (with
/// the byte offset and the path of the value, such as `items[1].qty`), and whose
/// `underlyingError` is SluiceJSON's error. `encode` appends to the caller's bytes in place and
/// leaves them as they were when it throws.
///
/// Thread safety: a `Sendable` value without mutable state of its own; the runtime calls one
/// serde from several task threads at once (each call borrows its own scratch memory).
///
/// Cost per call: the runtime calls serdes through `any Serde<Value>`, so these methods run as
/// unspecialized generic code. The serde therefore keeps only the codec's two paths, as
/// closures (the same layout for every `Value`), not the `JSONCodec<Value>` itself, whose use
/// in unspecialized code would look up its generic metadata on every record. (The conformance
/// to `Sendable` is unchecked for the reason `JSONCodec`'s is.)
public struct JSONSerde<Value: Codable & Sendable>: Serde, @unchecked Sendable {
    /// `JSONCodec.decodeBody` of the snake_case codec.
    @usableFromInline let decodeBody: (UnsafeRawBufferPointer) throws -> Value
    /// `JSONCodec.encodeBody` of the snake_case codec.
    @usableFromInline let encodeBody: (Value, inout [UInt8]) throws -> Void
    /// `JSONCodec.withEncodedBody` of the snake_case codec.
    @usableFromInline let withEncodedBody: (Value, inout [UInt8], (UnsafeRawBufferPointer) throws -> Void) throws -> Void

    public init() {
        let codec = JSONCodec<Value>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
        decodeBody = codec.decodeBody
        encodeBody = codec.encodeBody
        withEncodedBody = codec.withEncodedBody
    }

    /// The JSON text of `value`, written into stack memory when its type writes itself
    /// (`JSONWritable`), else into `scratch`.
    public func withEncoded(_ value: Value, scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        // `body`'s own errors (a send that failed) go out as they are; only the encoder's are
        // a `SerdeError`.
        var bodyError: (any Error)?
        do {
            try withEncodedBody(value, &scratch) { bytes in
                do { try body(bytes) } catch { bodyError = error }
            }
        } catch {
            throw SerdeError.json(error, encoding: Value.self)
        }
        if let bodyError { throw bodyError }
    }

    /// Appends the JSON text of `value` to `bytes`.
    public func encode(_ value: Value, into bytes: inout [UInt8]) throws {
        do {
            try encodeBody(value, &bytes)
        } catch {
            throw SerdeError.json(error, encoding: Value.self)
        }
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        do {
            return try decodeBody(bytes)
        } catch {
            throw SerdeError.json(error, decoding: Value.self, byteCount: bytes.count)
        }
    }
}

/// A value that could not be encoded or decoded.
public struct SerdeError: Error, CustomStringConvertible {
    public var description: String
    /// What the serde's coder threw, when the failure came from one (SluiceJSON's `JSONError`,
    /// or a `DecodingError` / `EncodingError` carrying one).
    public var underlyingError: (any Error)?

    public init(_ description: String, underlyingError: (any Error)? = nil) {
        self.description = description
        self.underlyingError = underlyingError
    }

    /// A JSON decoding failure, described by SluiceJSON's error (problem, byte offset, path).
    static func json(_ error: any Error, decoding type: Any.Type, byteCount: Int) -> SerdeError {
        SerdeError("cannot decode \(type) from \(byteCount) bytes of JSON: \(detail(of: error))", underlyingError: error)
    }

    /// A JSON encoding failure.
    static func json(_ error: any Error, encoding type: Any.Type) -> SerdeError {
        SerdeError("cannot encode \(type) as JSON: \(detail(of: error))", underlyingError: error)
    }

    /// The sentence of a SluiceJSON error; anything else (thrown by a type's own `init(from:)`,
    /// `init(json:)` and so on) as it describes itself.
    private static func detail(of error: any Error) -> String {
        if let json = error as? JSONError { return json.description }
        if let decoding = error as? DecodingError, let json = decoding.jsonError { return json.description }
        if let encoding = error as? EncodingError, let json = encoding.jsonError { return json.description }
        return String(describing: error)
    }
}

extension JSONSerde where Value: JSONReadable & JSONWritable {
    /// The serde of a type with its own reader and writer, which it always uses (as `init()`
    /// would choose at run time).
    ///
    /// Why a second init: `init()` only knows `Value: Codable`, so it reaches the reader and the
    /// writer through their conformances, from unspecialized code, per record. This one is
    /// inlinable and knows the conformances statically: made where `Value` is a concrete type
    /// (`Topic(_:)` in a pipeline), its closures call `Value`'s `init(json:)` and `write(json:)`
    /// directly, specialized for it.
    @inlinable
    public init() {
        let decoder = FastJSONDecoder()  // the reader's keys are spelled as in the bytes
        decodeBody = { try decoder.read(Value.self, from: $0) }
        encodeBody = { try $0.writeJSON(into: &$1) }
        withEncodedBody = { try $0.withJSON(spill: &$1, $2) }
    }
}
