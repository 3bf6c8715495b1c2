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
    ///
    /// Static, over an unretained reference that the caller keeps alive: indexing is per
    /// record, and a retain and a release are atomic operations that would cost more than the
    /// bookkeeping around them.
    static func index(_ tape: Unmanaged<Tape>, _ input: UnsafeRawBufferPointer, maximumDepth: Int, foldKeys: Bool) throws(JSONError) {
        tape._withUnsafeGuaranteedRef { $0.count = 0 }
        guard input.count < Int(UInt32.max) - 1 else {
            throw JSONError(.documentTooLarge, offset: 0, "The input is \(input.count) bytes; the index addresses at most 4 GiB.")
        }
        guard let base = input.baseAddress, !input.isEmpty else {
            throw JSONError(.unexpectedEndOfInput, offset: 0, "The input is empty.")
        }
        tape._withUnsafeGuaranteedRef { tape in
            // Each open container takes a byte, so the input bounds the depth too.
            tape.reserveStack(max(1, min(maximumDepth, input.count)))
            tape.grow(to: min(input.count / 4 + 8, 1 << 16), keeping: 0)
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let count: Int
        do {
            count = try Indexer.run(tape: tape, bytes: bytes, end: input.count, maximumDepth: maximumDepth, foldKeys: foldKeys)
        } catch {
            throw Indexer.describe(error, bytes: bytes, end: input.count, maximumDepth: maximumDepth)
        }
        tape._withUnsafeGuaranteedRef { $0.count = count }
    }
}

/// The one-pass scanner behind `Tape.index`: a loop over values with an explicit stack, so
/// nesting never touches the call stack.
///
/// Speed: the loop keeps its state in locals (position, entries, count, the innermost open
/// container) and its pieces are static functions of the bytes and a position, so the optimizer
/// keeps everything in registers instead of copying a struct around each call. The pieces throw
/// a two-word `Failure` (what, where), which travels in registers; the `JSONError` with its
/// message is built once, out of line, by `describe`. Strings and numbers are scanned eight
/// bytes at a time; whitespace costs one compare when there is none.
enum Indexer {
    /// Open-container stack entries: tape index, with this bit set for objects.
    static let objectBit: UInt32 = 1 << 31

    // MARK: The loop

    /// Where entries go while indexing: a local of `run`, so that its fields live in registers.
    struct Writer {
        /// The tape, which the caller of `run` keeps alive (no reference counting here).
        let tape: Unmanaged<Tape>
        var entries: UnsafeMutablePointer<TapeEntry>
        var capacity: Int
        /// Entries written so far.
        var used = 0

        init(tape: Unmanaged<Tape>) {
            self.tape = tape
            (entries, capacity) = tape._withUnsafeGuaranteedRef { ($0.entries, $0.capacity) }
        }

        @inline(__always)
        mutating func append(_ kind: TapeKind, start: Int, length: Int, flags: UInt8 = 0) {
            if _slowPath(used >= capacity) { grow() }
            (entries + used).initialize(
                to: TapeEntry(
                    kind: kind, start: UInt32(truncatingIfNeeded: start), length: UInt32(truncatingIfNeeded: length),
                    next: UInt32(truncatingIfNeeded: used &+ 1), flags: flags))
            used &+= 1
        }

        @inline(never)
        mutating func grow() {
            let (capacity, used) = (self.capacity, self.used)
            (entries, self.capacity) = tape._withUnsafeGuaranteedRef { tape in
                tape.grow(to: capacity * 2, keeping: used)
                return (tape.entries, tape.capacity)
            }
        }
    }

