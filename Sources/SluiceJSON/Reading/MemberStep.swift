/// The main path's member step in its compact form, inlined into the code that calls a typed
/// getter (`JSONObjectReader.string(_:)` and friends): find the key, parse the value by one
/// out-of-line call, commit the member.
///
/// Why inlined: the key is a `StaticString` literal at the call site, so once this code is in the
/// caller, the optimizer folds everything about the key into constants: its length, its bytes
/// (compared as one or two words against immediates), the check that it needs no escaping, and
/// its filter bit. What is left per member is a handful of loads and compares and one call with
/// one argument (`parseString(at:)`…), which returns the value and where it ends.
///
/// What is guaranteed: the step accepts only a strict subset of what `ReaderState.nextMember`
/// accepts (no whitespace around the comma, the key or the colon; a key of plain bytes), and
/// where it accepts, it finds the same member and the same filter bit, and the parse functions
/// return what `StreamValue.parse` returns. When the step or the parse gives up, nothing has
/// changed and the caller takes the general route (`ReaderState.string(_:object:depth:generation:)`
/// …), which finds the member again and handles whitespace, escapes, keys out of order,
/// duplicates and errors. So results and errors are the general route's, whatever the document.
///
/// Invariants the step relies on (see `ReaderState`): `frames[0..<depth]` are the containers open
/// on the main path; with nothing pending, `pos` is just after the innermost container's bracket
/// (`taken == 0`) or after its last complete member; every byte before `pos` was validated.
extension ReaderState {
    /// If the object open at stack index `d` (starting at `object`) is the innermost container,
    /// nothing is pending, and its next member is exactly `,"key":` (`"key":` for the first
    /// member) followed by at least one byte: the offset of that byte (the value's first) and
    /// the key's filter bit. Changes nothing.
    ///
    /// `generation` is checked first: a reader kept past its read never gets here.
    @inlinable @inline(always)
    func compactMember(_ key: StaticString, object: Int, depth d: Int, generation: Int) -> (value: Int, bit: UInt64)? {
        guard key.hasPointerRepresentation, generation == self.generation, d >= 0, d &+ 1 == depth, !pending, !foldKeys else { return nil }
        let frame = frames + d
        guard frame.pointee.start == object else { return nil }
        let k = key.utf8Start
        let n = key.utf8CodeUnitCount
        // Folded to a constant for a literal key: a key with a quote, a backslash or a control
        // character is spelled differently in JSON, so only the general route can match it.
        guard MemberKey.isPlain(k, n) else { return nil }
        let bit = MemberKey.bit(k, n)
        guard frame.pointee.keys & bit == 0 else { return nil }
        let bytes = self.bytes
        var p = pos
        // Room for `,"key":` and one byte of the value.
        guard end &- p > n &+ 4 else { return nil }
        if frame.pointee.taken != 0 {
            guard bytes[p] == 0x2C else { return nil }  // ,
            p &+= 1
        }
        let s = p &+ 1
        guard bytes[p] == 0x22,  // "
            MemberKey.equal(bytes + s, k, n),
            UInt16(littleEndian: UnsafeRawPointer(bytes + (s &+ n)).loadUnaligned(as: UInt16.self)) == 0x3A22  // ":
        else { return nil }
        return (s &+ n &+ 2, bit)
    }

    /// Commits the member `compactMember` found in the object at stack index `d`, its value
    /// parsed up to `after`: the object has taken one more member, whose key's `bit` joins its
    /// filter, and the cursor is after the value.
    @inlinable @inline(always)
    mutating func commitCompact(depth d: Int, bit: UInt64, after: Int) {
        let frame = frames + d
        frame.pointee.keys |= bit
        frame.pointee.taken &+= 1
        pos = after
    }

    // MARK: Parsing the value
    //
    // Each returns the value starting at `p` and the offset after it, or an offset of -1 (and
    // a placeholder value) when the stream does not parse it here: a value of another type,
    // `null`, a number out of range… The general route then decides. Changes nothing but the
    // scratch memory of strings with escapes.
    //
    // The `value…` functions are inlined into the getter's caller with the usual shapes
    // (`ShortValues`: short ASCII strings, short decimals) and call the `parse…` functions,
    // which take every value the stream reads, for the rest.

    @inlinable @inline(always)
    mutating func valueString(at p: Int) -> (String, Int) {
        if smallStrings, let (leading, trailing, count, after) = ShortValues.asciiString(bytes, end, p) {
            return (SmallString.ascii(leading, trailing, count: count, in: stringSlot), after)
        }
        return parseString(at: p)
    }

    @inlinable @inline(always)
    mutating func valueStringBytes(at p: Int) -> (UnsafeRawBufferPointer, Int) {
        if let (_, _, count, after) = ShortValues.asciiString(bytes, end, p) { return (UnsafeRawBufferPointer(start: bytes + (p &+ 1), count: count), after) }
        return parseStringBytes(at: p)
    }

    @inlinable @inline(always)
    mutating func valueDouble(at p: Int) -> (Double, Int) {
        if let parsed = ShortValues.double(bytes, end, p) { return parsed }
        return parseDouble(at: p)
    }

    @inlinable @inline(always)
    mutating func valueInt(at p: Int) -> (Int, Int) {
        if let parsed = ShortValues.integer(bytes, end, p, as: Int.self) { return parsed }
        return parseInt(at: p)
    }

    @inlinable @inline(always)
    mutating func valueInt64(at p: Int) -> (Int64, Int) {
        if let parsed = ShortValues.integer(bytes, end, p, as: Int64.self) { return parsed }
        return parseInt64(at: p)
    }

