/// The main path of a read (see `ReaderState`): moving the cursor, entering members and
/// elements, and skipping what no reader consumed. Nothing here throws a `JSONError`: a step that
/// cannot be taken (unexpected bytes, a key other than the one asked for) reports failure, and
/// the caller falls back to the tape, which tells a real error from an unusual document.
extension ReaderState {
    /// Whether the container at stack index `d`, starting at `start`, is open on the main path.
    @inline(__always)
    func isOpen(_ start: Int, at d: Int) -> Bool {
        d >= 0 && d < depth && frames[d].start == start
    }

    /// Makes the container at stack index `d` the innermost with nothing pending (skipping the
    /// pending value and closing deeper containers). False if the skipped bytes are not JSON.
    /// Inner containers whose members were all read close here, one compare each.
    @inline(__always)
    mutating func settle(_ d: Int) -> Bool {
        while _slowPath(depth != d &+ 1) && !pending && depth > d &+ 1 {
            let p = Indexer.skipWhitespace(bytes, end, pos)
            let close = frames[depth &- 1].isObject ? ASCII.closeBrace : ASCII.closeBracket
            guard p < end, bytes[p] == close else { break }
            depth &-= 1
            pos = p &+ 1
        }
        if _fastPath(!pending && depth == d &+ 1) { return true }
        do { try skip(toDepth: d &+ 1) } catch { return false }
        return true
    }

    /// Moves the main path on, validating, until `target` containers are open and nothing is
    /// pending.
    @inline(never)
    mutating func skip(toDepth target: Int) throws(Indexer.Failure) {
        while true {
            if pending {
                pos = try Indexer.skipValue(bytes, end, pos, depth: depth, maximumDepth: maximumDepth, stack: skipStack + depth)
                pending = false
            }
            if depth <= target { return }
            // The innermost container: its next member or element, or its end.
            let frame = frames + (depth &- 1)
            var p = Indexer.skipWhitespace(bytes, end, pos)
            guard p < end else { throw Indexer.Failure(.endOfInput("',' or the end of a container"), at: p) }
            let c = bytes[p]
            if c == (frame.pointee.isObject ? ASCII.closeBrace : ASCII.closeBracket) {
                depth &-= 1
                pos = p &+ 1
                continue
            }
            if frame.pointee.taken != 0 {
                guard c == ASCII.comma else { throw Indexer.Failure(.unexpected("after a member or element (expected ',' or the end)"), at: p) }
                p = Indexer.skipWhitespace(bytes, end, p &+ 1)
            }
            if frame.pointee.isObject { p = try Indexer.memberKey(bytes, end, p) }
            frame.pointee.taken &+= 1
            pos = Indexer.skipWhitespace(bytes, end, p)
            pending = true
        }
    }

    // MARK: Members

    /// If the object open at stack index `d` (starting at `object`) has `key` as its next member,
    /// returns the offset of its value and the key's filter bit, without moving the cursor
    /// (`commit` does, once the value is read). The fast path of every typed getter.
    ///
    /// A key matches when its bytes are `key`'s, with no escapes; and only if no key before the
    /// cursor may be `key` too (the first occurrence of a duplicate wins): the object's filter of
    /// the keys entered so far says so.
    @inline(__always)
    mutating func nextMember(_ key: UnsafeRawBufferPointer, object: Int, depth d: Int, generation: Int) -> (value: Int, bit: UInt64)? {
        guard isCurrent(generation), d >= 0, d < depth, frames[d].start == object, !foldKeys, settle(d) else { return nil }
        let bytes = bytes
        let end = end
        let frame = frames + d
        var p = pos
        if frame.pointee.taken != 0 {
            p = Indexer.skipWhitespace(bytes, end, p)
            guard p < end, bytes[p] == ASCII.comma else { return nil }
            p &+= 1
        }
        p = Indexer.skipWhitespace(bytes, end, p)
        let n = key.count
        let s = p &+ 1
        // The quotes, and room for the colon and a value after them.
        guard n < end &- s &- 2, bytes[p] == ASCII.quote, bytes[s &+ n] == ASCII.quote, let expected = key.baseAddress else { return nil }
        guard KeyBits.matches(bytes + s, expected.assumingMemoryBound(to: UInt8.self), n) else { return nil }
        let bit = KeyBits.bit(bytes + s, n)
        guard frame.pointee.keys & bit == 0 else { return nil }
        var q = s &+ n &+ 1
        if _fastPath(bytes[q] == ASCII.colon) {
            q &+= 1
        } else {
            guard let afterColon = try? Indexer.colon(bytes, end, q) else { return nil }
            q = afterColon
        }
        return (Indexer.skipWhitespace(bytes, end, q), bit)
    }

    /// Moves the main path past the member `nextMember` found (object at stack index `d`): to
    /// `after`, the end of its value, or with the value pending when `after` is nil.
    @inline(__always)
    mutating func commit(depth d: Int, bit: UInt64, value: Int, after: Int?) {
        let frame = frames + d
        frame.pointee.keys |= bit
        frame.pointee.taken &+= 1
        if let after {
            pos = after
        } else {
            pos = value
            pending = true
        }
    }

    /// Where a member that is not next is, as far as the stream can tell without the tape.
    enum Search {
        /// Its value starts at this offset, ahead of the cursor.
        case ahead(Int)
        /// The object has no such member.
        case absent
        /// Ask the tape.
        case unknown
    }

