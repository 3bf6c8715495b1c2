/// A bounds-checked cursor over Kafka's non-flexible primitive encoding (big-endian int16/int32,
/// int16-length strings, int32-length arrays and bytes, -1 for null), as the consumer-protocol
/// blobs use it. Every read checks the remaining length first, so no input can trap.
struct ConsumerProtocolReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    /// What is being read ("subscription", "assignment"), for error messages.
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.position = 0
        self.what = what
    }

    var remaining: Int { bytes.count - position }

    private func need(_ count: Int, _ field: String) throws(ConsumerProtocolError) {
        guard count <= remaining else {
            throw ConsumerProtocolError(
                .truncated, "\(what) ends inside \(field) at byte \(position): needs \(count) bytes, \(remaining) remain")
        }
    }

    mutating func int16(_ field: String) throws(ConsumerProtocolError) -> Int16 {
        try need(2, field)
        let value = Int16(bitPattern: UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1]))
        position += 2
        return value
    }

    mutating func int32(_ field: String) throws(ConsumerProtocolError) -> Int32 {
        try need(4, field)
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[position + i]) }
        position += 4
        return Int32(bitPattern: value)
    }

    /// `string`: an int16 length (never negative) and UTF-8 bytes.
    mutating func string(_ field: String) throws(ConsumerProtocolError) -> String {
        let start = position
        let length = try int16(field)
        guard length >= 0 else {
            throw ConsumerProtocolError(.invalidLength, "\(what): \(field) at byte \(start) is null (length \(length)) but cannot be")
        }
        return try utf8(count: Int(length), field, at: start)
    }

    /// `nullable string`: a negative length is null (Kafka's generated readers treat any
    /// negative length so).
    mutating func nullableString(_ field: String) throws(ConsumerProtocolError) -> String? {
        let start = position
        let length = try int16(field)
        if length < 0 { return nil }
        return try utf8(count: Int(length), field, at: start)
    }

    private mutating func utf8(count: Int, _ field: String, at start: Int) throws(ConsumerProtocolError) -> String {
        try need(count, field)
        let slice = bytes[position..<position + count]
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ConsumerProtocolError(.invalidString, "\(what): \(field) at byte \(start) is not valid UTF-8")
        }
        position += count
        return text
    }

    /// `nullable bytes`: an int32 length (negative is null) and the bytes.
    mutating func nullableBytes(_ field: String) throws(ConsumerProtocolError) -> [UInt8]? {
        let length = try int32(field)
        if length < 0 { return nil }
        try need(Int(length), field)
        let value = Array(bytes[position..<position + Int(length)])
        position += Int(length)
        return value
    }

    /// A non-nullable array: an int32 count, then the elements. The count is checked against the
    /// bytes left (each element takes at least `minimumElementSize`) before anything is
    /// allocated, so a forged count cannot exhaust memory.
    mutating func array<T>(
        _ field: String, minimumElementSize: Int, _ element: (inout ConsumerProtocolReader) throws(ConsumerProtocolError) -> T
    ) throws(ConsumerProtocolError) -> [T] {
        let start = position
        let count = try int32(field)
        guard count >= 0 else {
            throw ConsumerProtocolError(.invalidLength, "\(what): array \(field) at byte \(start) is null (count \(count)) but cannot be")
        }
        guard Int(count) <= remaining / minimumElementSize else {
            throw ConsumerProtocolError(
                .invalidLength, "\(what): array \(field) at byte \(start) claims \(count) elements but only \(remaining) bytes remain")
        }
        var out: [T] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }
}

/// The writing side of `ConsumerProtocolReader`. Lengths that do not fit their wire type throw
/// instead of being truncated.
struct ConsumerProtocolWriter {
    private(set) var bytes: [UInt8] = []
    private let what: String

    init(what: String) { self.what = what }

    mutating func int16(_ value: Int16) { append(UInt16(bitPattern: value)) }
    mutating func int32(_ value: Int32) { append(UInt32(bitPattern: value)) }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String, _ field: String) throws(ConsumerProtocolError) {
        let utf8 = value.utf8
        guard let length = Int16(exactly: utf8.count) else {
            throw ConsumerProtocolError(.valueTooLarge, "\(what): \(field) is \(utf8.count) UTF-8 bytes, more than a Kafka string holds (32767)")
        }
        int16(length)
        bytes.append(contentsOf: utf8)
    }

    mutating func nullableString(_ value: String?, _ field: String) throws(ConsumerProtocolError) {
        guard let value else { return int16(-1) }
        try string(value, field)
    }

    mutating func nullableBytes(_ value: [UInt8]?, _ field: String) throws(ConsumerProtocolError) {
        guard let value else { return int32(-1) }
        int32(try count(value.count, field))
        bytes.append(contentsOf: value)
    }

    mutating func array<C: Collection>(
        _ elements: C, _ field: String, _ element: (inout ConsumerProtocolWriter, C.Element) throws(ConsumerProtocolError) -> Void
    ) throws(ConsumerProtocolError) {
        int32(try count(elements.count, field))
        for value in elements { try element(&self, value) }
    }

    private func count(_ count: Int, _ field: String) throws(ConsumerProtocolError) -> Int32 {
        guard let length = Int32(exactly: count) else {
            throw ConsumerProtocolError(.valueTooLarge, "\(what): \(field) has \(count) elements, more than an int32 count holds")
        }
        return length
    }
}
