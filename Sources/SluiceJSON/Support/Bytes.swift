/// Byte-range comparisons without Foundation's `memcmp`: eight bytes at a time, then the tail.
enum Bytes {
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while i + 8 <= count {
            guard rawA.loadUnaligned(fromByteOffset: i, as: UInt64.self) == rawB.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
            i += 8
        }
        while i < count {
            guard a[i] == b[i] else { return false }
            i += 1
        }
        return true
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
