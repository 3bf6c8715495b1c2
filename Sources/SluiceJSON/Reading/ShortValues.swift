/// The values most records are made of, read from one 16-byte window with word arithmetic: ASCII
/// strings of up to 15 bytes without escapes, and numbers `-?digits(.digits)?` with up to 15
/// digits on either side of the point.
///
/// Why: these are nearly all the values of this project's records (ids, codes, amounts,
/// quantities, timestamps), and a loop over bytes or the general scanners cost several times
/// what two word loads, a few masks and one multiplication cost.
///
/// What is guaranteed: each function accepts a strict subset of the grammar and returns exactly
/// what the general route (`Indexer.scanString`/`scanNumber` with `StringDecoding` and
/// `NumberParsing`) returns for it; for anything else it returns nil, and the caller takes the
/// general route, which also reports every error. Nothing here reads outside `bytes[0..<end]`:
/// `window` reads bytes at or after `end` as zeros instead (a zero byte is neither a digit, a
/// point, an exponent nor a quote, so every value stops before it).
@usableFromInline
enum ShortValues {
    /// The 16 bytes from `p` as two little-endian words (byte `p` lowest), bytes at or past `end`
    /// read as zero; nil when `p` is not before `end` or the input is shorter than 8 bytes (no
    /// word can be loaded from it).
    @inlinable @inline(always)
    static func window(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (UInt64, UInt64)? {
        let raw = UnsafeRawPointer(bytes)
        let remaining = end &- p
        if _fastPath(remaining >= 16) {
            return (UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)), UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p &+ 8, as: UInt64.self)))
        }
        guard remaining > 0, end >= 8 else { return nil }
        // The last word of the input, shifted so that byte `p + 8` (or `p`) is lowest.
        let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: end &- 8, as: UInt64.self))
        if remaining >= 8 {
            return (UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt64.self)), last >> UInt64(truncatingIfNeeded: (16 &- remaining) &* 8))
        }
        return (last >> UInt64(truncatingIfNeeded: (8 &- remaining) &* 8), 0)
    }

    /// Byte `i` (0...15) of a window.
    @inlinable @inline(always)
    static func byte(_ w0: UInt64, _ w1: UInt64, _ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (i < 8 ? w0 : w1) &>> UInt64(truncatingIfNeeded: (i & 7) &* 8))
    }

    /// The low `n` (0...7) bytes of `w`.
    @inlinable @inline(always)
    static func low(_ w: UInt64, _ n: Int) -> UInt64 {
        w & ((UInt64(1) &<< UInt64(truncatingIfNeeded: n &* 8)) &- 1)
    }

    // MARK: Strings

    /// The content of the string whose opening quote is at `p` when it is ASCII, without escapes
    /// and at most 15 bytes long: the content as the two words of a window (bytes after it
    /// zeroed), its length, and the offset after the closing quote.
    @inlinable @inline(always)
    static func asciiString(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (leading: UInt64, trailing: UInt64, count: Int, after: Int)? {
        guard p < end, bytes[p] == ASCII.quote, let (w0, w1) = window(bytes, end, p &+ 1) else { return nil }
        // The first byte that is a quote, a backslash, a control character or not ASCII ends
        // the fast path: it must be the closing quote.
        let hits0 = SWAR.quoteBackslashControlOrHigh(w0)
        if hits0 != 0 {
            let i = hits0.trailingZeroBitCount &>> 3
            guard byte(w0, 0, i) == ASCII.quote else { return nil }
            return (low(w0, i), 0, i, p &+ i &+ 2)
        }
        let hits1 = SWAR.quoteBackslashControlOrHigh(w1)
        guard hits1 != 0 else { return nil }
        let i = hits1.trailingZeroBitCount &>> 3
        guard byte(0, w1, 8 &+ i) == ASCII.quote else { return nil }
        return (w0, low(w1, i), 8 &+ i, p &+ i &+ 10)
    }

    // MARK: Numbers

    /// The leading ASCII digits of a window: their value and how many (0...16; 16 means the run
    /// may go on past the window).
    @inlinable @inline(always)
    static func digits(_ w0: UInt64, _ w1: UInt64) -> (value: UInt64, count: Int) {
        let miss0 = SWAR.nonDigit(w0)
        if miss0 != 0 {
            let k = miss0.trailingZeroBitCount &>> 3
            guard k > 0 else { return (0, 0) }
            // The digits moved to the top of the word: the zero bytes below count as leading zeros.
            return (NumberParsing.eightDigits(w0 &<< UInt64(truncatingIfNeeded: 64 &- k &* 8)), k)
        }
        let miss1 = SWAR.nonDigit(w1)
        let k = miss1 == 0 ? 8 : miss1.trailingZeroBitCount &>> 3
        let high = NumberParsing.eightDigits(w0)
        guard k > 0 else { return (high, 8) }
        return (high &* PowersOfTen.integer(k) &+ NumberParsing.eightDigits(w1 &<< UInt64(truncatingIfNeeded: 64 &- k &* 8)), 8 &+ k)
    }

    /// The literal at `p` when it is `-?(0|[1-9][0-9]*)(.[0-9]+)?` with 1 to 15 digits before
    /// the point and 1 to 15 after it: sign, all digits as one integer (at most 19 digits: exact),
    /// number of fraction digits, and the offset after it.
    @inlinable @inline(always)
    static func decimal(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (negative: Bool, digits: UInt64, scale: Int, after: Int)? {
        guard p < end else { return nil }
        let negative = bytes[p] == ASCII.minus
        let start = negative ? p &+ 1 : p
        guard let (w0, w1) = window(bytes, end, start) else { return nil }
        let miss = SWAR.nonDigit(w0)
        guard miss != 0 else { return longDecimal(bytes, end, negative, start, w0, w1) }
        // The integer part ends in the first word (the usual case): k digits, 1...7.
        let k = miss.trailingZeroBitCount &>> 3
        // No digit, or a leading zero before another digit: the general route.
        guard k > 0, k == 1 || UInt8(truncatingIfNeeded: w0) != ASCII.zero else { return nil }
        let next = byte(w0, 0, k)
        if next != ASCII.dot {
            guard next | 0x20 != ASCII.lowerE else { return nil }
            return (negative, NumberParsing.eightDigits(w0 &<< UInt64(truncatingIfNeeded: 64 &- k &* 8)), 0, start &+ k)
        }
        // With the point turned into a '0', the first byte that is no digit ends the fraction.
        let patched = w0 ^ (UInt64(ASCII.dot ^ ASCII.zero) &<< UInt64(truncatingIfNeeded: k &* 8))
        let missAfter = SWAR.nonDigit(patched)
        guard missAfter != 0 else { return fraction(bytes, end, negative, start, k, integer: NumberParsing.eightDigits(w0 &<< UInt64(truncatingIfNeeded: 64 &- k &* 8))) }
        // The whole literal is in the first word: close the gap of the point (the fraction's
        // bytes move down one lane) and convert all k + f digits at once.
        let e = missAfter.trailingZeroBitCount &>> 3
        let f = e &- k &- 1
        guard f > 0, byte(w0, 0, e) | 0x20 != ASCII.lowerE else { return nil }
        let below = (UInt64(1) &<< UInt64(truncatingIfNeeded: k &* 8)) &- 1
        let joined = (w0 & below) | ((w0 &>> 8) & ~below)
        return (negative, NumberParsing.eightDigits(joined &<< UInt64(truncatingIfNeeded: 64 &- (k &+ f) &* 8)), f, start &+ e)
    }

    /// `decimal` when the integer part has 8 digits or more (`w0`, `w1`: the window at `start`).
    @usableFromInline @inline(never)
    static func longDecimal(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ negative: Bool, _ start: Int, _ w0: UInt64, _ w1: UInt64) -> (negative: Bool, digits: UInt64, scale: Int, after: Int)? {
        let (integer, k) = digits(w0, w1)
        // Too many digits, or a leading zero before another digit: the general route.
        guard k < 16, UInt8(truncatingIfNeeded: w0) != ASCII.zero else { return nil }
        let next = byte(w0, w1, k)
        if next != ASCII.dot {
            guard next | 0x20 != ASCII.lowerE else { return nil }
            return (negative, integer, 0, start &+ k)
        }
        return fraction(bytes, end, negative, start, k, integer: integer)
    }

    /// `decimal` for the fraction after the `k` integer digits at `start` (worth `integer`).
    @inlinable @inline(always)
    static func fraction(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ negative: Bool, _ start: Int, _ k: Int, integer: UInt64) -> (negative: Bool, digits: UInt64, scale: Int, after: Int)? {
        let fractionStart = start &+ k &+ 1
        guard let (f0, f1) = window(bytes, end, fractionStart) else { return nil }
        let (fraction, f) = digits(f0, f1)
        guard f > 0, f < 16, k &+ f <= 19, byte(f0, f1, f) | 0x20 != ASCII.lowerE else { return nil }
        return (negative, integer &* PowersOfTen.integer(f) &+ fraction, f, fractionStart &+ f)
    }

    /// The literal at `p` as a `Double` by Clinger's fast path (the digits exact in a `Double`,
    /// one correctly rounded division by an exact power of ten), so equal to
    /// `NumberParsing.double`'s result; nil for other literals.
    @inlinable @inline(always)
    static func double(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (Double, Int)? {
        guard let (negative, digits, scale, after) = decimal(bytes, end, p), digits <= 1 << 53 else { return nil }
        let magnitude = scale == 0 ? Double(digits) : Double(digits) / PowersOfTen.double(scale)
        return (negative ? -magnitude : magnitude, after)
    }

    /// The integer literal at `p` (no point, no exponent) as a `T` of at most 64 bits when it
    /// fits; nil otherwise (the general route decides: `1.0` is an integer there, `1e3` too).
    @inlinable @inline(always)
    static func integer<T: FixedWidthInteger>(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int, as _: T.Type) -> (T, Int)? {
        guard T.bitWidth <= 64, let (negative, magnitude, scale, after) = decimal(bytes, end, p), scale == 0 else { return nil }
        if negative {
            guard T.isSigned else { return magnitude == 0 ? (0, after) : nil }
            guard magnitude <= UInt64(1) &<< UInt64(T.bitWidth &- 1) else { return nil }
            return (T(truncatingIfNeeded: 0 &- magnitude), after)
        }
        guard magnitude <= UInt64(truncatingIfNeeded: T.max) else { return nil }
        return (T(truncatingIfNeeded: magnitude), after)
    }
}
