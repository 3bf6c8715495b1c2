/// Finding a key in an object without building a dictionary or a `String` per key.
///
/// A keyed container compares the `CodingKey`'s UTF-8 bytes with the keys' bytes in the input
/// (converted from snake case on the fly when that strategy is set). Synthesized `init(from:)`
/// asks for keys in declaration order, which is usually the document's order, so every object
/// remembers where the last match was (`TapeEntry.length`, the hint) and the next lookup starts
/// just after it, wrapping around once: in-order decoding compares each key once.
///
/// Starting in the middle is only sound if a key occurs once: Foundation lets the first
/// occurrence of a duplicate key win. The indexer puts a cheap fingerprint of every key into a
/// 128-bit filter per object (for `convertFromSnakeCase`, a fingerprint that cannot tell apart
/// keys converting to the same name; see `Indexer.KeyFilter`) and marks the object
/// `needsKeyCheck` on a possible repeat or on a key with escapes or non-ASCII bytes. Most objects
/// are not marked and cost nothing more. When a container or reader first opens a marked
/// object, `checkKeys` fingerprints its keys properly and compares the keys whose fingerprints
/// are equal, with no allocation; objects with a duplicate, or with keys that must be decoded
/// before they can be compared (escapes; non-ASCII under `convertFromSnakeCase`), are then
/// scanned from their first key on every lookup, which finds the first occurrence.
extension JSONDecoderImpl {
    /// The tape index of the value for `key` in the object at `object`; nil if absent.
    @inline(__always)
    func lookup<Key: CodingKey>(_ key: Key, in object: UInt32) throws -> UInt32? {
        guard scratch.live else { throw failure(.usedAfterReturn, Any.self, at: object) }
        var name = key.stringValue
        return name.withUTF8 { lookup(UnsafeRawBufferPointer($0), in: object) }
    }

    /// The tape index of the value for the key `target` in the object at `object`; nil if
    /// absent. The common case, in-order decoding, is one compare of bytes at the hint, inlined
    /// into the caller: with `convertFromSnakeCase`, against the name's snake_case spelling
    /// (see `SnakeKeyCache`). Everything else goes out of line.
    @inline(__always)
    func lookup(_ target: UnsafeRawBufferPointer, in object: UInt32) -> UInt32? {
        let o = entry(object)
        if o.flags & TapeFlags.scanFromStart == 0 {
            let key = o.length
            if key < o.next {
                let k = entry(key)
                if !convertFromSnakeCase {
                    if Bytes.equal(bytes + Int(k.start), Int(k.length), target) { return found(key, in: object) }
                } else if let spelling = snakeKeys._withUnsafeGuaranteedRef({ $0.spelling(of: target) }), Bytes.equal(bytes + Int(k.start), Int(k.length), spelling) {
                    return found(key, in: object)
                }
            }
        }
        return lookupSlow(target, in: object)
    }

    @inline(never)
    func lookupSlow(_ target: UnsafeRawBufferPointer, in object: UInt32) -> UInt32? {
        let o = entry(object)
        if o.flags & TapeFlags.scanFromStart != 0 { return lookupFromStart(target, in: object) }
        if convertFromSnakeCase {
            return lookupFromHint(object, o) { key in SnakeCase.convertedEquals(bytes + Int(key.start), Int(key.length), target) }
        }
        return lookupFromHint(object, o) { key in Bytes.equal(bytes + Int(key.start), Int(key.length), target) }
    }

    @inline(__always)
    private func lookupFromHint(_ object: UInt32, _ o: TapeEntry, _ matches: (TapeEntry) -> Bool) -> UInt32? {
        let end = o.next
        var key = o.length
        if key >= end { key = object + 1 }
        let hint = key
        while key < end {
            let k = entry(key)
            if matches(k) { return found(key, in: object) }
            key = entry(key + 1).next
        }
        key = object + 1
        while key < hint {
            let k = entry(key)
            if matches(k) { return found(key, in: object) }
            key = entry(key + 1).next
        }
        return nil
    }

    @inline(__always)
    private func found(_ key: UInt32, in object: UInt32) -> UInt32 {
        let value = key + 1
        entries[Int(object)].length = entry(value).next
        return value
    }

    /// First occurrence wins; keys are decoded when they must be.
    private func lookupFromStart(_ target: UnsafeRawBufferPointer, in object: UInt32) -> UInt32? {
        let end = entry(object).next
        var key = object + 1
        while key < end {
            let k = entry(key)
            let p = bytes + Int(k.start)
            let simple = k.flags & TapeFlags.escaped == 0 && (!convertFromSnakeCase || k.flags & TapeFlags.nonASCII == 0)
            let matches: Bool
            if simple {
                matches = convertFromSnakeCase ? SnakeCase.convertedEquals(p, Int(k.length), target) : Bytes.equal(p, Int(k.length), target)
            } else {
                var name = keyName(key, converted: true)
                matches = name.withUTF8 { Bytes.equal($0.baseAddress ?? p, $0.count, target) }
            }
            if matches { return key + 1 }
            key = entry(key + 1).next
        }
        return nil
    }

