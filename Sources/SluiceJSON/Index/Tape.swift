/// What a tape entry stands for.
enum TapeKind: UInt8 {
    case object
    case array
    case string
    case number
    case trueLiteral
    case falseLiteral
    case null
}

/// One token of the structural index: 16 bytes, no pointers, nothing to release.
///
/// A document becomes a flat array of these in document order: a container's entry comes
/// first, its members follow (an object's as key, value, key, value…), and `next` jumps over
/// the whole value. Strings and numbers are not converted here; the decoder reads them from
/// the input bytes when (and only when) a Swift value asks for them.
struct TapeEntry {
    /// Byte offset into the input: a string's first content byte (after the quote), a number's
    /// or literal's first byte, a container's bracket.
    var start: UInt32
    /// Strings: content bytes as written, escapes undecoded. Numbers: bytes of the literal.
    /// Arrays: element count. Objects: the lookup hint, the tape index of the key most likely
    /// asked for next (see `KeyLookup.swift`).
    var length: UInt32
    /// Tape index just past this value, including everything inside a container.
    var next: UInt32
    var kind: TapeKind
    var flags: UInt8

    @inline(__always)
    init(kind: TapeKind, start: UInt32, length: UInt32, next: UInt32, flags: UInt8 = 0) {
        self.start = start
        self.length = length
        self.next = next
        self.kind = kind
        self.flags = flags
    }
}

/// Bits of `TapeEntry.flags`; their meaning depends on the entry's kind.
enum TapeFlags {
    /// String: contains a backslash escape, so its bytes are not its value.
    static let escaped: UInt8 = 1 << 0
    /// String: contains bytes ≥ 0x80 (validated UTF-8).
    static let nonASCII: UInt8 = 1 << 1
    /// Number: no fraction and no exponent.
    static let integer: UInt8 = 1 << 0
    /// Object: its keys must be examined before lookups may use the hint: the indexer's filter
    /// saw a possible repeat, or a key has escapes or non-ASCII bytes (see `KeyLookup.swift`).
    static let needsKeyCheck: UInt8 = 1 << 0
    /// Object: lookups must scan from the first key (possible duplicates, or keys that need
    /// decoding before they can be compared).
    static let scanFromStart: UInt8 = 1 << 1
}

/// The structural index of one document, reused from decode to decode.
///
/// After `index(_:maximumDepth:foldKeys:)` succeeds, entries `0..<count` describe the document and entry
/// `count` is an extra `null` that belongs to no container: the value of a `superDecoder()` for
/// a key that is absent. Not thread-safe; a `DecoderScratch` owns one.
final class Tape {
    private(set) var entries: UnsafeMutablePointer<TapeEntry>
    private(set) var capacity: Int
    /// Entries describing the document (the spare `null` not counted).
    var count = 0
    /// Open containers while indexing: their tape indices (see `Indexer.run`).
    private(set) var stack: UnsafeMutablePointer<UInt32>
    /// Two words per open container: a filter of the key fingerprints seen in it (see
    /// `Indexer.KeyFilter`).
    private(set) var filters: UnsafeMutablePointer<UInt64>
    private(set) var stackCapacity: Int

    init() {
        capacity = 256
        entries = .allocate(capacity: capacity)
        stackCapacity = 64
        stack = .allocate(capacity: stackCapacity)
        filters = .allocate(capacity: 2 * stackCapacity)
    }

    deinit {
        entries.deallocate()
        stack.deallocate()
        filters.deallocate()
    }

    /// Tape index of the spare `null`.
    var nullIndex: UInt32 { UInt32(truncatingIfNeeded: count) }

    /// Makes room for at least `minimum` entries, keeping the first `used`.
    func grow(to minimum: Int, keeping used: Int) {
        var newCapacity = capacity
        while newCapacity < minimum { newCapacity *= 2 }
        guard newCapacity != capacity else { return }
        let bigger = UnsafeMutablePointer<TapeEntry>.allocate(capacity: newCapacity)
        bigger.moveInitialize(from: entries, count: used)
        entries.deallocate()
        entries = bigger
        capacity = newCapacity
    }

    /// Gives back the memory of an unusually large document (over a million tokens, 16 MiB of
    /// index) so that a pooled scratch does not keep it for good.
    func trim() {
        guard capacity > 1 << 20 else { return }
        entries.deallocate()
        capacity = 256
        entries = .allocate(capacity: capacity)
        count = 0
    }

    /// Makes the open-container stack hold at least `depth` entries.
    func reserveStack(_ depth: Int) {
        guard depth > stackCapacity else { return }
        stack.deallocate()
        filters.deallocate()
        stackCapacity = depth
        stack = .allocate(capacity: depth)
        filters = .allocate(capacity: 2 * depth)
    }
}
