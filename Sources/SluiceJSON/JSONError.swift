/// What went wrong reading or writing JSON, and where: the byte offset into the input and the
/// coding path of the value.
///
/// The decoder throws `DecodingError`, as Foundation's `JSONDecoder` does, so Codable code that
/// catches `DecodingError.keyNotFound` and friends keeps working; every one of those errors
/// carries a `JSONError` as its context's `underlyingError` (``Swift/DecodingError/jsonError``
/// reads it back). Syntax errors arrive as `.dataCorrupted`. The encoder does the same with
/// `EncodingError.invalidValue`. The reader API (``JSONReader``), which is not Codable, throws
/// `JSONError` itself.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        // Syntax (RFC 8259); `offset` is where the offending byte is.
        /// The input ended inside a value (or was empty).
        case unexpectedEndOfInput
        /// A byte that cannot stand where it stands (a trailing comma, a missing colon, a stray
        /// character, `01`…).
        case unexpectedByte(UInt8)
        /// A number that breaks the grammar: a leading zero, `-` or `.` or `e` without digits.
        case invalidNumber
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape
        /// A `\u` escape without four hex digits, or a surrogate without its other half.
        case invalidUnicodeEscape
        /// A byte below 0x20 inside a string; RFC 8259 requires these to be escaped.
        case unescapedControlCharacter(UInt8)
        /// Bytes inside a string that are not well-formed UTF-8 (overlong forms, encoded
        /// surrogates and code points above U+10FFFF included).
        case invalidUTF8
        /// Something other than whitespace after the top-level value.
        case trailingContent
        /// Containers nested deeper than the decoder's `maximumDepth`.
        case tooDeep(limit: Int)
        /// Inputs of 4 GiB and more (the index stores 32-bit offsets).
        case documentTooLarge

        // Decoding into Swift types; `offset` is where the value starts.
        /// The value has another JSON type than the Swift type asks for.
        case typeMismatch
        /// An object lacks the key.
        case keyNotFound
        /// `null` (or the end of an array) where a value is required.
        case valueNotFound
        /// A number outside the range of the requested type, a fraction asked for as an
        /// integer, or a magnitude that overflows (or underflows to zero in) `Double`/`Float`.
        case numberNotRepresentable
        /// A value of the right JSON type that the Swift type does not accept: a string that
        /// spells none of an enum's cases, read with ``JSONObjectReader/string(_:matching:)``.
        case invalidValue
        /// A `Decoder` or container kept past the end of `decode(_:from:)` and used again.
        case decoderUsedAfterReturn

        // Encoding; `offset` is nil.
        /// NaN or ±infinity, which JSON cannot represent.
        case nonConformingFloat
        /// Containers used out of the order a streaming encoder can honour, or a value slot
        /// filled twice.
        case invalidContainerUse
    }

    public let kind: Kind
    /// Byte offset into the input where the problem was found; nil for encoding errors.
    public let offset: Int?
    /// The keys and array indices leading to the value (empty for syntax errors).
    public let codingPath: [any CodingKey]
    /// A sentence naming the problem.
    public let message: String

    public init(_ kind: Kind, offset: Int?, codingPath: [any CodingKey] = [], _ message: String) {
        self.kind = kind
        self.offset = offset
        self.codingPath = codingPath
        self.message = message
    }

    public var description: String {
        var text = message
        if let offset { text += " (at byte \(offset))" }
        if !codingPath.isEmpty { text += " at " + JSONError.render(codingPath) }
        return text
    }

    /// `orders[2].items[0].sku`: keys joined with dots, array indices in brackets.
    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    /// How a byte reads in a message: `','` for printable ASCII, `0x0a` otherwise.
    static func show(_ byte: UInt8) -> String {
        (0x21...0x7e).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16)
    }
}

extension DecodingError {
    /// The ``JSONError`` behind an error thrown by ``FastJSONDecoder``: kind, byte offset, path.
    public var jsonError: JSONError? {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            context.underlyingError as? JSONError
        @unknown default:
            nil
        }
    }
}

extension EncodingError {
    /// The ``JSONError`` behind an error thrown by ``FastJSONEncoder``.
    public var jsonError: JSONError? {
        switch self {
        case .invalidValue(_, let context):
            context.underlyingError as? JSONError
        @unknown default:
            nil
        }
    }
}
