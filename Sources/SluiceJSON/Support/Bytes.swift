/// Byte-range comparisons without Foundation's `memcmp`: whole words, overlapping at the end,
/// so that no byte is compared one at a time and nothing outside either range is read.
enum Bytes {
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        if count >= 8 {
            var i = 0
            while i &+ 8 < count {
                guard rawA.loadUnaligned(fromByteOffset: i, as: UInt64.self) == rawB.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
                i &+= 8
            }
            // The last eight bytes (overlapping the word before when count is not a multiple).
            return rawA.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) == rawB.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        }
        if count >= 4 {
            return rawA.loadUnaligned(as: UInt32.self) == rawB.loadUnaligned(as: UInt32.self)
                && rawA.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self) == rawB.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
        }
        if count >= 2 {
            return rawA.loadUnaligned(as: UInt16.self) == rawB.loadUnaligned(as: UInt16.self)
                && rawA.loadUnaligned(fromByteOffset: count &- 2, as: UInt16.self) == rawB.loadUnaligned(fromByteOffset: count &- 2, as: UInt16.self)
        }
        return count <= 0 || a[0] == b[0]
    }

    /// Whether `a[0..<count]` equals `target`.
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ count: Int, _ target: UnsafeRawBufferPointer) -> Bool {
        guard count == target.count else { return false }
        guard count > 0, let base = target.baseAddress else { return true }
        return equal(a, base.assumingMemoryBound(to: UInt8.self), count)
    }
}

extension UInt64 {
    @inline(__always)
    func rotateLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
