/// Finding a key in an object without building a dictionary or a `String` per key.
///
/// A keyed container compares the `CodingKey`'s UTF-8 bytes with the keys' bytes in the input
/// (converted from snake case on the fly when that strategy is set). Synthesized `init(from:)`
/// asks for keys in declaration order, which is usually the document's order, so every object
/// remembers where the last match was (`TapeEntry.length`, the hint) and the next lookup starts
/// just after it, wrapping around once: in-order decoding compares each key once.
///
/// Starting in the middle is only sound if a key occurs once: Foundation lets the first
/// occurrence of a duplicate key win. The indexer runs every key's fingerprint through a 256-bit
/// filter per object (for `convertFromSnakeCase`, a fingerprint that cannot tell apart keys
/// converting to the same name) and marks the object `needsKeyCheck` on a possible repeat or on a
/// key with escapes or non-ASCII bytes. Most objects are not marked and cost nothing more. When a
/// container or reader opens a marked object, `checkKeys` compares fingerprints for real; objects
/// with a possible duplicate, or with keys that must be decoded before they can be compared
/// (escapes; non-ASCII under `convertFromSnakeCase`), are then scanned from their first key on
/// every lookup, which finds the first occurrence.
extension JSONDecoderImpl {
    /// The tape index of the value for `key` in the object at `object`; nil if absent.
    @inline(__always)
    func lookup<Key: CodingKey>(_ key: Key, in object: UInt32) throws -> UInt32? {
        guard scratch.live else { throw failure(.usedAfterReturn, Any.self, at: object) }
        var name = key.stringValue
        return name.withUTF8 { lookup(UnsafeRawBufferPointer($0), in: object) }
    }

    func lookup(_ target: UnsafeRawBufferPointer, in object: UInt32) -> UInt32? {
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
    /// Keys are fingerprinted as the indexer did; keys with equal fingerprints are compared for
    /// real (pairwise among a few, after a sort among many).
    func checkKeys(of object: UInt32) {
        let o = entry(object)
        var flags = o.flags & ~TapeFlags.needsKeyCheck
        var keys: [(fingerprint: UInt64, key: UInt32)] = []
        var key = object + 1
        while key < o.next {
            let k = entry(key)
            if k.flags & TapeFlags.escaped != 0 || (convertFromSnakeCase && k.flags & TapeFlags.nonASCII != 0) {
                flags |= TapeFlags.scanFromStart
                break
            }
            let start = Int(k.start)
            let length = Int(k.length)
            let fingerprint =
                convertFromSnakeCase ? KeyFingerprint.folded(bytes, byteCount, start, length) : KeyFingerprint.exact(bytes, byteCount, start, length)
            keys.append((fingerprint, key))
            key = entry(key + 1).next
        }
        if flags & TapeFlags.scanFromStart == 0 && hasRepeatedKey(&keys) { flags |= TapeFlags.scanFromStart }
        entries[Int(object)].flags = flags
    }

    private func hasRepeatedKey(_ keys: inout [(fingerprint: UInt64, key: UInt32)]) -> Bool {
        if keys.count <= 16 {
            for i in keys.indices {
                for j in keys.indices where j > i && keys[i].fingerprint == keys[j].fingerprint && sameKey(keys[i].key, keys[j].key) {
                    return true
                }
            }
            return false
        }
        keys.sort { $0.fingerprint < $1.fingerprint }
        var first = 0
        while first < keys.count {
            var last = first
            while last + 1 < keys.count && keys[last + 1].fingerprint == keys[first].fingerprint { last += 1 }
            for i in first...last {
                for j in i...last where j > i && sameKey(keys[i].key, keys[j].key) { return true }
            }
            first = last + 1
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
