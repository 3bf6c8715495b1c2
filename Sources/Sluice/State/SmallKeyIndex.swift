import SluiceJSON

/// Where a dictionary keeps its short `String` keys, remembered so that a hot path finds a key
/// again without hashing it.
///
/// Why: a grouped aggregation looks its key up once per record, and for the keys records
/// usually carry (regions, codes, ids of up to 15 ASCII bytes) the standard `Hasher` (SipHash)
/// cost more than the rest of the fold. Such a string is two machine words that determine it
/// (`SmallString.identity`); a multiply-shift of them picks a slot of a small open-addressing
/// table, which keeps the words and the key's `Dictionary.Index`.
///
/// What is guaranteed: `index(of:)` returns only an index recorded for an equal key. An index
/// is valid only while the dictionary gains or loses no key, so the owner calls `removeAll()`
/// before any insertion or removal; values may be changed in place through the index. Keys of
/// other types, longer or non-ASCII strings are never remembered (nil: hash as usual).
@usableFromInline
struct SmallKeyIndex<Key: Hashable, Value> {
    @usableFromInline typealias Index = Dictionary<Key, Value>.Index

    /// Slots, a power of two; a key sits in one of `probes` slots from its home slot.
    @usableFromInline static var capacity: Int { 64 }
    @usableFromInline static var probes: Int { 4 }

    @usableFromInline var words: [(UInt64, UInt64)] = Array(repeating: (0, 0), count: capacity)
    @usableFromInline var indices: [Index?] = Array(repeating: nil, count: capacity)

    @usableFromInline init() {}

    /// The identity of `key` when it is a short ASCII string.
    @inlinable @inline(__always)
    static func identity(of key: Key) -> (UInt64, UInt64)? {
        guard Key.self == String.self else { return nil }
        return SmallString.identity(of: unsafeBitCast(key, to: String.self))
    }

    /// The first slot to look in (multiply-shift of both words).
    @inlinable @inline(__always)
    static func home(_ identity: (UInt64, UInt64)) -> Int {
        Int(truncatingIfNeeded: ((identity.0 ^ identity.1 &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9) &>> 58)
    }

    /// The recorded index of the key with this identity, if any.
    @inlinable @inline(__always)
    func index(of identity: (UInt64, UInt64)) -> Index? {
        var slot = Self.home(identity)
        for _ in 0..<Self.probes {
            guard let index = indices[slot] else { return nil }
            if words[slot] == identity { return index }
            slot = (slot &+ 1) & (Self.capacity &- 1)
        }
        return nil
    }

    /// Remembers `index` for the key with this identity, in the first free slot of its probe
    /// sequence (or the home slot, when all are taken).
    @inlinable
    mutating func record(_ index: Index, for identity: (UInt64, UInt64)) {
        let home = Self.home(identity)
        var slot = home
        for _ in 0..<Self.probes {
            if indices[slot] == nil || words[slot] == identity { break }
            slot = (slot &+ 1) & (Self.capacity &- 1)
        }
        if indices[slot] != nil && words[slot] != identity { slot = home }
        words[slot] = identity
        indices[slot] = index
    }

    /// Forgets every index (before the dictionary gains or loses a key). A slot's words
    /// count only while it holds an index, so they are left as they are.
    @inlinable
    mutating func removeAll() {
        for slot in indices.indices where indices[slot] != nil { indices[slot] = nil }
    }
}
