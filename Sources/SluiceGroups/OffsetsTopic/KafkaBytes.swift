import SluiceLog

/// Kafka's classic (non-flexible) field encoding, as `__consumer_offsets` records use it:
/// big-endian integers, int16-length strings (-1 = null), int32-length bytes (-1 = null).
struct KafkaWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int16(_ value: Int16) { append(value) }
    mutating func int32(_ value: Int32) { append(value) }
    mutating func int64(_ value: Int64) { append(value) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        int16(Int16(clamping: utf8.count))
        bytes.append(contentsOf: utf8.prefix(Int(Int16.max)))
    }

    mutating func nullableString(_ value: String?) {
        guard let value else { return int16(-1) }
        string(value)
    }

    mutating func nullableBytes(_ value: [UInt8]?) {
        guard let value else { return int32(-1) }
        int32(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// The reading side: bounds-checked, so a damaged record is an error, never a crash.
struct KafkaReader {
    private let bytes: [UInt8]
    private(set) var position = 0
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func int16() throws -> Int16 { try integer() }
    mutating func int32() throws -> Int32 { try integer() }
    mutating func int64() throws -> Int64 { try integer() }

    mutating func string() throws -> String {
        guard let value = try nullableString() else { throw malformed("a string is null") }
        return value
    }

    mutating func nullableString() throws -> String? {
        let length = Int(try int16())
        if length == -1 { return nil }
        return String(decoding: try take(length), as: UTF8.self)
    }

    mutating func nullableBytes() throws -> [UInt8]? {
        let length = Int(try int32())
        if length == -1 { return nil }
        return Array(try take(length))
    }

    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        return raw.reduce(T.zero) { ($0 << 8) | T(truncatingIfNeeded: $1) }
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw malformed("a field of \(count) bytes runs past the end (\(bytes.count - position) left)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    func malformed(_ why: String) -> LogError {
        LogError(.corruptMessage, "malformed \(what) record in __consumer_offsets: \(why)")
    }
}
