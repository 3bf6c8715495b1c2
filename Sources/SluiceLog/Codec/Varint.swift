/// ZigZag varints, as Kafka's `ByteUtils.writeVarint` / `readVarint` encode record fields
/// (lengths, deltas). -1 encodes as `01`, 1 as `02`, 64 as `80 01`.
enum Varint {
    @inlinable
    static func append(_ value: Int64, to buffer: inout [UInt8]) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    /// Bytes `append` writes for `value`: 7 bits a byte of its zigzag form, at least one.
    /// Counted from the leading zeros rather than byte by byte: a record append sizes its
    /// varints about eight times.
    @inlinable
    static func size(of value: Int64) -> Int {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        let bits = 64 - (zigzag | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }
}

/// A bounds-checked cursor over bytes that are not trusted (read from disk or the network).
/// Every read either succeeds within `bytes` or throws; nothing traps on malformed input.
@usableFromInline
struct ByteReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position: Int

    @inlinable init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    @inlinable var remaining: Int { bytes.count - position }

    /// Inline for the one- and two-byte varints that make up most of a record's framing
    /// (lengths, deltas); longer ones take the loop out of line.
    @inlinable @inline(__always)
    mutating func readVarlong() throws(LogError) -> Int64 {
        if bytes.count - position >= 2 {
            let first = bytes[position]
            if first < 0x80 {
                position += 1
                return Self.zigzag(UInt64(first))
            }
            let second = bytes[position + 1]
            if second < 0x80 {
                position += 2
                return Self.zigzag(UInt64(first & 0x7f) | UInt64(second) << 7)
            }
        }
        return try readLongVarlong()
    }

    @usableFromInline @inline(never)
    mutating func readLongVarlong() throws(LogError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw LogError(.corruptMessage, "record ends inside a varint") }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else { throw LogError(.corruptMessage, "varint longer than 10 bytes") }
        }
        return Self.zigzag(result)
    }

    @inlinable @inline(__always)
    static func zigzag(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @inlinable @inline(__always)
    mutating func readVarint() throws(LogError) -> Int32 {
        let v = try readVarlong()
        guard let narrow = Int32(exactly: v) else { throw LogError(.corruptMessage, "varint \(v) overflows int32") }
        return narrow
    }

    @inlinable
    mutating func readByte() throws(LogError) -> UInt8 {
        guard position < bytes.count else { throw LogError(.corruptMessage, "record ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads `length` bytes; a length of -1 is Kafka's null and gives `nil`.
    @inlinable @inline(__always)
    mutating func readBytes(length: Int32) throws(LogError) -> UnsafeRawBufferPointer? {
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= remaining else {
            throw LogError(.corruptMessage, "field length \(length) exceeds the \(remaining) bytes left in the record")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
        position += Int(length)
        return slice
    }
}
