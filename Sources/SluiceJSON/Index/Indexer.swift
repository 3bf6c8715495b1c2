extension Tape {
    /// Validates `input` as one JSON text and records its tokens in one pass.
    ///
    /// Guarantees, when it returns: the whole input is RFC 8259 JSON (trailing commas, leading
    /// zeros, unescaped control characters, invalid escapes, lone surrogates and ill-formed
    /// UTF-8 inside strings are all rejected, wherever they are and whether or not a Swift type
    /// will look at them), and the tape describes it. A UTF-8 byte order mark before the value is
    /// skipped, as Foundation's decoder does (RFC 8259 §8.1 allows either).
    ///
    /// Keys also feed a small filter per object, so that objects whose keys are certainly
    /// distinct need no duplicate check before lookups (see `KeyLookup.swift`); with `foldKeys`
    /// the filter treats keys that are equal after `convertFromSnakeCase` as equal.
    func index(_ input: UnsafeRawBufferPointer, maximumDepth: Int, foldKeys: Bool) throws(JSONError) {
        count = 0
        guard input.count < Int(UInt32.max) - 1 else {
            throw JSONError(.documentTooLarge, offset: 0, "The input is \(input.count) bytes; the index addresses at most 4 GiB.")
        }
        guard let base = input.baseAddress, !input.isEmpty else {
            throw JSONError(.unexpectedEndOfInput, offset: 0, "The input is empty.")
        }
        // Each open container takes a byte, so the input bounds the depth too.
        reserveStack(max(1, min(maximumDepth, input.count)))
        grow(to: min(input.count / 4 + 8, 1 << 16), keeping: 0)
        var indexer = Indexer(
            tape: self, bytes: base.assumingMemoryBound(to: UInt8.self), end: input.count, maximumDepth: maximumDepth, foldKeys: foldKeys)
        try indexer.run()
        count = indexer.used
    }
}

/// The one-pass scanner behind `Tape.index`: a loop over values with an explicit stack, so
/// nesting never touches the call stack. Error paths are kept out of line so the loop stays
/// small.
struct Indexer {
    let tape: Tape
    let bytes: UnsafePointer<UInt8>
    let end: Int
    let maximumDepth: Int
    let foldKeys: Bool
    var entries: UnsafeMutablePointer<TapeEntry>
    var capacity: Int
    /// Entries written so far.
    var used = 0

    /// Open-container stack entries: tape index, with this bit set for objects.
    static let objectBit: UInt32 = 1 << 31

    init(tape: Tape, bytes: UnsafePointer<UInt8>, end: Int, maximumDepth: Int, foldKeys: Bool) {
        self.tape = tape
        self.bytes = bytes
        self.end = end
        self.maximumDepth = maximumDepth
        self.foldKeys = foldKeys
        self.entries = tape.entries
        self.capacity = tape.capacity
    }

    // MARK: Writing entries

    @inline(__always)
    mutating func append(_ kind: TapeKind, start: Int, length: Int, flags: UInt8 = 0) {
        if _slowPath(used >= capacity) { growTape() }
        (entries + used).initialize(
            to: TapeEntry(
                kind: kind, start: UInt32(truncatingIfNeeded: start), length: UInt32(truncatingIfNeeded: length),
                next: UInt32(truncatingIfNeeded: used &+ 1), flags: flags))
        used &+= 1
    }

    @inline(never)
    mutating func growTape() {
        tape.grow(to: capacity * 2, keeping: used)
        entries = tape.entries
        capacity = tape.capacity
    }

    // MARK: The loop

