/// Strings of up to 15 UTF-8 bytes made straight from their bytes, in Swift's small-string
/// form: two words, no allocation, no second validation pass.
///
/// Why: most strings in records (ids, codes, enum-like values) are that short, and the public
/// ways to make one (`String(decoding:as:)`, `String(unsafeUninitializedCapacity:…)`) cost
/// about sixty instructions each (a closure, an ASCII scan, validation) where the value is two
/// words. The layout used here is the standard library's small-string representation on 64-bit
/// platforms (code units in order in the two words, the last byte holding the count and the
/// flags `immortal | small | ASCII`), which is part of Swift's ABI on Apple platforms and the
/// same on Linux.
///
/// What is guaranteed: `available` is true only after the layout was checked, once per
/// process, against strings the standard library made itself (ASCII and not, each length from
/// 0 to 15, by bits, equality, count and hash); when it is false, callers use the public
/// initializers. Only bytes that are valid UTF-8 (as validated by the scanner) may be given.
public enum SmallString {
    /// Whether `make` may be used on this platform and standard library.
    @usableFromInline static let available: Bool = verify()

    /// The string of `bytes` when they are at most 15 ASCII bytes, made in place (no
    /// validation pass, no allocation); nil otherwise, or where the layout check failed, so
    /// that callers take the public initializers. For short keys and codes on a hot path.
    @inlinable
    public static func ascii(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard available, bytes.count <= 15 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        guard (words.0 | words.1) & 0x8080_8080_8080_8080 == 0 else { return nil }
        words.1 |= (0xE0 | UInt64(truncatingIfNeeded: bytes.count)) &<< 56
        return unsafeBitCast(words, to: String.self)
    }

    /// The two words that are `string` when it is a small ASCII string: equal words, equal
    /// strings (the count and flags are in the second). Nil for any other string, or where the
    /// layout check failed. Lets a hot path tell short keys apart without hashing them.
    @inlinable @inline(__always)
    public static func identity(of string: String) -> (UInt64, UInt64)? {
        guard available else { return nil }
        let words = unsafeBitCast(string, to: (UInt64, UInt64).self)
        return words.1 &>> 60 == 0xE ? words : nil
    }

    /// The code units of `string` as two little-endian words and their count, when it is a
    /// small ASCII string (unused bytes are zero); nil for any other string. Only for callers
    /// that saw `available` true (read once and kept: each read of it is a `swift_once` call).
    @inlinable @inline(__always)
    static func asciiWords(of string: String) -> (leading: UInt64, trailing: UInt64, count: Int)? {
        let (leading, trailing) = unsafeBitCast(string, to: (UInt64, UInt64).self)
        guard trailing &>> 60 == 0xE else { return nil }
        return (leading, trailing & 0x00FF_FFFF_FFFF_FFFF, Int(truncatingIfNeeded: (trailing &>> 56) & 0x0F))
    }

    /// The string of the `count` (≤ 15) bytes at `p`, valid UTF-8, ASCII when `ascii`; the 16
    /// bytes at `p` must be readable.
    @inline(__always)
    static func make(_ p: UnsafePointer<UInt8>, _ count: Int, ascii: Bool) -> String {
        let raw = UnsafeRawPointer(p)
        let n = UInt64(truncatingIfNeeded: count)
        var leading = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        var trailing = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        // Keep the first `count` bytes: all of `leading` from 8 on, none of `trailing` up to 8.
        leading &= count >= 8 ? UInt64.max : (UInt64(1) &<< (n &* 8)) &- 1
        trailing &= count <= 8 ? 0 : (UInt64(1) &<< ((n &- 8) &* 8)) &- 1
        trailing |= ((ascii ? 0xE0 : 0xA0) | n) &<< 56
        return unsafeBitCast((leading, trailing), to: String.self)
    }

    /// The ASCII string whose `count` (≤ 15) bytes are the low bytes of `leading` then of
    /// `trailing` (first byte lowest), all bytes after them zero.
    ///
    /// The two words are written to `slot` (memory bound to `String`, uninitialized before and
    /// after the call) and moved out as a `String`. Why not a bit-cast: a bit-cast value is
    /// borrowed and gets retained (a runtime call, for a string that owns no memory) before it
    /// can be returned; and a local variable whose address is taken costs a stack-protector check.
    @inlinable @inline(always)
    static func ascii(_ leading: UInt64, _ trailing: UInt64, count: Int, in slot: UnsafeMutablePointer<String>) -> String {
        let raw = UnsafeMutableRawPointer(slot)
        raw.storeBytes(of: leading, as: UInt64.self)
        raw.storeBytes(of: trailing | (0xE0 | UInt64(truncatingIfNeeded: count)) &<< 56, toByteOffset: 8, as: UInt64.self)
        return slot.move()
    }

    private static func verify() -> Bool {
        #if _pointerBitWidth(_64) && _endian(little)
        guard MemoryLayout<String>.size == 16 else { return false }
        let samples: [[UInt8]] = (0...15).map { n in (0..<n).map { UInt8(0x61 + $0) } } + [[0xC3, 0xA9], [0x61, 0xE2, 0x82, 0xAC, 0x62], Array("日本語です".utf8)]
        for sample in samples where sample.count <= 15 {
            let expected = String(decoding: sample, as: UTF8.self)
            var padded = sample + [UInt8](repeating: 0x5A, count: 16)
            let ascii = sample.allSatisfy { $0 < 0x80 }
            let made = padded.withUnsafeMutableBufferPointer { buffer -> String? in
                guard let base = buffer.baseAddress else { return nil }
                return make(base, sample.count, ascii: ascii)
            }
            guard let made, made == expected, made.utf8.count == sample.count, Array(made.utf8) == sample, made.hashValue == expected.hashValue,
                unsafeBitCast(made, to: (UInt64, UInt64).self) == unsafeBitCast(expected, to: (UInt64, UInt64).self)
            else { return false }
            if ascii {
                var words: (UInt64, UInt64) = (0, 0)
                for (i, byte) in sample.enumerated() {
                    if i < 8 { words.0 |= UInt64(byte) << (i * 8) } else { words.1 |= UInt64(byte) << ((i - 8) * 8) }
                }
                let slot = UnsafeMutablePointer<String>.allocate(capacity: 1)
                defer { slot.deallocate() }
                let fromWords = Self.ascii(words.0, words.1, count: sample.count, in: slot)
                guard fromWords == expected, Array(fromWords.utf8) == sample, fromWords.hashValue == expected.hashValue,
                    unsafeBitCast(fromWords, to: (UInt64, UInt64).self) == unsafeBitCast(expected, to: (UInt64, UInt64).self)
                else { return false }
                // What `asciiWords(of:)` reads back from the standard library's own string.
                let bits = unsafeBitCast(expected, to: (UInt64, UInt64).self)
                guard bits.1 &>> 60 == 0xE, Int((bits.1 &>> 56) & 0x0F) == sample.count, bits.0 == words.0,
                    bits.1 & 0x00FF_FFFF_FFFF_FFFF == words.1
                else { return false }
            }
        }
        return true
        #else
        return false
        #endif
    }
}
