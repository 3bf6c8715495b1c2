/// ASCII bytes the grammar names. (Computed and inlinable rather than stored, so that code
/// inlined into other modules, see `ShortValues`, gets the constants themselves.)
@usableFromInline
enum ASCII {
    @inlinable static var quote: UInt8 { 0x22 }
    @inlinable static var backslash: UInt8 { 0x5C }
    @inlinable static var slash: UInt8 { 0x2F }
    @inlinable static var comma: UInt8 { 0x2C }
    @inlinable static var colon: UInt8 { 0x3A }
    @inlinable static var openBrace: UInt8 { 0x7B }
    @inlinable static var closeBrace: UInt8 { 0x7D }
    @inlinable static var openBracket: UInt8 { 0x5B }
    @inlinable static var closeBracket: UInt8 { 0x5D }
    @inlinable static var minus: UInt8 { 0x2D }
    @inlinable static var plus: UInt8 { 0x2B }
    @inlinable static var dot: UInt8 { 0x2E }
    @inlinable static var zero: UInt8 { 0x30 }
    @inlinable static var nine: UInt8 { 0x39 }
    @inlinable static var lowerE: UInt8 { 0x65 }
    @inlinable static var space: UInt8 { 0x20 }
    @inlinable static var tab: UInt8 { 0x09 }
    @inlinable static var newline: UInt8 { 0x0A }
    @inlinable static var carriageReturn: UInt8 { 0x0D }
    @inlinable static var underscore: UInt8 { 0x5F }
}

/// Hex digit values.
enum HexDigit {
    @inline(__always)
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case ASCII.zero...ASCII.nine: c - ASCII.zero
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}