    /// Indexes the document; returns the number of entries (the spare `null` written after
    /// them, not counted).
    static func run(tape: Unmanaged<Tape>, bytes: UnsafePointer<UInt8>, end: Int, maximumDepth: Int, foldKeys: Bool) throws(Failure) -> Int {
        let (stack, filters) = tape._withUnsafeGuaranteedRef { ($0.stack, $0.filters) }
        var writer = Writer(tape: tape)
        var depth = 0
        /// The innermost open container's stack entry (valid while `depth > 0`); the stack
        /// holds the ones around it.
        var top: UInt32 = 0
        var p = 0
        if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { p = 3 }

        /// Whether a key comes next: after `{` or a comma in an object. Keys are read in one
        /// place, so the key reader is inlined once.
        var expectingKey = false

        value: while true {
            if expectingKey {
                // The key (a string) and its colon. The object is marked for a key check when
                // the key may repeat an earlier one (see `KeyFilter`) or must be decoded before
                // it can be compared. (Written out here: the optimizer would not inline it.)
                guard p < end, bytes[p] == ASCII.quote else { throw Failure(.badKey, at: p) }
                let (close, flags) = try scanString(bytes, end, p)
                let start = p &+ 1
                let length = close &- start
                writer.append(.string, start: start, length: length, flags: flags)
                if _slowPath(flags != 0) || KeyFilter.insert(bytes, start, length, fold: foldKeys, into: filters + 2 &* (depth &- 1)) {
                    writer.entries[Int(top & ~Self.objectBit)].flags |= TapeFlags.needsKeyCheck
                }
                p = close &+ 1
                if _slowPath(p >= end || bytes[p] != ASCII.colon) {
                    p = skipWhitespace(bytes, end, p)
                    guard p < end else { throw Failure(.endOfInput("':'"), at: p) }
                    guard bytes[p] == ASCII.colon else { throw Failure(.unexpected("after a key (expected ':')"), at: p) }
                }
                p &+= 1
                expectingKey = false
            }
            p = skipWhitespace(bytes, end, p)
            guard p < end else { throw Failure(.endOfInput("a value"), at: p) }
            // Literal patterns, so the switch becomes a jump table.
            switch bytes[p] {
            case 0x22:  // "
                let (close, flags) = try scanString(bytes, end, p)
                writer.append(.string, start: p &+ 1, length: close &- p &- 1, flags: flags)
                p = close &+ 1
            case 0x7B:  // {
                guard depth < maximumDepth else { throw Failure(.tooDeep, at: p) }
                let me = writer.used
                writer.append(.object, start: p, length: me &+ 1)  // the lookup hint starts on the first key
                p = skipWhitespace(bytes, end, p &+ 1)
                guard p < end else { throw Failure(.endOfInput("a key or '}'"), at: p) }
                if bytes[p] == ASCII.closeBrace {
                    p &+= 1
                } else {
                    stack[depth] = top
                    top = UInt32(truncatingIfNeeded: me) | Self.objectBit
                    (filters + 2 &* depth).initialize(repeating: 0, count: 2)
                    depth &+= 1
                    expectingKey = true
                    continue value
                }
            case 0x5B:  // [
                guard depth < maximumDepth else { throw Failure(.tooDeep, at: p) }
                let me = writer.used
                writer.append(.array, start: p, length: 1)
                p = skipWhitespace(bytes, end, p &+ 1)
                guard p < end else { throw Failure(.endOfInput("a value or ']'"), at: p) }
                if bytes[p] == ASCII.closeBracket {
                    writer.entries[me].length = 0
                    p &+= 1
                } else {
                    stack[depth] = top
                    top = UInt32(truncatingIfNeeded: me)
                    depth &+= 1
                    continue value
                }
            case 0x2D, 0x30...0x39:  // - 0-9
                let (next, isInteger) = try scanNumber(bytes, end, p)
                writer.append(.number, start: p, length: next &- p, flags: isInteger ? TapeFlags.integer : 0)
                p = next
            case 0x74:  // t
                try literal(bytes, end, p, 0x6575_7274)  // "true" little-endian
                writer.append(.trueLiteral, start: p, length: 4)
                p &+= 4
            case 0x66:  // f
                try literal(bytes, end, p &+ 1, 0x6573_6C61)  // "alse"
                writer.append(.falseLiteral, start: p, length: 5)
                p &+= 5
            case 0x6E:  // n
                try literal(bytes, end, p, 0x6C6C_756E)  // "null"
                writer.append(.null, start: p, length: 4)
                p &+= 4
            default:
                throw Failure(.unexpected("where a value should start"), at: p)
            }

            // A value is complete: a comma, the end of its container, or the end of the text.
            while depth > 0 {
                p = skipWhitespace(bytes, end, p)
                guard p < end else { throw Failure(.endOfInput("',' or the end of a container"), at: p) }
                let c = bytes[p]
                let index = Int(top & ~Self.objectBit)
                if top & Self.objectBit != 0 {
                    if c == ASCII.comma {
                        p = skipWhitespace(bytes, end, p &+ 1)
                        expectingKey = true
                        continue value
                    }
                    guard c == ASCII.closeBrace else { throw Failure(.unexpected("after an object member (expected ',' or '}')"), at: p) }
                } else {
                    if c == ASCII.comma {
                        writer.entries[index].length &+= 1
                        p &+= 1
                        continue value
                    }
                    guard c == ASCII.closeBracket else { throw Failure(.unexpected("after an array element (expected ',' or ']')"), at: p) }
                }
                writer.entries[index].next = UInt32(truncatingIfNeeded: writer.used)
                depth &-= 1
                top = stack[depth]
                p &+= 1
            }
            break
        }
        p = skipWhitespace(bytes, end, p)
        guard p == end else { throw Failure(.trailingContent, at: p) }
        // The spare null (see `Tape`), not counted.
        writer.append(.null, start: end, length: 0)
        return writer.used &- 1
    }

