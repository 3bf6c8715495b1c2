/// Reading number literals (already validated by the indexer) as Swift numbers, exactly.
///
/// Integers are parsed digit by digit with overflow checks, so every `Int8`…`UInt64`
/// (`Int128`, `UInt128`) value round-trips and one past either end fails. Doubles and floats take
/// Clinger's exact fast path when the digits fit the significand and the power of ten is exact
/// (one correctly rounded multiplication or division), and otherwise go to the standard
/// library's `Double(_:)`/`Float(_:)`, which round correctly too.
@usableFromInline
enum NumberParsing {
    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- ASCII.zero < 10 }

    /// An integer literal (no fraction, no exponent) as `T`; nil when it does not fit.
    @inline(__always)
    static func integer<T: FixedWidthInteger>(_ p: UnsafePointer<UInt8>, _ count: Int, readable: Int, as _: T.Type) -> T? {
        let negative = p[0] == ASCII.minus
        var i = negative ? 1 : 0
        if T.bitWidth <= 64 && count - i <= 19 {
            // 19 digits always fit in a UInt64: no checks until the end.
            var magnitude = digits(p + i, count - i, readable: readable - i)
            if negative {
                guard T.isSigned else { return magnitude == 0 ? 0 : nil }
                let limit = UInt64(1) << (T.bitWidth - 1)
                guard magnitude <= limit else { return nil }
                return magnitude == limit ? T.min : 0 - T(truncatingIfNeeded: magnitude)
            }
            guard magnitude <= UInt64(truncatingIfNeeded: T.max) else { return nil }
            magnitude = magnitude & UInt64(truncatingIfNeeded: T.max)
            return T(truncatingIfNeeded: magnitude)
        }
        var magnitude: T.Magnitude = 0
        while i < count {
            let (scaled, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = scaled.addingReportingOverflow(T.Magnitude(p[i] &- ASCII.zero))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = sum
            i += 1
        }
        return signed(magnitude, negative: negative)
    }

    /// The value of `count` (1 to 19) ASCII digits: eight at a time when `readable` (bytes
    /// that may be read from `p`) allows whole-word reads past them, one at a time otherwise.
    @inline(__always)
    static func digits(_ p: UnsafePointer<UInt8>, _ count: Int, readable: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        if count <= 8 && readable >= 8 {
            return eightDigits(raw.loadUnaligned(as: UInt64.self) << (UInt64(8 - count) &* 8))
        }
        if count > 8 && count <= 16 && readable >= 16 {
            let high = eightDigits(raw.loadUnaligned(as: UInt64.self))
            let low = eightDigits(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) << (UInt64(16 - count) &* 8))
            return high &* PowersOfTen.integer(count - 8) &+ low
        }
        var value: UInt64 = 0
        var i = 0
        while i < count {
            let n = min(8, count - i)
            value = value &* PowersOfTen.integer(n) &+ smallDigits(p + i, n)
            i += n
        }
        return value
    }

    /// Up to eight digits, one byte at a time (the caller cannot promise an eight-byte read).
    @inline(__always)
    static func smallDigits(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<n { value = value &* 10 &+ UInt64(p[k] &- ASCII.zero) }
        return value
    }

    /// Eight ASCII digits in a little-endian word (first digit in the lowest byte), in three
    /// multiplications (the usual SWAR reduction: pairs, quads, then all eight). Zero bytes count
    /// as leading zeros, so shifting fewer digits up works too.
    @inlinable @inline(always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        // Shifts bind tighter than multiplications in Swift: the parentheses matter.
        var v = ((word & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return (((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32) & 0xFFFF_FFFF
    }

    static func signed<T: FixedWidthInteger>(_ magnitude: T.Magnitude, negative: Bool) -> T? {
        guard negative else { return T(exactly: magnitude) }
        guard T.isSigned else { return magnitude == 0 ? 0 : nil }
        let limit = T.Magnitude(1) << (T.bitWidth - 1)
        guard magnitude <= limit else { return nil }
        return magnitude == limit ? T.min : 0 - T(truncatingIfNeeded: magnitude)
    }

    /// A literal with a fraction or an exponent as `T`, when its value is a whole number in
    /// range (`1.0`, `1e3`, `-2.50e1`); nil otherwise. Decided on the decimal digits, so
    /// `1.0000000000000001` is not 1.
    static func exactInteger<T: FixedWidthInteger>(_ p: UnsafePointer<UInt8>, _ count: Int, as _: T.Type) -> T? {
        let negative = p[0] == ASCII.minus
        var i = negative ? 1 : 0
        let integerStart = i
        while i < count && isDigit(p[i]) { i += 1 }
        let integerEnd = i
        var fractionStart = i
        var fractionEnd = i
        if i < count && p[i] == ASCII.dot {
            i += 1
            fractionStart = i
            while i < count && isDigit(p[i]) { i += 1 }
            fractionEnd = i
        }
        var exponent = 0
        if i < count && (p[i] | 0x20) == ASCII.lowerE {
            i += 1
            var exponentNegative = false
            if p[i] == ASCII.minus || p[i] == ASCII.plus {
                exponentNegative = p[i] == ASCII.minus
                i += 1
            }
            while i < count {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(p[i] &- ASCII.zero) }
                i += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // The digits, integer part then fraction, as one sequence with the decimal point
        // `fractionEnd - fractionStart` places from its end.
        let digitCount = (integerEnd - integerStart) + (fractionEnd - fractionStart)
        func digit(_ k: Int) -> UInt8 {
            let offset = k < integerEnd - integerStart ? integerStart + k : fractionStart + (k - (integerEnd - integerStart))
            return p[offset] &- ASCII.zero
        }
        var first = 0
        while first < digitCount && digit(first) == 0 { first += 1 }
        if first == digitCount { return 0 }
        // value = digits[first..<digitCount] × 10^shift
        let shift = exponent - (fractionEnd - fractionStart)
        var last = digitCount
        if shift < 0 {
            let dropped = -shift
            guard dropped <= digitCount - first else { return nil }
            for k in (digitCount - dropped)..<digitCount where digit(k) != 0 { return nil }
            last = digitCount - dropped
        }
        var magnitude: T.Magnitude = 0
        for k in first..<last {
            let (scaled, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = scaled.addingReportingOverflow(T.Magnitude(digit(k)))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = sum
        }
        if shift > 0 {
            guard shift <= 40 else { return nil }
            for _ in 0..<shift {
                let (scaled, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                magnitude = scaled
            }
        }
        return signed(magnitude, negative: negative)
    }

    /// The decimal significand and exponent of a literal, keeping up to 19 significant digits.
    struct Decimal {
        var negative = false
        var significand: UInt64 = 0
        var exponent = 0
        /// Nonzero digits were dropped after the 19th.
        var truncated = false
    }

    /// The first offset at or after `i` (and before `count`) that is not a digit.
    @inline(__always)
    static func digitsEnd(_ p: UnsafePointer<UInt8>, from i: Int, count: Int, readable: Int) -> Int {
        if readable - i >= 8 {
            let misses = SWAR.nonDigit(UnsafeRawPointer(p).loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if misses != 0 { return min(count, i + misses.trailingZeroBitCount >> 3) }
        }
        var end = i
        while end < count && isDigit(p[end]) { end += 1 }
        return end
    }

    /// The decimal significand and exponent of a literal. Up to 19 significant digits are read
    /// eight at a time; longer literals keep their first 19 digits and note whether nonzero ones
    /// were dropped.
    @inline(__always)
    static func decimal(_ p: UnsafePointer<UInt8>, _ count: Int, readable: Int) -> Decimal {
        var d = Decimal()
        var i = 0
        if p[0] == ASCII.minus {
            d.negative = true
            i = 1
        }
        let integerStart = i
        let integerEnd = digitsEnd(p, from: i, count: count, readable: readable)
        var fractionStart = integerEnd
        var fractionEnd = integerEnd
        if integerEnd < count && p[integerEnd] == ASCII.dot {
            fractionStart = integerEnd + 1
            fractionEnd = digitsEnd(p, from: fractionStart, count: count, readable: readable)
        }
        i = fractionEnd
        if i < count {  // e or E
            i += 1
            var negative = false
            if p[i] == ASCII.minus || p[i] == ASCII.plus {
                negative = p[i] == ASCII.minus
                i += 1
            }
            var exponent = 0
            while i < count {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(p[i] &- ASCII.zero) }
                i += 1
            }
            d.exponent = negative ? -exponent : exponent
        }
        let integerDigits = integerEnd - integerStart
        let fractionDigits = fractionEnd - fractionStart
        if integerDigits + fractionDigits <= 19 {
            // No leading zeros but a lone "0", so at most 19 significant digits: exact in a UInt64.
            let integer = digits(p + integerStart, integerDigits, readable: readable - integerStart)
            let fraction = fractionDigits == 0 ? 0 : digits(p + fractionStart, fractionDigits, readable: readable - fractionStart)
            d.significand = integer &* PowersOfTen.integer(fractionDigits) &+ fraction
            d.exponent -= fractionDigits
            return d
        }
        // More than 19 digits: keep the first 19 significant ones, count the rest as powers of
        // ten (integer part) or drop them (fraction), noting whether a dropped one was nonzero.
        var kept = 0
        for k in integerStart..<fractionEnd where k < integerEnd || k >= fractionStart {
            let c = p[k] &- ASCII.zero
            let inFraction = k >= fractionStart
            if kept < 19 {
                if d.significand != 0 || c != 0 {
                    d.significand = d.significand &* 10 &+ UInt64(c)
                    kept += 1
                }
                if inFraction { d.exponent -= 1 }
            } else {
                if !inFraction { d.exponent += 1 }
                if c != 0 { d.truncated = true }
            }
        }
        return d
    }

    /// A literal as a `Double`; nil when its magnitude overflows to infinity or underflows to
    /// zero (as Foundation's decoder, which calls both "not representable").
    @inline(__always)
    static func double(_ p: UnsafePointer<UInt8>, _ count: Int, readable: Int) -> Double? {
        if count <= 19, let value = shortDouble(p, count) { return value }
        let d = decimal(p, count, readable: readable)
        if d.significand == 0 { return d.negative ? -0.0 : 0.0 }
        if !d.truncated && d.significand <= 1 << 53 {
            var value: Double?
            let e = d.exponent
            if e == 0 {
                value = Double(d.significand)
            } else if e > 0 && e <= 22 {
                value = Double(d.significand) * PowersOfTen.double(e)
            } else if e < 0 && e >= -22 {
                value = Double(d.significand) / PowersOfTen.double(-e)
            } else if e > 22 && e <= 22 + 15 {
                let (scaled, overflow) = d.significand.multipliedReportingOverflow(by: PowersOfTen.integer(e - 22))
                if !overflow && scaled <= 1 << 53 { value = Double(scaled) * 1e22 }
            }
            if let value { return d.negative ? -value : value }
        }
        return slowDouble(p, count)
    }

    /// The common literal, `-?digits(.digits)?` without an exponent in at most 19 bytes (so at
    /// most 19 digits, which a `UInt64` holds), whose digits fit a `Double`'s significand: one
    /// pass over the bytes and one correctly rounded division by an exact power of ten
    /// (Clinger's fast path). Nil when the literal is not of that shape.
    @inline(__always)
    static func shortDouble(_ p: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        let negative = p[0] == ASCII.minus
        var i = negative ? 1 : 0
        var significand: UInt64 = 0
        while i < count {
            let digit = p[i] &- ASCII.zero
            guard digit < 10 else { break }
            significand = significand &* 10 &+ UInt64(digit)
            i &+= 1
        }
        var scale = 0
        if i < count && p[i] == ASCII.dot {
            i &+= 1
            let fractionStart = i
            while i < count {
                let digit = p[i] &- ASCII.zero
                guard digit < 10 else { break }
                significand = significand &* 10 &+ UInt64(digit)
                i &+= 1
            }
            scale = i &- fractionStart
        }
        guard i == count, significand <= 1 << 53 else { return nil }
        let value = scale == 0 ? Double(significand) : Double(significand) / PowersOfTen.double(scale)
        return negative ? -value : value
    }

    @inline(never)
    static func slowDouble(_ p: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        guard let value = Double(String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)) else { return nil }
        return value.isFinite && value != 0 ? value : nil
    }

    /// A literal as a `Float`; nil on overflow or underflow to zero.
    @inline(__always)
    static func float(_ p: UnsafePointer<UInt8>, _ count: Int, readable: Int) -> Float? {
        let d = decimal(p, count, readable: readable)
        if d.significand == 0 { return d.negative ? -0.0 : 0.0 }
        if !d.truncated && d.significand <= 1 << 24 && d.exponent >= -10 && d.exponent <= 10 {
            let e = d.exponent
            let value = e >= 0 ? Float(d.significand) * PowersOfTen.float(e) : Float(d.significand) / PowersOfTen.float(-e)
            return d.negative ? -value : value
        }
        return slowFloat(p, count)
    }

    @inline(never)
    static func slowFloat(_ p: UnsafePointer<UInt8>, _ count: Int) -> Float? {
        guard let value = Float(String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)) else { return nil }
        return value.isFinite && value != 0 ? value : nil
    }
}

/// Powers of ten that the binary formats hold exactly. Switches rather than arrays: the
/// optimizer turns them into constant tables, with no lazy global to check and no bounds check
/// in the caller. Arguments are in range (0...22, 0...10, 0...19); others give 0.
@usableFromInline
enum PowersOfTen {
    @inlinable @inline(always)
    static func double(_ e: Int) -> Double {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: 0
        }
    }

    @inline(__always)
    static func float(_ e: Int) -> Float {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        default: 0
        }
    }

    @inlinable @inline(always)
    static func integer(_ e: Int) -> UInt64 {
        switch e {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        case 19: 10_000_000_000_000_000_000
        default: 0
        }
    }
}
