/// The state of one `FastJSONDecoder.read`: the document, the position of the streaming pass,
/// the containers open on it, and a tape built on demand for everything the stream does not do.
///
/// Why: a reader that asks for members in the order the document has them (what hand-written
/// readers and synthesized code do) can be served in one forward pass over the bytes, validating
/// and converting each value as it goes, with no index at all: that is several times cheaper than
/// validating and indexing the whole document first. Anything else (a key asked for out of order,
/// a duplicate key, keys converted from snake case, Codable for a member, coding paths, errors)
/// falls back to the decoder's tape (`Tape.index` and `JSONDecoderImpl`), which gives exactly the
/// results and errors the indexed reader always gave.
///
/// The stream ("main path") is a cursor `pos` and a stack of open containers (`frames`). At any
/// time either a value is *pending* at `pos` (its first byte; a reader for it may consume it), or
/// `pos` is just after the innermost container's bracket or after its last complete member. Moving
/// the main path to an outer container first skips (validating) whatever is left of inner ones;
/// `finish` skips the rest of the document. So every byte is validated exactly once on the main
/// path, whatever the reader looks at.
///
/// Values are also read away from the main path (a value found ahead of the cursor, a reader kept
/// and used later): scalars are parsed in place (parsing validates what it reads), containers go
/// to the tape.
///
/// What is guaranteed: `read` returns only for valid JSON; when the document is invalid, it throws
/// the same syntax error (first in the document) that indexing throws, whatever `body` did or
/// threw. Reader errors (missing keys, type mismatches…) are the tape reader's own, with its
/// offsets and coding paths, so they are byte-for-byte what the indexed reader reported.
///
/// Readers refer to their state by a plain pointer, with no reference counting (a retain and a
/// release per reader made or passed would cost more than reading most values) and no run-time
/// exclusivity checks (which a class's stored properties would pay on every change): states live
/// in memory that is never freed, parked in `ReaderStatePool` between reads. A reader carries
/// the `generation` of its read; every call checks it, so a reader kept past its read throws
/// instead of reading the next document (or freed input).
///
/// Not thread-safe: one read owns it.
@usableFromInline
struct ReaderState {
    /// A container open on the main path.
    @usableFromInline
    struct Frame {
        /// Offset of its `{` or `[`.
        @usableFromInline var start: Int
        /// Fingerprints of the keys the main path has entered (objects): a key asked for whose
        /// bit is clear certainly did not occur before the cursor (see `KeyBits`).
        @usableFromInline var keys: UInt64 = 0
        /// Members or elements the main path has entered.
        @usableFromInline var taken: UInt32 = 0
        @usableFromInline var isObject: Bool

        @inlinable
        init(start: Int, isObject: Bool) {
            self.start = start
            self.isObject = isObject
        }
    }

    // The document (set by `begin`).
    @usableFromInline private(set) var bytes: UnsafePointer<UInt8>
    @usableFromInline private(set) var end = 0
    /// The current read's number; bumped when it ends (see the type's comment).
    @usableFromInline private(set) var generation = 0
    /// Whether a read is under way.
    private(set) var live = false

    // The main path.
    /// The cursor (see the type's comment).
    @usableFromInline var pos = 0
    /// Containers open on the main path (`frames[0..<depth]`).
    @usableFromInline var depth = 0
    /// Whether a value starts at `pos` that no reader has consumed yet.
    @usableFromInline var pending = false
    @usableFromInline private(set) var frames: UnsafeMutablePointer<Frame>
    /// Scratch stack for `Indexer.skipValue`: whether each container it has open is an object.
    private(set) var skipStack: UnsafeMutablePointer<Bool>
    @usableFromInline private(set) var capacity: Int

