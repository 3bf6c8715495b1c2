/// Big-endian reads and writes, the byte order of every fixed-width Kafka field.

extension UnsafeRawBufferPointer {
    @inlinable func readInt64(at offset: Int) -> Int64 {
        Int64(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }
    @inlinable func readInt32(at offset: Int) -> Int32 {
        Int32(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int32.self))
    }
    @inlinable func readUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable func readInt16(at offset: Int) -> Int16 {
        Int16(bigEndian: loadUnaligned(fromByteOffset: offset, as: Int16.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable func write<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    @inlinable mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inlinable mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.write(value, at: offset) }
    }
}

/// 64 KiB of zeros to grow buffers from: `append(contentsOf: repeatElement(0, count:))` is a
/// byte-at-a-time loop in debug builds, a memcpy from here is not.
private let zeroPage = [UInt8](repeating: 0, count: 1 << 16)

extension Array where Element == UInt8 {
    /// Appends `count` zero bytes (space to be written in place).
    @inlinable mutating func appendZeros(_ count: Int) {
        // Grown once, geometrically, so that the chunks below never reallocate.
        let needed = self.count + count
        if capacity < needed { reserveCapacity(Swift.max(needed, capacity * 2)) }
        var left = count
        while left > 0 {
            let n = Swift.min(left, 1 << 16)
            _appendZeroChunk(n)
            left -= n
        }
    }

    @usableFromInline mutating func _appendZeroChunk(_ n: Int) {
        zeroPage.withUnsafeBufferPointer { append(contentsOf: $0[0..<n]) }
    }
}
