/// Key fingerprints for the duplicate-key check of an object opened for lookups (see
/// `JSONDecoderImpl.checkKeys`): cheap, word-at-a-time, and equal whenever the keys are equal
/// (`exact`) or convert to the same name from snake case (`folded`). Static functions over the
/// input pointer, so nothing large is passed around when the optimizer declines to inline them.
enum KeyFingerprint {
    /// The eight bytes at `i`, keeping only the first `count` (< 8 keeps fewer) and zeros after.
    /// A key is followed by at least `":` and a value and a bracket, so whole words are read
    /// past it only when they stay inside the input.
    @inline(__always)
    static func word(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ i: Int, _ count: Int) -> UInt64 {
        if _fastPath(i &+ 8 <= end) {
            let w = UnsafeRawPointer(bytes).loadUnaligned(fromByteOffset: i, as: UInt64.self)
            return count >= 8 ? w : w & ((UInt64(1) << (UInt64(count) &* 8)) &- 1)
        }
        var w: UInt64 = 0
        for k in 0..<min(count, 8) { w |= UInt64(bytes[i &+ k]) << (UInt64(k) &* 8) }
        return w
    }

    /// Length, first and last eight bytes: equal keys give equal words.
    @inline(__always)
    static func exact(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int, _ count: Int) -> UInt64 {
        let head = word(bytes, end, start, count)
        let tail = count > 8 ? word(bytes, end, start &+ count &- 8, 8) : 0
        return head ^ tail.rotateLeft(31) ^ UInt64(truncatingIfNeeded: count) &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// A word equal for keys whose conversions from snake case are equal. Such keys have the
    /// same characters once inner underscores are dropped and ASCII case is ignored, and the same
    /// leading and trailing underscores; this packs the number of non-underscore characters and
    /// the first and last of them, case-folded. (Weak on purpose: a collision only costs an
    /// exact check.)
    @inline(__always)
    static func folded(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int, _ count: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        var underscores = 0
        var i = 0
        while i < count {
            let w = word(bytes, end, start &+ i, count &- i)
            let u = w ^ (SWAR.ones &* UInt64(ASCII.underscore))
            // High bit exactly in the lanes that are `_` (no borrows between lanes); zero lanes
            // past the key are not `_`.
            underscores &+= (~(((u & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | u | 0x7F7F_7F7F_7F7F_7F7F)).nonzeroBitCount
            i &+= 8
        }
        var first = start
        var last = start &+ count &- 1
        while first < last && bytes[first] == ASCII.underscore { first &+= 1 }
        while last > first && bytes[last] == ASCII.underscore { last &-= 1 }
        let ends = UInt64(bytes[first] | 0x20) << 16 | UInt64(bytes[last] | 0x20) << 24
        let edges = UInt64(truncatingIfNeeded: first &- start) << 32 | UInt64(truncatingIfNeeded: start &+ count &- 1 &- last) << 40
        return UInt64(truncatingIfNeeded: count &- underscores) | ends | edges
    }
}
