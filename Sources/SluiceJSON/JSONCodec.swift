/// JSON for one `Codable` type, through the fastest path the type offers: its own
/// ``JSONReadable`` reader and ``JSONWritable`` writer when it has them, Codable otherwise.
///
/// ```swift
/// let codec = JSONCodec<OrderEvent>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
/// let event = try codec.decode(recordValue)          // OrderEvent's init(json:) if it has one
/// try codec.encode(event, into: &outputValue)        // its write(json:) if it has one
/// ```
///
/// Why: a pipeline states its record types once (a topic's `Codable` value type) and then
/// decodes and encodes millions of them; the reader and writer skip Codable's type-erased
/// containers and are several times faster, but generic code that only knows `Value: Codable`
/// cannot call them. The codec asks once, at `init`, whether `Value` conforms (a cast of the
/// metatype) and keeps the answer, so no record pays for the question.
///
/// What is guaranteed:
/// - The key strategies apply to the Codable paths only. ``JSONReadable`` and ``JSONWritable``
///   types spell their keys exactly as they appear in the bytes (a reader written for
///   `order_id` reads `order_id`), so their paths use `.useDefaultKeys`; such a type should
///   read and write what its Codable conformance does under the strategies given here.
/// - Decoding validates the whole input either way (see ``FastJSONDecoder``). Failures are
///   `DecodingError`s on the Codable path and ``JSONError``s on the reader path, both with the
///   byte offset and the coding path of the value; encoding failures are `EncodingError`s or
///   ``JSONError``s.
/// - `encode(_:into:)` appends to the caller's array in place (no intermediate array) and
///   leaves it as it was when it throws.
///
/// Thread safety: a `Sendable` value with no mutable state of its own; any number of tasks may
/// share one (the coders inside borrow scratch memory per call, see ``FastJSONDecoder``). The
/// conformance is unchecked only because the two paths are closures that use `Value`'s
/// metatype (not `Sendable` for every `Value`); besides it they capture only `Sendable` values.
public struct JSONCodec<Value: Codable>: @unchecked Sendable {
    /// The Codable decoder (and its key strategy).
    public let decoder: FastJSONDecoder
    /// The Codable encoder (and its key strategy).
    public let encoder: FastJSONEncoder
    /// Whether `decode` goes through `Value`'s ``JSONReadable`` reader.
    public let readsDirectly: Bool
    /// Whether `encode` goes through `Value`'s ``JSONWritable`` writer.
    public let writesDirectly: Bool
    /// `decode`'s path (reader or Codable), chosen at `init`.
    ///
    /// Why a closure: callers that hold the codec generically (`JSONSerde`, called through
    /// `any Serde<Value>`) run unspecialized code, where touching a `JSONCodec<Value>` value
    /// asks the runtime for its generic metadata on every call (~400 instructions). A closure
    /// has the same layout for every `Value`, so a caller may copy it out once and call it with
    /// no metadata lookup at all.
    package let decodeBody: (UnsafeRawBufferPointer) throws -> Value
    /// `encode(_:into:)`'s path (writer or Codable), chosen at `init`; see `decodeBody`. Leaves
    /// `bytes` as they were when it throws.
    package let encodeBody: (Value, inout [UInt8]) throws -> Void
    /// `withEncoded(_:spill:_:)`'s path, chosen at `init`; see `decodeBody`.
    package let withEncodedBody: (Value, inout [UInt8], (UnsafeRawBufferPointer) throws -> Void) throws -> Void

    public init(
        keyDecodingStrategy: FastJSONDecoder.KeyDecodingStrategy = .useDefaultKeys,
        keyEncodingStrategy: FastJSONEncoder.KeyEncodingStrategy = .useDefaultKeys
    ) {
        let decoder = FastJSONDecoder(keyDecodingStrategy: keyDecodingStrategy)
        let encoder = FastJSONEncoder(keyEncodingStrategy: keyEncodingStrategy)
        self.decoder = decoder
        self.encoder = encoder
        let reader = (Value.self as? any JSONReadable.Type).flatMap { Self.reader(for: $0) }
        let writer = (Value.self as? any JSONWritable.Type).flatMap { Self.writer(for: $0) }
        readsDirectly = reader != nil
        writesDirectly = writer != nil
        if let reader {
            // The decoder of the reader path: keys as written.
            let plainDecoder = FastJSONDecoder()
            decodeBody = { try reader.read(plainDecoder, $0) }
        } else {
            decodeBody = { try decoder.decode(Value.self, from: $0) }
        }
        if let writer {
            encodeBody = { try writer.write($0, into: &$1) }
            withEncodedBody = { try writer.withEncoded($0, spill: &$1, $2) }
        } else {
            encodeBody = { try encoder.encode($0, into: &$1) }
            withEncodedBody = { value, spill, body in
                spill.removeAll(keepingCapacity: true)
                try encoder.encode(value, into: &spill)
                try spill.withUnsafeBytes { try body($0) }
            }
        }
    }