    @usableFromInline
    mutating func parseString(at p: Int) -> (String, Int) {
        if _fastPath(smallStrings), let (leading, trailing, count, after) = ShortValues.asciiString(bytes, end, p) {
            return (SmallString.ascii(leading, trailing, count: count, in: stringSlot), after)
        }
        return parseLongString(at: p)
    }

    @inline(never)
    mutating func parseLongString(at p: Int) -> (String, Int) { String.parse(&self, at: p) ?? ("", -1) }

    /// The string's UTF-8 bytes (see `StringBytes`).
    @usableFromInline
    mutating func parseStringBytes(at p: Int) -> (UnsafeRawBufferPointer, Int) {
        guard let (bytes, after) = StringBytes.parse(&self, at: p) else { return (UnsafeRawBufferPointer(start: nil, count: 0), -1) }
        return (bytes.bytes, after)
    }

    @usableFromInline mutating func parseBool(at p: Int) -> (Bool, Int) { Bool.parse(&self, at: p) ?? (false, -1) }
    @usableFromInline mutating func parseInt(at p: Int) -> (Int, Int) { Int.parse(&self, at: p) ?? (0, -1) }
    @usableFromInline mutating func parseInt64(at p: Int) -> (Int64, Int) { Int64.parse(&self, at: p) ?? (0, -1) }
    @usableFromInline mutating func parseUInt64(at p: Int) -> (UInt64, Int) { UInt64.parse(&self, at: p) ?? (0, -1) }
    @usableFromInline mutating func parseDouble(at p: Int) -> (Double, Int) { Double.parse(&self, at: p) ?? (0, -1) }
    @usableFromInline mutating func parseFloat(at p: Int) -> (Float, Int) { Float.parse(&self, at: p) ?? (0, -1) }

    // MARK: Containers

    /// Commits the member `compactMember` found in the object at stack index `d` and opens its
    /// value, a container starting with `bracket`, on the main path: returns its stack index, or
    /// -1 (nothing changed) when the value is something else or would be too deep.
    @usableFromInline
    mutating func openCompact(at value: Int, depth d: Int, bit: UInt64, bracket: UInt8) -> Int {
        guard value < end, bytes[value] == bracket, depth < maximumDepth, depth < capacity else { return -1 }
        let frame = frames + d
        frame.pointee.keys |= bit
        frame.pointee.taken &+= 1
        frames[depth] = Frame(start: value, isObject: bracket == ASCII.openBrace)
        depth &+= 1
        pos = value &+ 1
        return depth &- 1
    }
}

/// Key tests for `compactMember`, written so that the optimizer can evaluate them on a literal
/// key at compile time: fixed-size loads within the key's bytes (overlapping rather than reading
/// past its end) and no loops for keys of up to 16 bytes.
@usableFromInline
enum MemberKey {
    /// The filter bit of a key (`KeyBits.bit`: one of 64 bits picked by the length and the first
    /// and last bytes, so equal keys get equal bits).
    @inlinable @inline(always)
    static func bit(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        guard n > 0 else { return 1 }
        return UInt64(1) &<< UInt64(truncatingIfNeeded: (n &* 7 &+ Int(p[0]) &+ Int(p[n &- 1]) &* 3) & 63)
    }

    /// Whether none of the `n` bytes at `p` is `"`, `\` or below 0x20 (so the key is spelled in
    /// JSON by its bytes alone).
    @inlinable @inline(always)
    static func isPlain(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        if n >= 8 && n <= 16 {
            return special(raw.loadUnaligned(as: UInt64.self)) | special(raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)) == 0
        }
        if n >= 4 && n < 8 {
            let word = UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) &<< 32
            return special(word) == 0
        }
        var i = 0
        while i < n {
            let c = p[i]
            if c == 0x22 || c == 0x5C || c < 0x20 { return false }
            i &+= 1
        }
        return true
    }

    /// High bit set in the lowest byte lane of `w` that is `"`, `\` or below 0x20 (`SWAR`'s test,
    /// repeated here because inlinable code can only use inlinable helpers).
    @inlinable @inline(always)
    static func special(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (w &- ones &* 0x20) & ~w
        return (zeroQuote | zeroBackslash | control) & (ones &* 0x80)
    }

    /// Whether the `n` bytes at `a` (the input) equal the `n` bytes at `key`.
    @inlinable @inline(always)
    static func equal(_ a: UnsafePointer<UInt8>, _ key: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let x = UnsafeRawPointer(a)
        let y = UnsafeRawPointer(key)
        switch n {
        case 0:
            return true
        case 1:
            return a[0] == key[0]
        case 2...3:
            return x.loadUnaligned(as: UInt16.self) == y.loadUnaligned(as: UInt16.self)
                && x.loadUnaligned(fromByteOffset: n &- 2, as: UInt16.self) == y.loadUnaligned(fromByteOffset: n &- 2, as: UInt16.self)
        case 4...7:
            return x.loadUnaligned(as: UInt32.self) == y.loadUnaligned(as: UInt32.self)
                && x.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self) == y.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
        case 8...16:
            return x.loadUnaligned(as: UInt64.self) == y.loadUnaligned(as: UInt64.self)
                && x.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        default:
            var i = 0
            while i &+ 8 < n {
                guard x.loadUnaligned(fromByteOffset: i, as: UInt64.self) == y.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
                i &+= 8
            }
            return x.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
    }
}