    // MARK: Pieces

    /// The per-object filter of key fingerprints: two 64-bit words, one bit per key in each,
    /// so a key is taken for a possible repeat of an earlier one only when both its bits are set
    /// already (about 3% for eight distinct keys, unless two keys share a fingerprint).
    enum KeyFilter {
        /// Adds the key `bytes[start..<start + length]` (no escapes) to `filter`; true when it
        /// may repeat a key added before.
        ///
        /// The fingerprint is cheap and equal for equal keys: length, first and last byte. With
        /// `fold`, keys that convert to the same name from snake case must get equal
        /// fingerprints, so the length (underscores come and go) is left out and the bytes are
        /// case-folded; a key starting or ending with `_` is simply reported.
        @inline(__always)
        static func insert(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ length: Int, fold: Bool, into filter: UnsafeMutablePointer<UInt64>) -> Bool {
            guard length > 0 else { return fold || insert(0, into: filter) }
            let first = UInt64(bytes[start])
            let last = UInt64(bytes[start &+ length &- 1])
            let fingerprint: UInt64
            if fold {
                if first == UInt64(ASCII.underscore) || last == UInt64(ASCII.underscore) { return true }
                fingerprint = (first | 0x20) << 8 | (last | 0x20) | 1 << 40
            } else {
                fingerprint = UInt64(truncatingIfNeeded: length) << 16 | first << 8 | last
            }
            return insert(fingerprint, into: filter)
        }

        @inline(__always)
        static func insert(_ fingerprint: UInt64, into filter: UnsafeMutablePointer<UInt64>) -> Bool {
            let mixed = (fingerprint ^ fingerprint &>> 29) &* 0xBF58_476D_1CE4_E5B9
            let bitA = UInt64(1) &<< (mixed &>> 58)
            let bitB = UInt64(1) &<< (mixed &>> 52 & 63)
            let a = filter[0]
            let b = filter[1]
            filter[0] = a | bitA
            filter[1] = b | bitB
            return a & bitA != 0 && b & bitB != 0
        }
    }

    /// The first offset at or after `from` that is not JSON whitespace. One compare when there
    /// is none (every byte that is not whitespace and could follow is above 0x20).
    @inline(__always)
    static func skipWhitespace(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ from: Int) -> Int {
        guard from < end, bytes[from] <= ASCII.space else { return from }
        return skipWhitespaceRun(bytes, end, from)
    }

    @inline(never)
    static func skipWhitespaceRun(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ from: Int) -> Int {
        var p = from
        while p < end {
            let c = bytes[p]
            guard c == ASCII.space || c == ASCII.newline || c == ASCII.carriageReturn || c == ASCII.tab else { break }
            p &+= 1
        }
        return p
    }