    /// The `Value` in the JSON text `bytes` (UTF-8).
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        try decodeBody(bytes)
    }

    /// The `Value` in the JSON text `bytes` (UTF-8).
    public func decode(_ bytes: [UInt8]) throws -> Value {
        try bytes.withUnsafeBytes { try decode($0) }
    }

    /// Appends the JSON text of `value` to `bytes`; on error `bytes` is left as it was.
    public func encode(_ value: Value, into bytes: inout [UInt8]) throws {
        try encodeBody(value, &bytes)
    }

    /// Runs `body` on the JSON text of `value`, without an array when `Value` writes itself
    /// (``JSONWritable/withJSON(spill:_:)``); otherwise the text is encoded into `spill`
    /// (emptied first). The bytes are valid during `body` only.
    /// - Throws: the encoding error (then `body` is not called), or what `body` throws.
    public func withEncoded(_ value: Value, spill: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withEncodedBody(value, &spill, body)
    }

    /// The JSON text of `value`.
    public func encode(_ value: Value) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(value, into: &bytes)
        return bytes
    }

    // `ReadableValue<R>` reads an `R`, which is `Value` itself (`R` comes from casting
    // `Value.self`): the cast to `any DirectReading<Value>`, checked by the runtime once here,
    // says so to the compiler. Per record there is then no cast, no copy and no generic type to
    // look up: the reader initializes the caller's value in place.

    private static func reader<R: JSONReadable>(for _: R.Type) -> (any DirectReading<Value>)? {
        ReadableValue<R>() as? any DirectReading<Value>
    }

    private static func writer<W: JSONWritable>(for _: W.Type) -> (any DirectWriting<Value>)? {
        WritableValue<W>() as? any DirectWriting<Value>
    }
}

/// `Value`'s own reader, behind a protocol so that `JSONCodec` can hold it without knowing the
/// conformance statically.
protocol DirectReading<Value>: Sendable {
    associatedtype Value
    func read(_ decoder: FastJSONDecoder, _ bytes: UnsafeRawBufferPointer) throws -> Value
}

/// `Value`'s own writer; see `DirectReading`.
protocol DirectWriting<Value>: Sendable {
    associatedtype Value
    func write(_ value: Value, into bytes: inout [UInt8]) throws
    func withEncoded(_ value: Value, spill: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// Reads an `R` by `R.init(json:)`.
///
/// What `FastJSONDecoder.read(_:from:)` does, written out: this code is generic over `R` and
/// runs unspecialized (`JSONCodec` holds it behind `DirectReading`), where the closure that
/// `read(_:_:)` takes and its generic result cost a context, value-witness copies and calls per
/// record. Here `R.init(json:)` initializes the caller's value in place, with the same
/// guarantees (whole-document validation, the syntax error first, readers invalid afterwards).
struct ReadableValue<R: JSONReadable>: DirectReading {
    func read(_ decoder: FastJSONDecoder, _ bytes: UnsafeRawBufferPointer) throws -> R {
        let state = try decoder.beginRead(bytes)
        let value: R
        do {
            value = try R(json: JSONReader(state: state, position: state.pointee.pos, generation: state.pointee.generation))
            try state.pointee.finish()
        } catch {
            throw decoder.endRead(state, failing: error)
        }
        decoder.endRead(state)
        return value
    }
}

/// Writes a `W` by `W.write(json:)`.
struct WritableValue<W: JSONWritable>: DirectWriting {
    func write(_ value: W, into bytes: inout [UInt8]) throws {
        try value.writeJSON(into: &bytes)
    }

    func withEncoded(_ value: W, spill: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try value.withJSON(spill: &spill, body)
    }
}
