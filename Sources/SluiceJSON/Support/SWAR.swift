/// Byte tests on eight bytes at once. (Inlinable: `ShortValues` is inlined into other modules.)
@usableFromInline
enum SWAR {
    @inlinable static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// High bit set in the lowest byte lane that is `"`, `\`, below 0x20 or at least 0x80
    /// (lanes above the lowest hit may carry false positives; only the lowest one is used).
    @inlinable @inline(always)
    static func quoteBackslashControlOrHigh(_ w: UInt64) -> UInt64 {
        quoteBackslashOrControl(w) | (w & highs)
    }

    /// The same test on two words at once (one vector register on x86-64 and arm64: the
    /// standard library lowers lane-wise integer arithmetic on `SIMD2<UInt64>` to vector
    /// instructions, unlike its comparisons, which go lane by lane).
    @inline(__always)
    static func quoteBackslashControlOrHigh(_ w: SIMD2<UInt64>) -> SIMD2<UInt64> {
        let ones = SIMD2<UInt64>(repeating: Self.ones)
        let quote = w ^ SIMD2(repeating: Self.ones &* UInt64(ASCII.quote))
        let backslash = w ^ SIMD2(repeating: Self.ones &* UInt64(ASCII.backslash))
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (w &- SIMD2(repeating: Self.ones &* 0x20)) & ~w
        return (zeroQuote | zeroBackslash | control | w) & SIMD2(repeating: highs)
    }

    /// High bit set in the lowest byte lane that is `"`, `\` or below 0x20 (lanes above it may
    /// carry false positives). Bytes ≥ 0x80 are not hits.
    @inlinable @inline(always)
    static func quoteBackslashOrControl(_ w: UInt64) -> UInt64 {
        let quote = w ^ (ones &* UInt64(ASCII.quote))
        let backslash = w ^ (ones &* UInt64(ASCII.backslash))
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (w &- ones &* 0x20) & ~w
        return (zeroQuote | zeroBackslash | control) & highs
    }

    /// High bit set in the lowest byte lane that is not an ASCII digit (lanes above it may carry
    /// false positives): a lane minus `'0'` that is 10 or more, or that borrowed.
    @inlinable @inline(always)
    static func nonDigit(_ w: UInt64) -> UInt64 {
        let t = w &- ones &* UInt64(ASCII.zero)
        return (t | (t &+ ones &* 0x76)) & highs
    }
}