    /// The string whose opening quote is at `p`: the offset of its closing quote, and its
    /// `TapeFlags` (escapes, non-ASCII bytes).
    ///
    /// Sixteen bytes at a time (two words in one vector register) while nothing interesting
    /// shows up (no quote, backslash, control character or non-ASCII byte), eight near the end of
    /// the input; escapes and UTF-8 sequences are checked out of line.
    @inline(__always)
    static func scanString(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) throws(Failure) -> (close: Int, flags: UInt8) {
        var i = p &+ 1
        var flags: UInt8 = 0
        let raw = UnsafeRawPointer(bytes)
        while true {
            scan: do {
                while i &+ 16 <= end {
                    let hits = SWAR.quoteBackslashControlOrHigh(raw.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self))
                    if hits[0] != 0 {
                        i &+= hits[0].trailingZeroBitCount &>> 3
                        break scan
                    }
                    if hits[1] != 0 {
                        i &+= 8 &+ hits[1].trailingZeroBitCount &>> 3
                        break scan
                    }
                    i &+= 16
                }
                while i &+ 8 <= end {
                    let hits = SWAR.quoteBackslashControlOrHigh(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if hits != 0 {
                        i &+= hits.trailingZeroBitCount &>> 3
                        break scan
                    }
                    i &+= 8
                }
            }
            guard i < end else { throw Failure(.endOfInput("the closing '\"' of a string"), at: i) }
            let c = bytes[i]
            if c == ASCII.quote { return (i, flags) }
            if c == ASCII.backslash {
                flags |= TapeFlags.escaped
                i = try escape(bytes, end, i)
            } else if c >= 0x80 {
                flags |= TapeFlags.nonASCII
                i = try utf8(bytes, end, i)
            } else if c < ASCII.space {
                throw Failure(.control, at: i)
            } else {
                i &+= 1
            }
        }
    }

    /// The escape whose backslash is at `i`; returns the offset after it. A `\u` high surrogate
    /// must be followed by a `\u` low surrogate and a low one must not stand alone.
    @inline(never)
    static func escape(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ i: Int) throws(Failure) -> Int {
        guard i + 1 < end else { throw Failure(.endOfInput("an escape"), at: i + 1) }
        switch bytes[i + 1] {
        case ASCII.quote, ASCII.backslash, ASCII.slash, 0x62, 0x66, 0x6E, 0x72, 0x74:  // " \ / b f n r t
            return i + 2
        case 0x75:  // u
            let unit = try hex4(bytes, end, i + 2)
            switch unit {
            case 0xD800...0xDBFF:
                guard i + 7 < end, bytes[i + 6] == ASCII.backslash, bytes[i + 7] == 0x75 else { throw Failure(.loneHighSurrogate, at: i) }
                let low = try hex4(bytes, end, i + 8)
                guard (0xDC00...0xDFFF).contains(low) else { throw Failure(.highSurrogateWithoutLow, at: i + 6) }
                return i + 12
            case 0xDC00...0xDFFF:
                throw Failure(.loneLowSurrogate, at: i)
            default:
                return i + 6
            }
        default:
            throw Failure(.invalidEscape, at: i)
        }
    }