    /// The exact duplicate-key check described above, for objects the indexer marked; clears
    /// `needsKeyCheck` and sets `scanFromStart` if a key repeats (or must be decoded first).
    /// Keys are fingerprinted (see `KeyFingerprint`) into memory on the stack and compared as
    /// they come with the fingerprints before them (after a sort, when there are many); keys with
    /// equal fingerprints are then compared for real.
    func checkKeys(of object: UInt32) {
        let o = entry(object)
        // Every member takes at least two entries, so this bounds the number of keys.
        let bound = Int(o.next &- object &- 1) &>> 1
        let repeated =
            bound <= 16
            ? withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { keysRepeat(in: object, end: o.next, fingerprints: $0) }
            : withUnsafeTemporaryAllocation(of: UInt64.self, capacity: bound) { keysRepeat(in: object, end: o.next, fingerprints: $0) }
        entries[Int(object)].flags = (o.flags & ~TapeFlags.needsKeyCheck) | (repeated ? TapeFlags.scanFromStart : 0)
    }

    /// Whether lookups in the object must scan from its first key: two keys name the same member,
    /// or a key must be decoded before it can be compared. `fingerprints` has room for every key.
    @inline(__always)
    private func keysRepeat(in object: UInt32, end: UInt32, fingerprints: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        guard let seen = fingerprints.baseAddress else { return true }
        let snake = convertFromSnakeCase
        var n = 0
        var key = object &+ 1
        while key < end && n < fingerprints.count {
            let k = entry(key)
            if k.flags & TapeFlags.escaped != 0 || (snake && k.flags & TapeFlags.nonASCII != 0) { return true }
            let start = Int(k.start)
            let length = Int(k.length)
            let f = snake ? KeyFingerprint.folded(bytes, byteCount, start, length) : KeyFingerprint.exact(bytes, byteCount, start, length)
            if n <= 16 {
                for j in 0..<n where seen[j] == f && sameKey(keyIndex(j, in: object), key) { return true }
            }
            seen[n] = f
            n &+= 1
            key = entry(key &+ 1).next
        }
        return n > 16 && hasRepeatedKey(UnsafeMutableBufferPointer(start: seen, count: n), in: object)
    }

    /// Whether two of the object's many keys, whose fingerprints are `fingerprints`, name the
    /// same member: equal fingerprints become neighbours after a sort, and only keys sharing one
    /// are compared (rare: distinct keys rarely share a fingerprint).
    private func hasRepeatedKey(_ fingerprints: UnsafeMutableBufferPointer<UInt64>, in object: UInt32) -> Bool {
        var fingerprints = fingerprints
        fingerprints.sort()
        let n = fingerprints.count
        var first = 0
        while first < n {
            var last = first
            while last + 1 < n && fingerprints[last + 1] == fingerprints[first] { last += 1 }
            if last > first && keysWithFingerprint(fingerprints[first], in: object) { return true }
            first = last + 1
        }
        return false
    }

    /// The tape index of the object's `n`th key (counting from 0).
    private func keyIndex(_ n: Int, in object: UInt32) -> UInt32 {
        var key = object + 1
        for _ in 0..<n { key = entry(key + 1).next }
        return key
    }

    /// Whether two keys of the object that share `fingerprint` name the same member.
    private func keysWithFingerprint(_ fingerprint: UInt64, in object: UInt32) -> Bool {
        let end = entry(object).next
        var sharing: [UInt32] = []
        var key = object + 1
        while key < end {
            let k = entry(key)
            let start = Int(k.start)
            let length = Int(k.length)
            let f = convertFromSnakeCase ? KeyFingerprint.folded(bytes, byteCount, start, length) : KeyFingerprint.exact(bytes, byteCount, start, length)
            if f == fingerprint {
                for other in sharing where sameKey(other, key) { return true }
                sharing.append(key)
            }
            key = entry(key + 1).next
        }
        return false
    }

    /// Whether the keys at tape indices `a` and `b` name the same member (after conversion).
    private func sameKey(_ a: UInt32, _ b: UInt32) -> Bool {
        if convertFromSnakeCase { return keyName(a, converted: true) == keyName(b, converted: true) }
        let x = entry(a)
        let y = entry(b)
        return Bytes.equal(bytes + Int(x.start), Int(x.length), UnsafeRawBufferPointer(start: bytes + Int(y.start), count: Int(y.length)))
    }

    /// The object's keys in document order, converted by the key strategy; a repeated key is
    /// listed once.
    func keys(of object: UInt32) -> [String] {
        guard scratch.live else { return [] }
        let o = entry(object)
        var names: [String] = []
        var key = object + 1
        while key < o.next {
            names.append(keyName(key, converted: true))
            key = entry(key + 1).next
        }
        if o.flags & TapeFlags.scanFromStart != 0 {
            var seen = Set<String>()
            names = names.filter { seen.insert($0).inserted }
        }
        return names
    }
}