    mutating func run() throws(JSONError) {
        let stack = tape.stack
        let blooms = tape.blooms
        var depth = 0
        var p = 0
        if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { p = 3 }

        value: while true {
            p = skipWhitespace(p)
            guard p < end else { throw fail(.endOfInput("a value"), at: p) }
            // Literal patterns, so the switch becomes a jump table.
            switch bytes[p] {
            case 0x22:  // "
                p = try string(p)
            case 0x7B:  // {
                guard depth < maximumDepth else { throw fail(.tooDeep(maximumDepth), at: p) }
                let me = used
                append(.object, start: p, length: me &+ 1)  // the lookup hint starts on the first key
                p = skipWhitespace(p &+ 1)
                guard p < end else { throw fail(.endOfInput("a key or '}'"), at: p) }
                if bytes[p] == ASCII.closeBrace {
                    p &+= 1
                } else {
                    stack[depth] = UInt32(truncatingIfNeeded: me) | Self.objectBit
                    let bloom = blooms + 4 &* depth
                    bloom.initialize(repeating: 0, count: 4)
                    depth &+= 1
                    p = try key(p, object: me, bloom: bloom)
                    continue value
                }
            case 0x5B:  // [
                guard depth < maximumDepth else { throw fail(.tooDeep(maximumDepth), at: p) }
                let me = used
                append(.array, start: p, length: 0)
                p = skipWhitespace(p &+ 1)
                guard p < end else { throw fail(.endOfInput("a value or ']'"), at: p) }
                if bytes[p] == ASCII.closeBracket {
                    p &+= 1
                } else {
                    stack[depth] = UInt32(truncatingIfNeeded: me)
                    depth &+= 1
                    entries[me].length = 1
                    continue value
                }
            case 0x2D, 0x30...0x39:  // - 0-9
                p = try number(p)
            case 0x74:  // t
                try literal(p, 0x6575_7274)  // "true" little-endian
                append(.trueLiteral, start: p, length: 4)
                p &+= 4
            case 0x66:  // f
                try literal(p &+ 1, 0x6573_6C61)  // "alse"
                append(.falseLiteral, start: p, length: 5)
                p &+= 5
            case 0x6E:  // n
                try literal(p, 0x6C6C_756E)  // "null"
                append(.null, start: p, length: 4)
                p &+= 4
            default:
                throw fail(.unexpected("where a value should start"), at: p)
            }

            // A value is complete: a comma, the end of its container, or the end of the text.
            while depth > 0 {
                p = skipWhitespace(p)
                guard p < end else { throw fail(.endOfInput("',' or the end of a container"), at: p) }
                let c = bytes[p]
                let top = stack[depth &- 1]
                let index = Int(top & ~Self.objectBit)
                if top & Self.objectBit != 0 {
                    if c == ASCII.comma {
                        p = try key(skipWhitespace(p &+ 1), object: index, bloom: blooms + 4 &* (depth &- 1))
                        continue value
                    }
                    guard c == ASCII.closeBrace else { throw fail(.unexpected("after an object member (expected ',' or '}')"), at: p) }
                } else {
                    if c == ASCII.comma {
                        entries[index].length &+= 1
                        p &+= 1
                        continue value
                    }
                    guard c == ASCII.closeBracket else { throw fail(.unexpected("after an array element (expected ',' or ']')"), at: p) }
                }
                entries[index].next = UInt32(truncatingIfNeeded: used)
                depth &-= 1
                p &+= 1
            }
            break
        }
        p = skipWhitespace(p)
        guard p == end else { throw fail(.trailingContent, at: p) }
        // The spare null (see `Tape`), not counted.
        append(.null, start: end, length: 0)
        used &-= 1
    }

    // MARK: Pieces

    @inline(__always)
    func skipWhitespace(_ from: Int) -> Int {
        var p = from
        while p < end {
            let c = bytes[p]
            guard c <= ASCII.space, c == ASCII.space || c == ASCII.newline || c == ASCII.carriageReturn || c == ASCII.tab else { break }
            p &+= 1
        }
        return p
    }