    /// Looks for `key` among the members after the cursor of the object open at stack index `d`,
    /// without moving the cursor (so the members passed stay in reach of the next getters).
    /// Found ahead counts only if the key cannot have occurred before the cursor.
    @inline(never)
    mutating func searchAhead(_ key: UnsafeRawBufferPointer, object: Int, depth d: Int, generation: Int) -> Search {
        guard isCurrent(generation), !foldKeys, isOpen(object, at: d), settle(d), let expected = key.baseAddress else { return .unknown }
        let n = key.count
        let mayPrecede = n > 0 && frames[d].keys & KeyBits.bit(expected.assumingMemoryBound(to: UInt8.self), n) != 0
        var first = frames[d].taken == 0
        var p = pos
        do {
            while true {
                p = Indexer.skipWhitespace(bytes, end, p)
                guard p < end else { return .unknown }
                if bytes[p] == ASCII.closeBrace { return mayPrecede || n == 0 ? .unknown : .absent }
                if !first {
                    guard bytes[p] == ASCII.comma else { return .unknown }
                    p = Indexer.skipWhitespace(bytes, end, p &+ 1)
                }
                first = false
                guard p < end, bytes[p] == ASCII.quote else { return .unknown }
                let (close, flags) = try Indexer.scanString(bytes, end, p)
                // A key with escapes might spell `key` once decoded: the tape decides.
                guard flags & TapeFlags.escaped == 0 else { return .unknown }
                let value = Indexer.skipWhitespace(bytes, end, try Indexer.colon(bytes, end, close &+ 1))
                if close &- p &- 1 == n && Bytes.equal(bytes + (p &+ 1), expected.assumingMemoryBound(to: UInt8.self), n) {
                    return mayPrecede ? .unknown : .ahead(value)
                }
                p = try Indexer.skipValue(bytes, end, value, depth: depth, maximumDepth: maximumDepth, stack: skipStack + depth)
            }
        } catch {
            return .unknown
        }
    }

    // MARK: Elements

    /// Enters the next element of the array open at stack index `d` (starting at `array`), if
    /// this iterator (`taken` elements in) is the one driving it: the element is then pending at
    /// `pos`. `.end` when the array is done (its `]` consumed), `.elsewhere` when the main path
    /// has moved past this iterator or the bytes are not JSON.
    @inline(__always)
    mutating func enterElement(array: Int, depth d: Int, taken: UInt32, generation: Int) -> ElementStep {
        guard isCurrent(generation), isOpen(array, at: d), frames[d].taken == taken, settle(d) else { return .elsewhere }
        let frame = frames + d
        var p = Indexer.skipWhitespace(bytes, end, pos)
        guard p < end else { return .elsewhere }
        let c = bytes[p]
        if c == ASCII.closeBracket {
            depth &-= 1
            pos = p &+ 1
            return .end
        }
        if taken != 0 {
            guard c == ASCII.comma else { return .elsewhere }
            p = Indexer.skipWhitespace(bytes, end, p &+ 1)
        }
        frame.pointee.taken &+= 1
        pos = p
        pending = true
        return .element(p)
    }

    // MARK: Consuming the pending value

    /// Whether the value at `position` is the pending one.
    @inline(__always)
    func isPending(_ position: Int) -> Bool { pending && position == pos }

    /// Opens the value at `position`, a container starting with `bracket`, on the main path if
    /// it is the pending value; returns its stack index, or nil when the value is not pending,
    /// is something else, or is too deep.
    @inline(__always)
    mutating func openPending(_ position: Int, _ bracket: UInt8) -> Int? {
        guard isPending(position), position < end, bytes[position] == bracket, depth < maximumDepth, depth < capacity else { return nil }
        frames[depth] = Frame(start: position, isObject: bracket == ASCII.openBrace)
        depth &+= 1
        pos = position &+ 1
        pending = false
        return depth &- 1
    }

    /// Marks the value at `position` consumed if it is the pending one, `after` being its end.
    @inline(__always)
    mutating func consumed(_ position: Int, after: Int) {
        if pending && position == pos {
            pos = after
            pending = false
        }
    }
}

/// What `ReaderState.enterElement` did.
enum ElementStep {
    /// The next element is pending at this offset.
    case element(Int)
    /// The array ended.
    case end
    /// The main path is not at this iterator's place: iterate over the tape.
    case elsewhere
}

/// Key tests for the main path's member matching.
enum KeyBits {
    /// One of 64 bits, picked by the key's length and its first and last bytes: equal keys get
    /// equal bits, so a clear bit in an object's filter rules a key out.
    @inline(__always)
    static func bit(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 { MemberKey.bit(p, n) }

    /// Whether the `n` bytes of a key at `p` (in the input) are `expected`'s and contain no `"`, `\` or control character, so that the
    /// key, compared as bytes, is `expected` without decoding. Up to sixteen bytes take two word
    /// compares and one test.
    @inline(__always)
    static func matches(_ p: UnsafePointer<UInt8>, _ expected: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        let e = UnsafeRawPointer(expected)
        if n >= 8 && n <= 16 {
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            guard head == e.loadUnaligned(as: UInt64.self), tail == e.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) else { return false }
            return SWAR.quoteBackslashOrControl(head) | SWAR.quoteBackslashOrControl(tail) == 0
        }
        if n >= 4 && n < 8 {
            let word = UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) &<< 32
            let other = UInt64(e.loadUnaligned(as: UInt32.self)) | UInt64(e.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) &<< 32
            return word == other && SWAR.quoteBackslashOrControl(word) == 0
        }
        return Bytes.equal(p, expected, n) && !JSONWriter.needsEscapes(UnsafeBufferPointer(start: p, count: n))
    }
}
