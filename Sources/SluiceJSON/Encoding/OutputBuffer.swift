/// The bytes an encode writes: one growable allocation reused from encode to encode.
///
/// A plain pointer, count and capacity rather than an `[UInt8]`: appending a byte is a bounds
/// check and a store, with no uniqueness check or copy-on-write machinery.
struct OutputBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// Frees the memory; the buffer must not be used afterwards.
    func deallocate() { base.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if _slowPath(count + extra > capacity) { grow(count + extra) }
    }

    @inline(never)
    mutating func grow(_ minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Gives back the memory of an unusually large output (over 16 MiB) so that a pooled encoder
    /// does not keep it for good; empties the buffer.
    mutating func trim() {
        guard capacity > 1 << 24 else { return }
        base.deallocate()
        capacity = 1024
        base = .allocate(capacity: capacity)
        count = 0
    }

    /// Removes everything from `offset` on.
    mutating func truncate(to offset: Int) { count = offset }

    // MARK: Strings

    /// `bytes` (UTF-8) as a JSON string: quotes around, and escapes for `"`, `\` and the control
    /// characters (the short forms `\b \f \n \r \t`, `\u00XX` for the rest, as Foundation writes
    /// them). Everything else, non-ASCII included, is copied as is; `/` is not escaped.
    @inline(__always)
    mutating func appendString(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        reserve(n + 2)
        base[count] = ASCII.quote
        count += 1
        if let source = bytes.baseAddress {
            var run = 0
            var i = 0
            let raw = UnsafeRawPointer(source)
            while i < n {
                if i + 8 <= n {
                    let hits = SWAR.quoteBackslashOrControl(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if hits == 0 {
                        i += 8
                        continue
                    }
                    i += hits.trailingZeroBitCount >> 3
                }
                let c = source[i]
                if c == ASCII.quote || c == ASCII.backslash || c < ASCII.space {
                    if i > run { append(UnsafeBufferPointer(start: source + run, count: i - run)) }
                    appendEscape(c)
                    run = i + 1
                }
                i += 1
            }
            if n > run { append(UnsafeBufferPointer(start: source + run, count: n - run)) }
        }
        append(ASCII.quote)
    }

    @inline(never)
    mutating func appendEscape(_ c: UInt8) {
        append(ASCII.backslash)
        switch c {
        case ASCII.quote, ASCII.backslash: append(c)
        case 0x08: append(0x62)  // b
        case 0x0C: append(0x66)  // f
        case 0x0A: append(0x6E)  // n
        case 0x0D: append(0x72)  // r
        case 0x09: append(0x74)  // t
        default:
            append("u00")
            let digits: StaticString = "0123456789abcdef"
            append(digits.utf8Start[Int(c >> 4)])
            append(digits.utf8Start[Int(c & 0xF)])
        }
    }

    // MARK: Numbers

    /// Decimal digits of an integer; no allocation up to 64 bits.
    @inline(__always)
    mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        if T.bitWidth > 64 {
            var text = String(value)
            text.withUTF8 { append($0) }
            return
        }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        reserve(21)
        if value < 0 {
            base[count] = ASCII.minus
            count += 1
        }
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var position = count + digits
        count = position
        repeat {
            position -= 1
            base[position] = ASCII.zero &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude != 0
    }

    /// The shortest text that reads back as the same value (Swift's `description`), without a
    /// trailing `.0`, as Foundation writes it; false, writing nothing, for NaN and infinities.
    @inline(__always)
    mutating func appendFloatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> Bool {
        guard value.isFinite else { return false }
        var text = value.description
        text.withUTF8 { utf8 in
            var n = utf8.count
            if n >= 2 && utf8[n - 2] == ASCII.dot && utf8[n - 1] == ASCII.zero { n -= 2 }
            append(UnsafeBufferPointer(rebasing: utf8[..<n]))
        }
        return true
    }
}
