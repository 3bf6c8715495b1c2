/// A bounds-checked cursor over Kafka's classic (non-flexible) primitive encoding: big-endian
/// int16/int32/int64, int16-length strings, int32-length bytes and arrays, a negative length for
/// null. The consumer-protocol blobs and the `__consumer_offsets` records are both read with it.
///
/// Guarantees: every read checks the bytes left before touching them, so no input can trap; an
/// array's count is checked against the bytes left before anything is allocated, so a forged
/// count cannot exhaust memory; every defect throws `KafkaEncodingError` with a message naming
/// what is read, the field, and its byte offset.
struct KafkaPrimitiveReader {
    private let bytes: [UInt8]
    private var position = 0
    /// What is being read ("consumer-protocol subscription", "offset commit value"), for messages.
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - position }

    mutating func int16(_ field: String) throws(KafkaEncodingError) -> Int16 { try integer(field) }
    mutating func int32(_ field: String) throws(KafkaEncodingError) -> Int32 { try integer(field) }
    mutating func int64(_ field: String) throws(KafkaEncodingError) -> Int64 { try integer(field) }

    /// `string`: an int16 length (never negative) and UTF-8 bytes; invalid UTF-8 is an error.
    mutating func string(_ field: String) throws(KafkaEncodingError) -> String {
        let start = position
        return try text(count: try nonNullLength(field), field, at: start)
    }

    /// `string` read as Java's `new String(bytes, UTF_8)` reads it: invalid UTF-8 becomes U+FFFD
    /// instead of an error. For records that `KafkaPrimitiveWriter.truncatingString` may have cut
    /// inside a character, which must still read back.
    mutating func lossyString(_ field: String) throws(KafkaEncodingError) -> String {
        String(decoding: try take(try nonNullLength(field), field), as: UTF8.self)
    }

    /// `nullable string`: a negative length is null (Kafka's generated readers treat any
    /// negative length so); otherwise as `string`.
    mutating func nullableString(_ field: String) throws(KafkaEncodingError) -> String? {
        let start = position
        let length = try int16(field)
        if length < 0 { return nil }
        return try text(count: Int(length), field, at: start)
    }

    /// `nullable bytes`: an int32 length (negative is null) and the bytes.
    mutating func nullableBytes(_ field: String) throws(KafkaEncodingError) -> [UInt8]? {
        let length = try int32(field)
        if length < 0 { return nil }
        return Array(try take(Int(length), field))
    }

    /// A non-nullable array: an int32 count, then the elements. The count is checked against the
    /// bytes left (each element takes at least `minimumElementSize`, which must be positive)
    /// before anything is allocated.
    mutating func array<T>(
        _ field: String, minimumElementSize: Int, _ element: (inout KafkaPrimitiveReader) throws(KafkaEncodingError) -> T
    ) throws(KafkaEncodingError) -> [T] {
        let start = position
        let count = try int32(field)
        guard count >= 0 else {
            throw KafkaEncodingError(.invalidLength, "\(what): array \(field) at byte \(start) is null (count \(count)) but cannot be")
        }
        guard Int(count) <= remaining / minimumElementSize else {
            throw KafkaEncodingError(
                .invalidLength, "\(what): array \(field) at byte \(start) claims \(count) elements but only \(remaining) bytes remain")
        }
        var out: [T] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }

    /// The int16 length of a string the schema does not allow to be null.
    private mutating func nonNullLength(_ field: String) throws(KafkaEncodingError) -> Int {
        let start = position
        let length = try int16(field)
        guard length >= 0 else {
            throw KafkaEncodingError(.invalidLength, "\(what): \(field) at byte \(start) is null (length \(length)) but cannot be")
        }
        return Int(length)
    }

    /// `count` bytes of valid UTF-8; `start` is where the string's length was, for the message.
    private mutating func text(count: Int, _ field: String, at start: Int) throws(KafkaEncodingError) -> String {
        guard let text = String(validating: try take(count, field), as: UTF8.self) else {
            throw KafkaEncodingError(.invalidString, "\(what): \(field) at byte \(start) is not valid UTF-8")
        }
        return text
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws(KafkaEncodingError) -> T {
        try take(MemoryLayout<T>.size, field).reduce(T.zero) { $0 << 8 | T(truncatingIfNeeded: $1) }
    }

    /// The next `count` bytes, or `truncated` (and the position unchanged) if fewer remain.
    private mutating func take(_ count: Int, _ field: String) throws(KafkaEncodingError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw KafkaEncodingError(
                .truncated, "\(what) ends inside \(field) at byte \(position): needs \(count) bytes, \(remaining) remain")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }
}
