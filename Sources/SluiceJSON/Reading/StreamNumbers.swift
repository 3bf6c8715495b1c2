/// Number literals read in the same pass that checks them: the common shapes (`-?digits` and
/// `-?digits.digits`, up to 19 digits, followed by something) go eight digits per step; anything else returns nil and the caller takes the general route
/// (`Indexer.scanNumber` and `NumberParsing`), so results are always those of `NumberParsing`.
enum StreamNumbers {
    /// The run of digits at `i`, up to eight: their value and how many. `i + 8` bytes must be
    /// readable.
    @inline(__always)
    static func digits(_ bytes: UnsafePointer<UInt8>, _ i: Int) -> (value: UInt64, count: Int) {
        let word = UInt64(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let count = SWAR.nonDigit(word).trailingZeroBitCount &>> 3
        guard count > 0 else { return (0, 0) }
        return (NumberParsing.eightDigits(word &<< (UInt64(8 &- count) &* 8)), count)
    }

    /// The digits at `i` (at least one, at most 19 in all with `soFar` before them) accumulated
    /// onto `value`, eight per step (one at a time in the last eight bytes of the input); nil when
    /// there are none or too many.
    @inline(__always)
    static func run(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int, onto value: UInt64, soFar: Int) -> (value: UInt64, end: Int, count: Int)? {
        var i = start
        var value = value
        var count = soFar
        while i &+ 8 <= end {
            let (chunk, n) = digits(bytes, i)
            value = value &* PowersOfTen.integer(n) &+ chunk
            count &+= n
            i &+= n
            guard count <= 19 else { return nil }
            if n < 8 { return i == start ? nil : (value, i, count) }
        }
        while i < end && bytes[i] &- ASCII.zero < 10 {
            value = value &* 10 &+ UInt64(bytes[i] &- ASCII.zero)
            count &+= 1
            i &+= 1
            guard count <= 19 else { return nil }
        }
        // The literal must be followed by something (a bracket at least) for this path.
        return i == start || i >= end ? nil : (value, i, count)
    }

    /// The literal at `p` when it is `-?(0|[1-9][0-9]*)(.[0-9]+)?` with at most 19 digits:
    /// sign, digits as one integer, number of fraction digits, and the offset after it. Nil for
    /// other shapes (exponents, leading zeros, too many digits) and bytes that are no number.
    @inline(__always)
    static func decimal(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (negative: Bool, digits: UInt64, scale: Int, end: Int)? {
        guard p < end else { return nil }
        let negative = bytes[p] == ASCII.minus
        let start = negative ? p &+ 1 : p
        guard let (integer, afterInteger, count) = run(bytes, end, start, onto: 0, soFar: 0) else { return nil }
        // A leading zero stands alone.
        guard count == 1 || bytes[start] != ASCII.zero else { return nil }
        let c = bytes[afterInteger]
        if c | 0x20 == ASCII.lowerE { return nil }
        guard c == ASCII.dot else { return (negative, integer, 0, afterInteger) }
        guard let (all, afterFraction, total) = run(bytes, end, afterInteger &+ 1, onto: integer, soFar: count) else { return nil }
        guard bytes[afterFraction] | 0x20 != ASCII.lowerE else { return nil }
        return (negative, all, total &- count, afterFraction)
    }

    /// An integer literal as `T`, exactly; nil when it does not fit (the general route then
    /// reports it) or has another shape.
    @inline(__always)
    static func integer<T: FixedWidthInteger>(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int, as _: T.Type) -> (T, Int)? {
        guard T.bitWidth <= 64, let (negative, magnitude, scale, after) = decimal(bytes, end, p), scale == 0 else { return nil }
        if negative {
            guard T.isSigned else { return magnitude == 0 ? (0, after) : nil }
            let limit = UInt64(1) &<< UInt64(T.bitWidth &- 1)
            guard magnitude <= limit else { return nil }
            return (magnitude == limit ? T.min : 0 &- T(truncatingIfNeeded: magnitude), after)
        }
        guard magnitude <= UInt64(truncatingIfNeeded: T.max) else { return nil }
        return (T(truncatingIfNeeded: magnitude), after)
    }

    /// A literal as `Double` by Clinger's exact fast path (digits within the significand, an
    /// exact power of ten): correctly rounded, so equal to `NumberParsing.double`'s result.
    @inline(__always)
    static func double(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) -> (Double, Int)? {
        guard let (negative, digits, scale, after) = decimal(bytes, end, p), digits <= 1 << 53 else { return nil }
        let value = scale == 0 ? Double(digits) : Double(digits) / PowersOfTen.double(scale)
        return (negative ? -value : value, after)
    }
}