    // Settings of the decoder that began the read.
    @usableFromInline private(set) var maximumDepth = 512
    /// `convertFromSnakeCase`: keys are matched on the tape only.
    @usableFromInline private(set) var foldKeys = false
    /// Whether short strings may be made by `SmallString.make`.
    @usableFromInline let smallStrings = SmallString.available
    private var keyDecodingStrategy = FastJSONDecoder.KeyDecodingStrategy.useDefaultKeys
    private var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    // The fallback.
    /// The tape of this document, once something needed it.
    private var tapeScratch: DecoderScratch?
    private enum TapeStatus { case none, built, failed(JSONError) }
    private var tapeStatus = TapeStatus.none
    /// Memory for strings with escapes (see `unescaped`).
    var text: [UInt8] = []
    private var unescapedBytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Something for `bytes` to point at when the input has no address (never read).
    private let placeholder: UnsafePointer<UInt8>
    /// Where `SmallString.ascii` assembles short strings (bound to `String`, uninitialized
    /// between uses).
    @usableFromInline let stringSlot: UnsafeMutablePointer<String>

    /// A new state in memory of its own, never freed (see the type's comment).
    static func make() -> UnsafeMutablePointer<ReaderState> {
        let state = UnsafeMutablePointer<ReaderState>.allocate(capacity: 1)
        let placeholder = UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))
        state.initialize(
            to: ReaderState(bytes: placeholder, frames: .allocate(capacity: 16), skipStack: .allocate(capacity: 16), capacity: 16, placeholder: placeholder, stringSlot: .allocate(capacity: 1)))
        return state
    }

    /// Whether `generation` is the read under way.
    @inline(__always)
    func isCurrent(_ generation: Int) -> Bool { generation == self.generation && live }

    // MARK: Beginning and ending a read

    /// Points the state at `input`, with the root value pending.
    @usableFromInline
    mutating func begin(_ input: UnsafeRawBufferPointer, _ decoder: FastJSONDecoder) throws(JSONError) {
        guard input.count < Int(UInt32.max) - 1 else {
            throw JSONError(.documentTooLarge, offset: 0, "The input is \(input.count) bytes; the index addresses at most 4 GiB.")
        }
        bytes = input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? placeholder
        end = input.count
        maximumDepth = decoder.maximumDepth
        if keyDecodingStrategy != decoder.keyDecodingStrategy {
            keyDecodingStrategy = decoder.keyDecodingStrategy
            foldKeys = keyDecodingStrategy == .convertFromSnakeCase
        }
        if !(decoder.userInfo.isEmpty && userInfo.isEmpty) { userInfo = decoder.userInfo }
        // Each open container takes a byte, so the input bounds the depth too.
        let needed = max(1, min(maximumDepth, end) &+ 1)
        if _slowPath(needed > capacity) { grow(to: needed) }
        var p = 0
        if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { p = 3 }
        pos = Indexer.skipWhitespace(bytes, end, p)
        depth = 0
        pending = true
        // Assigned only when it changed: assigning destroys the old value (an error) first.
        if case .none = tapeStatus {} else { tapeStatus = .none }
        live = true
    }

    private mutating func grow(to needed: Int) {
        frames.deallocate()
        skipStack.deallocate()
        capacity = needed
        frames = .allocate(capacity: needed)
        skipStack = .allocate(capacity: needed)
    }

    /// Validates what the main path has not passed yet (unless the tape did all of it already)
    /// and ends the read; throws the document's first syntax error if it has one.
    @usableFromInline
    mutating func finish() throws(JSONError) {
        // The usual end: every member read, the root container's bracket next and last.
        if case .none = tapeStatus, !pending, depth == 1, pos &+ 1 == end, bytes[pos] == (frames[0].isObject ? ASCII.closeBrace : ASCII.closeBracket) {
            depth = 0
            pos = end
            return
        }
        try finishSlow()
    }

    @inline(never)
    private mutating func finishSlow() throws(JSONError) {
        switch tapeStatus {
        case .built:
            return
        case .failed(let error):
            throw error
        case .none:
            do throws(Indexer.Failure) {
                if pending || depth > 0 { try skip(toDepth: 0) }
                let p = Indexer.skipWhitespace(bytes, end, pos)
                guard p == end else { throw Indexer.Failure(.trailingContent, at: p) }
            } catch {
                throw syntaxError(error)
            }
        }
    }

    /// What `read` throws when `body` threw `error`: the document's syntax error if it has one
    /// (as indexing would have thrown it before `body` ran), `error` otherwise.
    @usableFromInline
    mutating func failing(_ error: any Error) -> any Error {
        switch tapeStatus {
        case .built: return error
        case .failed(let syntax): return syntax
        case .none:
            do { try finish() } catch { return error }
            return error
        }
    }

    /// Ends the read: readers kept past it find their generation gone; the tape's scratch is
    /// kept for the next read unless a decoder made from it (`JSONReader.decode`) was kept too.
    @usableFromInline
    mutating func close() {
        live = false
        generation &+= 1
        guard let scratch = tapeScratch else { return }
        scratch.live = false
        if case .none = tapeStatus { return }
        if isKnownUniquelyReferenced(&scratch.root) {
            scratch.tapeReference._withUnsafeGuaranteedRef { $0.trim() }
        } else {
            scratch.setRoot(nil)
            tapeScratch = nil
        }
    }

    // MARK: The tape

    /// The decoder over this document's tape, indexing it the first time. Throws the syntax
    /// error when the document is invalid.
    mutating func tape() throws(JSONError) -> JSONDecoderImpl {
        switch tapeStatus {
        case .built:
            if let root = tapeScratch?.rootReference { return root.takeUnretainedValue() }
        case .failed(let error):
            throw error
        case .none:
            break
        }
        let scratch = tapeScratch ?? DecoderScratch()
        tapeScratch = scratch
        do {
            try scratch.prepare(UnsafeRawBufferPointer(start: bytes, count: end), keyDecodingStrategy: keyDecodingStrategy, userInfo: userInfo, maximumDepth: maximumDepth)
        } catch {
            tapeStatus = .failed(error)
            throw error
        }
        tapeStatus = .built
        guard let root = scratch.rootReference else { preconditionFailure("prepare sets the root decoder") }
        return root.takeUnretainedValue()
    }

    /// The tape index of the value at `position` (a byte offset, or a tape index; see
    /// `ReaderPosition`).
    mutating func tapeIndex(_ position: Int) throws(JSONError) -> (JSONDecoderImpl, UInt32) {
        let impl = try tape()
        if let index = ReaderPosition.tapeIndex(position) { return (impl, index) }
        // Entries are in document order and start at distinct offsets: the value at `offset` is
        // the first entry starting there or after (a string's entry starts after its quote).
        let entries = impl.entries
        var low = 0
        var high = impl.scratch.tape.count
        while low < high {
            let mid = (low &+ high) &>> 1
            if Int(entries[mid].start) < position { low = mid &+ 1 } else { high = mid }
        }
        return (impl, UInt32(truncatingIfNeeded: low))
    }

    /// The error for a failure of the stream: the document's first syntax error, from indexing it
    /// (which is what the indexed reader always threw). Should indexing find the document valid,
    /// the stream's own description stands.
    @inline(never)
    mutating func syntaxError(_ failure: Indexer.Failure) -> JSONError {
        do {
            _ = try tape()
        } catch {
            return error
        }
        return Indexer.describe(failure, bytes: bytes, end: end, maximumDepth: maximumDepth)
    }

    /// The error for a reader used after its `read` returned.
    @usableFromInline @inline(never)
    func usedAfterReturn() -> JSONError {
        JSONError(.decoderUsedAfterReturn, offset: nil, "A decoder, container or reader was used after the decode returned.")
    }

    // MARK: Strings with escapes

    /// The decoded bytes of a string with escapes (content `p[0..<count]`, validated), valid
    /// until the next call or the end of the read.
    mutating func unescaped(_ p: UnsafePointer<UInt8>, _ count: Int) -> UnsafeRawBufferPointer {
        StringDecoding.unescape(p, count, into: &text)
        if unescapedBytes.count < text.count {
            unescapedBytes.deallocate()
            unescapedBytes = .allocate(byteCount: max(text.count, 64), alignment: 1)
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: unescapedBytes[..<text.count])
        text.withUnsafeBytes { target.copyMemory(from: $0) }
        return UnsafeRawBufferPointer(target)
    }
}

/// Where a reader's value is: a byte offset into the document (≥ 0), or a tape index (encoded
/// below zero) once the value came from the tape.
@usableFromInline
enum ReaderPosition {
    @inlinable @inline(__always)
    static func tape(_ index: UInt32) -> Int { -1 &- Int(index) }

    @inline(__always)
    static func tapeIndex(_ position: Int) -> UInt32? { position < 0 ? UInt32(truncatingIfNeeded: -1 &- position) : nil }
}
