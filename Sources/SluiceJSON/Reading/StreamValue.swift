/// A Swift type the streaming reader converts straight from the bytes: `parse` reads a value of
/// the type at an offset (validating the literal) or gives up, and `read` is the tape's
/// conversion, which either succeeds or throws the error the reader reports. `parse` gives up on
/// anything unusual (a mismatched type, `null`, a number out of range): the tape then decides, so
/// both paths always agree.
protocol StreamValue {
    /// The value whose first byte is at `p`, and the offset after it; nil to ask the tape.
    static func parse(_ state: inout ReaderState, at p: Int) -> (Self, Int)?
    /// The value at tape index `index`, or the reader's error for it.
    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Self
}

extension String: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (String, Int)? {
        if state.smallStrings, let (leading, trailing, count, after) = ShortValues.asciiString(state.bytes, state.end, p) {
            return (SmallString.ascii(leading, trailing, count: count, in: state.stringSlot), after)
        }
        let bytes = state.bytes
        let end = state.end
        guard p < end, bytes[p] == ASCII.quote, let (close, flags) = try? Indexer.scanString(bytes, end, p) else { return nil }
        let start = p &+ 1
        let count = close &- start
        // Short and without escapes: the two words of a small string (16 bytes are readable from
        // the content's start when 16 lie between it and the end).
        if count <= 15 && flags & TapeFlags.escaped == 0 && end &- start >= 16 && state.smallStrings {
            return (SmallString.make(bytes + start, count, ascii: flags & TapeFlags.nonASCII == 0), close &+ 1)
        }
        return (state.makeString(start, count, flags: flags), close &+ 1)
    }

    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> String { try impl.readString(at: index) }
}

/// A string's UTF-8 bytes (escapes decoded into the state's memory, valid until the next such
/// string): what `string(matching:)` hands to its closure.
struct StringBytes: StreamValue {
    var bytes: UnsafeRawBufferPointer

    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (StringBytes, Int)? {
        let bytes = state.bytes
        // Short and ASCII: its bytes are in the input, where the window found them.
        if let (_, _, count, after) = ShortValues.asciiString(bytes, state.end, p) {
            return (StringBytes(bytes: UnsafeRawBufferPointer(start: bytes + (p &+ 1), count: count)), after)
        }
        guard p < state.end, bytes[p] == ASCII.quote, let (close, flags) = try? Indexer.scanString(bytes, state.end, p) else { return nil }
        let start = p &+ 1
        let count = close &- start
        if flags & TapeFlags.escaped == 0 { return (StringBytes(bytes: UnsafeRawBufferPointer(start: bytes + start, count: count)), close &+ 1) }
        return (StringBytes(bytes: state.unescaped(bytes + start, count)), close &+ 1)
    }

    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> StringBytes { StringBytes(bytes: try impl.readStringBytes(at: index)) }
}

extension Bool: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (Bool, Int)? {
        guard p < state.end else { return nil }
        switch state.bytes[p] {
        case 0x74:  // t
            guard (try? Indexer.literal(state.bytes, state.end, p, 0x6575_7274)) != nil else { return nil }
            return (true, p &+ 4)
        case 0x66:  // f
            guard (try? Indexer.literal(state.bytes, state.end, p &+ 1, 0x6573_6C61)) != nil else { return nil }
            return (false, p &+ 5)
        default:
            return nil
        }
    }

    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Bool { try impl.readBool(at: index) }
}

extension ReaderState {
    /// The string whose content is `bytes[start..<start + count]` with `flags` (see `TapeFlags`).
    @inline(never)
    mutating func makeString(_ start: Int, _ count: Int, flags: UInt8) -> String {
        if flags & TapeFlags.escaped == 0 { return StringDecoding.plain(bytes + start, count) }
        return StringDecoding.escaped(bytes + start, count, buffer: &text)
    }

    /// The number literal at `p`: its end, and whether it is an integer literal; nil when no
    /// number starts there or it breaks the grammar.
    @inline(__always)
    func numberLiteral(at p: Int) -> (end: Int, isInteger: Bool)? {
        guard p < end else { return nil }
        let c = bytes[p]
        guard c == ASCII.minus || c &- ASCII.zero < 10 else { return nil }
        return try? Indexer.scanNumber(bytes, end, p)
    }

    /// The integer literal at `p` as a `T`, exactly (see `NumberParsing`).
    ///
    /// Static, on the state's bytes: a non-mutating method called on the `inout` state from out
    /// of line took a copy of the whole state (a `memcpy` per integer).
    @inline(__always)
    static func integer<T: FixedWidthInteger>(_ bytes: UnsafePointer<UInt8>, _ end: Int, at p: Int, as _: T.Type) -> (T, Int)? {
        if let parsed = ShortValues.integer(bytes, end, p, as: T.self) { return parsed }
        return integerLong(bytes, end, at: p, as: T.self)
    }

    /// `integer` for literals longer than `ShortValues` reads, and the general route.
    @inline(never)
    static func integerLong<T: FixedWidthInteger>(_ bytes: UnsafePointer<UInt8>, _ end: Int, at p: Int, as _: T.Type) -> (T, Int)? {
        if let parsed = StreamNumbers.integer(bytes, end, p, as: T.self) { return parsed }
        guard p < end, bytes[p] == ASCII.minus || bytes[p] &- ASCII.zero < 10, let (after, isInteger) = try? Indexer.scanNumber(bytes, end, p) else { return nil }
        let count = after &- p
        let value = isInteger ? NumberParsing.integer(bytes + p, count, readable: end &- p, as: T.self) : NumberParsing.exactInteger(bytes + p, count, as: T.self)
        return value.map { ($0, after) }
    }
}

extension Int: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (Int, Int)? { ReaderState.integer(state.bytes, state.end, at: p, as: Int.self) }
    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Int { try impl.readInt(at: index) }
}

extension Int64: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (Int64, Int)? { ReaderState.integer(state.bytes, state.end, at: p, as: Int64.self) }
    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Int64 { try impl.readInt64(at: index) }
}

extension UInt64: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (UInt64, Int)? { ReaderState.integer(state.bytes, state.end, at: p, as: UInt64.self) }
    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> UInt64 { try impl.readUInt64(at: index) }
}

extension Double: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (Double, Int)? {
        if let parsed = ShortValues.double(state.bytes, state.end, p) { return parsed }
        return slowParse(&state, at: p)
    }

    @inline(never)
    static func slowParse(_ state: inout ReaderState, at p: Int) -> (Double, Int)? {
        if let parsed = StreamNumbers.double(state.bytes, state.end, p) { return parsed }
        guard let (after, _) = state.numberLiteral(at: p) else { return nil }
        return NumberParsing.double(state.bytes + p, after &- p, readable: state.end &- p).map { ($0, after) }
    }

    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Double { try impl.readDouble(at: index) }
}

extension Float: StreamValue {
    @inline(__always)
    static func parse(_ state: inout ReaderState, at p: Int) -> (Float, Int)? {
        guard let (after, _) = state.numberLiteral(at: p) else { return nil }
        return NumberParsing.float(state.bytes + p, after &- p, readable: state.end &- p).map { ($0, after) }
    }

    static func read(_ impl: JSONDecoderImpl, at index: UInt32) throws(JSONError) -> Float { try impl.readFloat(at: index) }
}