    /// Four hex digits at `i`.
    static func hex4(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ i: Int) throws(Failure) -> UInt16 {
        guard i + 4 <= end else { throw Failure(.endOfInput("four hex digits after \\u"), at: end) }
        var value: UInt16 = 0
        for k in 0..<4 {
            guard let digit = HexDigit.value(bytes[i + k]) else { throw Failure(.badHexDigit, at: i + k) }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// One UTF-8 sequence whose lead byte (≥ 0x80) is at `i`, checked as the Unicode standard's
    /// table 3-7 says (no overlong forms, no surrogates, nothing above U+10FFFF).
    @inline(never)
    static func utf8(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ i: Int) throws(Failure) -> Int {
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
        default: throw Failure(.badUTF8Lead, at: i)
        }
        guard i + length <= end else { throw Failure(.truncatedUTF8, at: i) }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { throw Failure(.illFormedUTF8, at: i + 1) }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 {
            throw Failure(.missingContinuation, at: i + k)
        }
        return i + length
    }

    /// The offset of the first non-digit at or after `i`, eight bytes at a time.
    @inline(__always)
    static func digits(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int) -> Int {
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
    static func fractionAndExponent(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int) throws(Failure) -> Int {
        var i = start
        if bytes[i] == ASCII.dot {
            i &+= 1
            guard i < end, isDigit(bytes[i]) else { throw Failure(.number("A '.' in a number must be followed by a digit."), at: i) }
            i = digits(bytes, end, i)
        }
        if i < end && bytes[i] | 0x20 == ASCII.lowerE {
            i &+= 1
            if i < end && (bytes[i] == ASCII.plus || bytes[i] == ASCII.minus) { i &+= 1 }
            guard i < end, isDigit(bytes[i]) else { throw Failure(.number("An exponent must have digits."), at: i) }
            i = digits(bytes, end, i)
        }
        return i
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- ASCII.zero < 10 }

    /// The four bytes at `p` must be `word` (little-endian).
    @inline(__always)
    static func literal(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int, _ word: UInt32) throws(Failure) {
        if _fastPath(p &+ 4 <= end) && UnsafeRawPointer(bytes).loadUnaligned(fromByteOffset: p, as: UInt32.self) == UInt32(littleEndian: word) {
            return
        }
        throw badLiteral(bytes, end, p, word)
    }

    @inline(never)
    static func badLiteral(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int, _ word: UInt32) -> Failure {
        for k in 0..<4 {
            guard p + k < end else { return Failure(.endOfInput("the rest of a literal"), at: p + k) }
            guard bytes[p + k] == UInt8(truncatingIfNeeded: word >> (8 * UInt32(k))) else {
                return Failure(.unexpected("in a literal (true, false or null)"), at: p + k)
            }
        }
        return Failure(.unexpected("in a literal (true, false or null)"), at: p)
    }

    // MARK: Errors

    /// What went wrong and where: small and trivial, so throwing it costs the loop nothing;
    /// `describe` turns it into the `JSONError` callers see.
    struct Failure: Error {
        var problem: Problem
        var offset: Int

        init(_ problem: Problem, at offset: Int) {
            self.problem = problem
            self.offset = offset
        }
    }

    /// What went wrong, for `describe(_:)`; the byte in question is read back from the input.
    enum Problem {
        case endOfInput(StaticString)
        case unexpected(StaticString)
        case badKey
        case trailingContent
        case tooDeep
        case control
        case invalidEscape
        case badHexDigit
        case loneHighSurrogate
        case highSurrogateWithoutLow
        case loneLowSurrogate
        case badUTF8Lead
        case truncatedUTF8
        case illFormedUTF8
        case missingContinuation
        case number(StaticString)
    }

    @inline(never)
    static func describe(_ failure: Failure, bytes: UnsafePointer<UInt8>, end: Int, maximumDepth: Int) -> JSONError {
        let p = failure.offset
        let c: UInt8 = p < end ? bytes[p] : 0
        let byte = p < end ? JSONError.show(c) : "end of input"
        switch failure.problem {
        case .endOfInput(let expected):
            return JSONError(.unexpectedEndOfInput, offset: p, "Unexpected end of input; expected \(expected).")
        case .unexpected(let context):
            return JSONError(.unexpectedByte(c), offset: p, "Unexpected \(byte) \(context).")
        case .badKey:
            guard p < end else { return JSONError(.unexpectedEndOfInput, offset: p, "Unexpected end of input; expected a key.") }
            let context = c == ASCII.closeBrace ? "after ',' (trailing comma)" : "where a key should start (keys are strings)"
            return JSONError(.unexpectedByte(c), offset: p, "Unexpected \(byte) \(context).")
        case .trailingContent:
            return JSONError(.trailingContent, offset: p, "Unexpected \(byte) after the top-level value.")
        case .tooDeep:
            return JSONError(.tooDeep(limit: maximumDepth), offset: p, "Containers are nested deeper than \(maximumDepth) levels.")
        case .control:
            return JSONError(.unescapedControlCharacter(c), offset: p, "Unescaped control character \(byte) in a string.")
        case .invalidEscape:
            let escaped = p + 1 < end ? bytes[p + 1] : 0
            return JSONError(.invalidEscape, offset: p, "Invalid escape \\\(Character(Unicode.Scalar(escaped))) in a string.")
        case .badHexDigit:
            return JSONError(.invalidUnicodeEscape, offset: p, "\(byte) is not a hex digit in a \\u escape.")
        case .loneHighSurrogate:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a high surrogate is not followed by one for a low surrogate.")
        case .highSurrogateWithoutLow:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a high surrogate is followed by one that is not a low surrogate.")
        case .loneLowSurrogate:
            return JSONError(.invalidUnicodeEscape, offset: p, "A \\u escape for a low surrogate has no high surrogate before it.")
        case .badUTF8Lead:
            return JSONError(.invalidUTF8, offset: p, "Byte \(byte) cannot start a UTF-8 sequence.")
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
