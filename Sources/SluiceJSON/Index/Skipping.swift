extension Indexer {
    /// Validates the value starting at `start` (whitespace before it allowed) and returns the
    /// offset just after it, writing nothing: what the streaming reader uses to pass values no
    /// reader asked for. The same grammar and checks as `run`, with the same `Failure`s.
    ///
    /// `depth` is the number of containers already open around the value (the limit is
    /// `maximumDepth` in all); `stack` has room for `maximumDepth - depth` entries.
    static func skipValue(
        _ bytes: UnsafePointer<UInt8>, _ end: Int, _ start: Int, depth: Int, maximumDepth: Int, stack: UnsafeMutablePointer<Bool>
    ) throws(Failure) -> Int {
        var p = start
        /// Containers open inside the value.
        var level = 0
        value: while true {
            p = skipWhitespace(bytes, end, p)
            guard p < end else { throw Failure(.endOfInput("a value"), at: p) }
            switch bytes[p] {
            case 0x22:  // "
                p = try scanString(bytes, end, p).close &+ 1
            case 0x7B:  // {
                guard depth &+ level < maximumDepth else { throw Failure(.tooDeep, at: p) }
                p = skipWhitespace(bytes, end, p &+ 1)
                guard p < end else { throw Failure(.endOfInput("a key or '}'"), at: p) }
                if bytes[p] == ASCII.closeBrace {
                    p &+= 1
                } else {
                    stack[level] = true
                    level &+= 1
                    p = try memberKey(bytes, end, p)
                    continue value
                }
            case 0x5B:  // [
                guard depth &+ level < maximumDepth else { throw Failure(.tooDeep, at: p) }
                p = skipWhitespace(bytes, end, p &+ 1)
                guard p < end else { throw Failure(.endOfInput("a value or ']'"), at: p) }
                if bytes[p] == ASCII.closeBracket {
                    p &+= 1
                } else {
                    stack[level] = false
                    level &+= 1
                    continue value
                }
            case 0x2D, 0x30...0x39:  // - 0-9
                p = try scanNumber(bytes, end, p).end
            case 0x74:  // t
                try literal(bytes, end, p, 0x6575_7274)  // "true" little-endian
                p &+= 4
            case 0x66:  // f
                try literal(bytes, end, p &+ 1, 0x6573_6C61)  // "alse"
                p &+= 5
            case 0x6E:  // n
                try literal(bytes, end, p, 0x6C6C_756E)  // "null"
                p &+= 4
            default:
                throw Failure(.unexpected("where a value should start"), at: p)
            }
            // A value is complete: a comma, the end of its container, or the end of this value.
            while level > 0 {
                p = skipWhitespace(bytes, end, p)
                guard p < end else { throw Failure(.endOfInput("',' or the end of a container"), at: p) }
                let c = bytes[p]
                if stack[level &- 1] {
                    if c == ASCII.comma {
                        p = try memberKey(bytes, end, skipWhitespace(bytes, end, p &+ 1))
                        continue value
                    }
                    guard c == ASCII.closeBrace else { throw Failure(.unexpected("after an object member (expected ',' or '}')"), at: p) }
                } else {
                    if c == ASCII.comma {
                        p &+= 1
                        continue value
                    }
                    guard c == ASCII.closeBracket else { throw Failure(.unexpected("after an array element (expected ',' or ']')"), at: p) }
                }
                level &-= 1
                p &+= 1
            }
            return p
        }
    }

    /// The key at `p` (its opening quote) and its colon; returns the offset after the colon.
    @inline(__always)
    static func memberKey(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) throws(Failure) -> Int {
        guard p < end, bytes[p] == ASCII.quote else { throw Failure(.badKey, at: p) }
        return try colon(bytes, end, try scanString(bytes, end, p).close &+ 1)
    }

    /// The colon after a key, at `p` or after whitespace; returns the offset after it.
    @inline(__always)
    static func colon(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) throws(Failure) -> Int {
        if _fastPath(p < end && bytes[p] == ASCII.colon) { return p &+ 1 }
        let q = skipWhitespace(bytes, end, p)
        guard q < end else { throw Failure(.endOfInput("':'"), at: q) }
        guard bytes[q] == ASCII.colon else { throw Failure(.unexpected("after a key (expected ':')"), at: q) }
        return q &+ 1
    }

    /// The number literal at `p` (a `-` or a digit): `-? (0 | [1-9][0-9]*) (. [0-9]+)?
    /// ([eE] [+-]? [0-9]+)?`. Returns the offset after it and whether it has neither fraction nor
    /// exponent. Shared by `run` (the tape) and the streaming reader's skips.
    @inline(__always)
    static func scanNumber(_ bytes: UnsafePointer<UInt8>, _ end: Int, _ p: Int) throws(Failure) -> (end: Int, isInteger: Bool) {
        var i = p
        if bytes[i] == ASCII.minus {
            i &+= 1
            guard i < end, isDigit(bytes[i]) else { throw Failure(.number("A '-' must be followed by a digit."), at: i) }
        }
        if bytes[i] == ASCII.zero {
            i &+= 1
            if i < end && isDigit(bytes[i]) { throw Failure(.number("Numbers must not have leading zeros."), at: p) }
        } else {
            i = digits(bytes, end, i &+ 1)
        }
        if i < end && (bytes[i] == ASCII.dot || bytes[i] | 0x20 == ASCII.lowerE) {
            return (try fractionAndExponent(bytes, end, i), false)
        }
        return (i, true)
    }
}