    /// A member's key at `p` (which must be a string), its colon: returns the offset after it.
    /// Marks `object` for a key check when the key may repeat an earlier one (its fingerprint
    /// hit `bloom`, the object's filter) or must be decoded before it can be compared.
    @inline(__always)
    mutating func key(_ p: Int, object: Int, bloom: UnsafeMutablePointer<UInt64>) throws(JSONError) -> Int {
        guard p < end, bytes[p] == ASCII.quote else { throw fail(.badKey, at: p) }
        var colon = try string(p)
        let key = entries[used &- 1]
        if key.flags != 0 {
            entries[object].flags |= TapeFlags.needsKeyCheck
        } else {
            let start = p &+ 1
            let fingerprint =
                foldKeys
                ? KeyFingerprint.folded(bytes, end, start, Int(key.length)) : KeyFingerprint.exact(bytes, end, start, Int(key.length))
            // Two bits per key in a 256-bit filter: a key is a possible repeat only if both of
            // its bits are already set (under 1% for ten keys).
            let mixed = KeyFingerprint.mix(fingerprint)
            let first = Int(truncatingIfNeeded: mixed >> 56)
            let second = Int(truncatingIfNeeded: mixed >> 48 & 0xFF)
            let firstBit = UInt64(1) << UInt64(first & 63)
            let secondBit = UInt64(1) << UInt64(second & 63)
            if bloom[first >> 6] & firstBit != 0 && bloom[second >> 6] & secondBit != 0 { entries[object].flags |= TapeFlags.needsKeyCheck }
            bloom[first >> 6] |= firstBit
            bloom[second >> 6] |= secondBit
        }
        if _slowPath(colon >= end || bytes[colon] != ASCII.colon) {
            colon = skipWhitespace(colon)
            guard colon < end else { throw fail(.endOfInput("':'"), at: colon) }
            guard bytes[colon] == ASCII.colon else { throw fail(.unexpected("after a key (expected ':')"), at: colon) }
        }
        return colon &+ 1
    }

