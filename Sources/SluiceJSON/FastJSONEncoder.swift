/// Encodes `Encodable` values as compact JSON bytes, without Foundation.
///
/// ```swift
/// let encoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)
/// var value: [UInt8] = []
/// try encoder.encode(payment, into: &value)   // appends; reuse `value` for the next record
/// ```
///
/// Codable calls are written straight into a byte buffer (no tree of values, no dictionary per
/// object); the buffer is reused from encode to encode, so an encode allocates nothing but what
/// the values' own `encode(to:)` do and the result array.
///
/// What is written: compact JSON (no whitespace). Strings escape `"`, `\` and the control
/// characters (`\b \f \n \r \t`, `\u00XX` for the rest); everything else, non-ASCII included, is
/// written as UTF-8 and `/` is not escaped (Foundation writes `\/` unless told not to). Doubles
/// and floats use Swift's shortest round-tripping form without a trailing `.0` (`3`, `0.1`,
/// `1e+20`), as Foundation does; NaN and infinities throw `EncodingError.invalidValue`. A value
/// that encodes nothing becomes `{}`; a top-level one that encodes nothing throws.
///
/// Streaming needs containers to be used in nesting order (see `JSONEncoderImpl`); a key
/// encoded twice is written twice. `Date`, `Data` and `URL` encode through their own
/// `Encodable` conformances (Foundation's encoder special-cases them: `Date` comes out the same,
/// `Data` as base64 and `URL` as a string there).
///
/// Thread safety: a `Sendable` value; share it freely. Each encode borrows its buffer from a
/// small lock-free pool the copies share.
public struct FastJSONEncoder: Sendable {
    public enum KeyEncodingStrategy: Sendable, Equatable {
        /// Keys are written as the `CodingKey`s' `stringValue`.
        case useDefaultKeys
        /// Keys are converted to snake case as Foundation's strategy of the same name does
        /// (`orderId` → `order_id`, `myURLValue` → `my_url_value`).
        case convertToSnakeCase
    }

    public struct OutputFormatting: OptionSet, Sendable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }
        /// Object members in the order of their keys' UTF-8 bytes.
        public static let sortedKeys = OutputFormatting(rawValue: 1 << 1)
    }

    struct Options: Sendable {
        var keyEncodingStrategy: KeyEncodingStrategy
        var outputFormatting: OutputFormatting
        var userInfo: [CodingUserInfoKey: any Sendable]
    }

    public var keyEncodingStrategy: KeyEncodingStrategy
    public var outputFormatting: OutputFormatting
    /// Handed to `encode(to:)` through `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    let pool = ScratchPool<JSONEncoderImpl>()

    public init(
        keyEncodingStrategy: KeyEncodingStrategy = .useDefaultKeys, outputFormatting: OutputFormatting = [],
        userInfo: [CodingUserInfoKey: any Sendable] = [:]
    ) {
        self.keyEncodingStrategy = keyEncodingStrategy
        self.outputFormatting = outputFormatting
        self.userInfo = userInfo
    }

    /// The JSON text of `value`.
    ///
    /// - Throws: `EncodingError` (with a ``JSONError`` as the underlying error where this
    ///   encoder found the problem), or whatever `value.encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try withEncoded(value) { Array($0) }
    }

    /// Appends the JSON text of `value` to `bytes`; on error `bytes` is left as it was.
    public func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        try withEncoded(value) { bytes.append(contentsOf: $0) }
    }

    private func withEncoded<T: Encodable, R>(_ value: T, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws -> R {
        var impl = pool.take() ?? JSONEncoderImpl()
        defer {
            // An encoder or container kept by `encode(to:)` pins its buffer for good.
            if isKnownUniquelyReferenced(&impl) {
                impl.state.pointee.out.trim()
                pool.put(impl)
            }
        }
        try impl.encodeDocument(value, options: Options(keyEncodingStrategy: keyEncodingStrategy, outputFormatting: outputFormatting, userInfo: userInfo))
        return body(impl.state.pointee.out.bytes)
    }
}