    /// The string whose opening quote is at `p`: appends its entry and returns the offset after
    /// its closing quote.
    ///
    /// Eight bytes at a time while nothing interesting shows up (no quote, backslash, control
    /// character or non-ASCII byte); escapes and UTF-8 sequences are checked out of line.
    @inline(__always)
    mutating func string(_ p: Int) throws(JSONError) -> Int {
        var i = p &+ 1
        var flags: UInt8 = 0
        let raw = UnsafeRawPointer(bytes)
        while true {
            while i &+ 8 <= end {
                let hits = SWAR.quoteBackslashControlOrHigh(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if hits != 0 {
                    i &+= hits.trailingZeroBitCount &>> 3
                    break
                }
                i &+= 8
            }
            guard i < end else { throw fail(.endOfInput("the closing '\"' of a string"), at: i) }
            let c = bytes[i]
            if c == ASCII.quote { break }
            if c == ASCII.backslash {
                flags |= TapeFlags.escaped
                i = try escape(i)
            } else if c >= 0x80 {
                flags |= TapeFlags.nonASCII
                i = try utf8(i)
            } else if c < ASCII.space {
                throw fail(.control(c), at: i)
            } else {
                i &+= 1
            }
        }
        append(.string, start: p &+ 1, length: i &- p &- 1, flags: flags)
        return i &+ 1
    }

    /// The escape whose backslash is at `i`; returns the offset after it. A `\u` high surrogate
    /// must be followed by a `\u` low surrogate and a low one must not stand alone.
    @inline(never)
    func escape(_ i: Int) throws(JSONError) -> Int {
        guard i + 1 < end else { throw fail(.endOfInput("an escape"), at: i + 1) }
        switch bytes[i + 1] {
        case ASCII.quote, ASCII.backslash, ASCII.slash, 0x62, 0x66, 0x6E, 0x72, 0x74:  // " \ / b f n r t
            return i + 2
        case 0x75:  // u
            let unit = try hex4(i + 2)
            switch unit {
            case 0xD800...0xDBFF:
                guard i + 7 < end, bytes[i + 6] == ASCII.backslash, bytes[i + 7] == 0x75 else { throw fail(.loneHighSurrogate, at: i) }
                let low = try hex4(i + 8)
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.highSurrogateWithoutLow, at: i + 6) }
                return i + 12
            case 0xDC00...0xDFFF:
                throw fail(.loneLowSurrogate, at: i)
            default:
                return i + 6
            }
        default:
            throw fail(.invalidEscape(bytes[i + 1]), at: i)
        }
    }

    /// Four hex digits at `i`.
    func hex4(_ i: Int) throws(JSONError) -> UInt16 {
        guard i + 4 <= end else { throw fail(.endOfInput("four hex digits after \\u"), at: end) }
        var value: UInt16 = 0
        for k in 0..<4 {
            guard let digit = HexDigit.value(bytes[i + k]) else { throw fail(.badHexDigit(bytes[i + k]), at: i + k) }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// One UTF-8 sequence whose lead byte (≥ 0x80) is at `i`, checked as the Unicode standard's
    /// table 3-7 says (no overlong forms, no surrogates, nothing above U+10FFFF).
    @inline(never)
    func utf8(_ i: Int) throws(JSONError) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw fail(.badUTF8Lead(lead), at: i)
        }
        guard i + length <= end else { throw fail(.truncatedUTF8, at: i) }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { throw fail(.illFormedUTF8, at: i + 1) }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 {
            throw fail(.missingContinuation, at: i + k)
        }
        return i + length
    }

    /// The number at `p`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. Appends its entry
    /// and returns the offset after it; what may follow is checked by the caller.
    @inline(__always)
    mutating func number(_ p: Int) throws(JSONError) -> Int {
        var i = p
        if bytes[i] == ASCII.minus { i &+= 1 }
        guard i < end, isDigit(bytes[i]) else { throw fail(.number("A '-' must be followed by a digit."), at: i) }
        if bytes[i] == ASCII.zero {
            i &+= 1
            if i < end && isDigit(bytes[i]) { throw fail(.number("Numbers must not have leading zeros."), at: p) }
        } else {
            i = digits(i &+ 1)
        }
        var flags = TapeFlags.integer
        if i < end && (bytes[i] == ASCII.dot || bytes[i] | 0x20 == ASCII.lowerE) {
            flags = 0
            i = try fractionAndExponent(i)
        }
        append(.number, start: p, length: i &- p, flags: flags)
        return i
    }

    /// The offset of the first non-digit at or after `i`, eight bytes at a time.
    @inline(__always)
    func digits(_ start: Int) -> Int {
        var i = start
        let raw = UnsafeRawPointer(bytes)
        while i &+ 8 <= end {
            let misses = SWAR.nonDigit(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if misses != 0 { return i &+ misses.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < end && isDigit(bytes[i]) { i &+= 1 }
        return i
    }

    /// The `.digits` and `e±digits` parts of a number, starting at `i` (a `.` or an `e`).
    @inline(__always)
    func fractionAndExponent(_ start: Int) throws(JSONError) -> Int {
        var i = start
        if bytes[i] == ASCII.dot {
            i &+= 1
            guard i < end, isDigit(bytes[i]) else { throw fail(.number("A '.' in a number must be followed by a digit."), at: i) }
            i = digits(i)
        }
        if i < end && bytes[i] | 0x20 == ASCII.lowerE {
            i &+= 1
            if i < end && (bytes[i] == ASCII.plus || bytes[i] == ASCII.minus) { i &+= 1 }
            guard i < end, isDigit(bytes[i]) else { throw fail(.number("An exponent must have digits."), at: i) }
            i = digits(i)
        }
        return i
    }

    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool { c &- ASCII.zero < 10 }

    /// The four bytes at `p` must be `word` (little-endian).
    @inline(__always)
    func literal(_ p: Int, _ word: UInt32) throws(JSONError) {
        if _fastPath(p &+ 4 <= end) && UnsafeRawPointer(bytes).loadUnaligned(fromByteOffset: p, as: UInt32.self) == UInt32(littleEndian: word) {
            return
        }
        throw badLiteral(p, word)
    }

    @inline(never)
    func badLiteral(_ p: Int, _ word: UInt32) -> JSONError {
        for k in 0..<4 {
            guard p + k < end else { return fail(.endOfInput("the rest of a literal"), at: p + k) }
            guard bytes[p + k] == UInt8(truncatingIfNeeded: word >> (8 * UInt32(k))) else {
                return fail(.unexpected("in a literal (true, false or null)"), at: p + k)
            }
        }
        return fail(.unexpected("in a literal (true, false or null)"), at: p)
    }

    // MARK: Errors

    /// What went wrong, for `fail(_:at:)`.
    enum Problem {
        case endOfInput(StaticString)
        case unexpected(StaticString)
        case badKey
        case trailingContent
        case tooDeep(Int)
        case control(UInt8)
        case invalidEscape(UInt8)
        case badHexDigit(UInt8)
        case loneHighSurrogate
        case highSurrogateWithoutLow
        case loneLowSurrogate
        case badUTF8Lead(UInt8)
        case truncatedUTF8
        case illFormedUTF8
        case missingContinuation
        case number(StaticString)
    }

    @inline(never)
    func fail(_ problem: Problem, at p: Int) -> JSONError {
        let byte = p < end ? JSONError.show(bytes[p]) : "end of input"
        switch problem {
        case .endOfInput(let expected):
            return JSONError(.unexpectedEndOfInput, offset: p, "Unexpected end of input; expected \(expected).")
        case .unexpected(let context):
            return JSONError(.unexpectedByte(bytes[p]), offset: p, "Unexpected \(byte) \(context).")
        case .badKey:
            guard p < end else { return JSONError(.unexpectedEndOfInput, offset: p, "Unexpected end of input; expected a key.") }
            let context = bytes[p] == ASCII.closeBrace ? "after ',' (trailing comma)" : "where a key should start (keys are strings)"
            return JSONError(.unexpectedByte(bytes[p]), offset: p, "Unexpected \(byte) \(context).")
        case .trailingContent:
            return JSONError(.trailingContent, offset: p, "Unexpected \(byte) after the top-level value.")
        case .tooDeep(let limit):
            return JSONError(.tooDeep(limit: limit), offset: p, "Containers are nested deeper than \(limit) levels.")
        case .control(let c):
            return JSONError(.unescapedControlCharacter(c), offset: p, "Unescaped control character \(JSONError.show(c)) in a string.")
        case .invalidEscape(let c):
            return JSONError(.invalidEscape, offset: p, "Invalid escape \\\(Character(Unicode.Scalar(c))) in a string.")
        case .badHexDigit(let c):
            return JSONError(.invalidUnicodeEscape, offset: p, "\(JSONError.show(c)) is not a hex digit in a \\u escape.")
        case .loneHighSurrogate:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a high surrogate is not followed by one for a low surrogate.")
        case .highSurrogateWithoutLow:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a high surrogate is followed by one that is not a low surrogate.")
        case .loneLowSurrogate:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a low surrogate has no high surrogate before it.")
        case .badUTF8Lead(let c):
            return JSONError(.invalidUTF8, offset: p, "Byte \(JSONError.show(c)) cannot start a UTF-8 sequence.")
        case .truncatedUTF8:
            return JSONError(.invalidUTF8, offset: p, "A UTF-8 sequence is cut off by the end of the input.")
        case .illFormedUTF8:
            return JSONError(.invalidUTF8, offset: p, "Ill-formed UTF-8 sequence (overlong, a surrogate, or beyond U+10FFFF).")
        case .missingContinuation:
            return JSONError(.invalidUTF8, offset: p, "A UTF-8 sequence lacks a continuation byte.")
        case .number(let message):
            return JSONError(.invalidNumber, offset: p, "\(message)")
        }
    }
}
