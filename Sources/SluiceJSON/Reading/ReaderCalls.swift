/// What the `JSONReader` family calls from the code it is inlined into: one concrete function per
/// getter and type, so that callers in other modules make one plain call per value, with the
/// stream's fast path inlined inside it and the fallbacks (`…Slow`, the tape) out of line.
///
/// Positions are `ReaderPosition`s; `depth` is the stack index of a container open on the main
/// path (-1 for one that is not); `generation` is the reader's read (see `ReaderState`): every
/// call checks it first.
extension ReaderState {
    // MARK: Members of an object

    @usableFromInline mutating func string(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> String { try member(key, object, depth, generation, as: String.self) }
    @usableFromInline mutating func bool(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Bool { try member(key, object, depth, generation, as: Bool.self) }
    @usableFromInline mutating func int(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Int { try member(key, object, depth, generation, as: Int.self) }
    @usableFromInline mutating func int64(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Int64 { try member(key, object, depth, generation, as: Int64.self) }
    @usableFromInline mutating func uint64(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> UInt64 { try member(key, object, depth, generation, as: UInt64.self) }
    @usableFromInline mutating func double(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Double { try member(key, object, depth, generation, as: Double.self) }
    @usableFromInline mutating func float(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Float { try member(key, object, depth, generation, as: Float.self) }

    /// The member's position and its string bytes (see `StringBytes`).
    @usableFromInline
    mutating func stringBytes(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> (Int, UnsafeRawBufferPointer) {
        try Self.withKey(key) { k throws(JSONError) in
            if let (value, bit) = nextMember(k, object: object, depth: depth, generation: generation) {
                if let (bytes, after) = StringBytes.parse(&self, at: value) {
                    commit(depth: depth, bit: bit, value: value, after: after)
                    return (value, bytes.bytes)
                }
                commit(depth: depth, bit: bit, value: value, after: nil)
            }
            let value = try locateSlow(k, key, object: object, depth: depth, generation: generation)
            return (value, try self.value(at: value, generation: generation, as: StringBytes.self).bytes)
        }
    }

    /// The member, an object, opened: its position and stack index.
    @usableFromInline
    mutating func object(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> (Int, Int) {
        try container(key, object, depth, generation, ASCII.openBrace)
    }

    /// The member, an array, opened: its position and stack index.
    @usableFromInline
    mutating func array(_ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> (Int, Int) {
        try container(key, object, depth, generation, ASCII.openBracket)
    }

    @inline(__always)
    private mutating func container(_ key: StaticString, _ object: Int, _ depth: Int, _ generation: Int, _ bracket: UInt8) throws(JSONError) -> (Int, Int) {
        try Self.withKey(key) { k throws(JSONError) in
            if let (value, bit) = nextMember(k, object: object, depth: depth, generation: generation) {
                commit(depth: depth, bit: bit, value: value, after: nil)
                if let d = openPending(value, bracket) { return (value, d) }
            }
            return try open(at: try locateSlow(k, key, object: object, depth: depth, generation: generation), generation: generation, bracket)
        }
    }

    /// The position of member `name`'s value, or nil when the object lacks it.
    @usableFromInline
    mutating func valueIfPresent(_ name: String, object: Int, depth: Int, generation: Int) throws(JSONError) -> Int? {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        var name = name
        let found: Result<Int?, JSONError> = name.withUTF8 { utf8 in
            let k = UnsafeRawBufferPointer(utf8)
            if let (value, bit) = nextMember(k, object: object, depth: depth, generation: generation) {
                commit(depth: depth, bit: bit, value: value, after: nil)
                return .success(value)
            }
            switch searchAhead(k, object: object, depth: depth, generation: generation) {
            case .ahead(let value): return .success(value)
            case .absent: return .success(nil)
            case .unknown:
                return Result { () throws(JSONError) -> Int? in
                    let (impl, index) = try tapeObject(object)
                    return impl.lookup(k, in: index).map(ReaderPosition.tape)
                }
            }
        }
        return try found.get()
    }

    /// The position of member `name`'s value; throws when the object lacks it.
    @usableFromInline
    mutating func value(_ name: String, object: Int, depth: Int, generation: Int) throws(JSONError) -> Int {
        if let value = try valueIfPresent(name, object: object, depth: depth, generation: generation) { return value }
        let (impl, index) = try tapeObject(object)
        throw impl.memberNotFound(name, in: index)
    }

    /// The object's keys in document order (converted by the key strategy), each once.
    @usableFromInline
    mutating func keys(object: Int, generation: Int) -> [String] {
        guard isCurrent(generation), let (impl, index) = try? tapeObject(object) else { return [] }
        return impl.keys(of: index)
    }

    /// Member `name` through Codable.
    @usableFromInline
    mutating func decode<T: Decodable>(_ type: T.Type, forKey name: String, object: Int, generation: Int) throws -> T {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        let (impl, index) = try tapeObject(object)
        return try impl.decode(type, at: try impl.member(name, in: index))
    }

    // MARK: Values

    @usableFromInline mutating func string(at position: Int, generation: Int) throws(JSONError) -> String { try value(at: position, generation: generation, as: String.self) }
    @usableFromInline mutating func bool(at position: Int, generation: Int) throws(JSONError) -> Bool { try value(at: position, generation: generation, as: Bool.self) }
    @usableFromInline mutating func int(at position: Int, generation: Int) throws(JSONError) -> Int { try value(at: position, generation: generation, as: Int.self) }
    @usableFromInline mutating func int64(at position: Int, generation: Int) throws(JSONError) -> Int64 { try value(at: position, generation: generation, as: Int64.self) }
    @usableFromInline mutating func uint64(at position: Int, generation: Int) throws(JSONError) -> UInt64 { try value(at: position, generation: generation, as: UInt64.self) }
    @usableFromInline mutating func double(at position: Int, generation: Int) throws(JSONError) -> Double { try value(at: position, generation: generation, as: Double.self) }
    @usableFromInline mutating func float(at position: Int, generation: Int) throws(JSONError) -> Float { try value(at: position, generation: generation, as: Float.self) }
    @usableFromInline mutating func stringBytes(at position: Int, generation: Int) throws(JSONError) -> UnsafeRawBufferPointer { try value(at: position, generation: generation, as: StringBytes.self).bytes }

    /// The JSON type of the value at `position` (`.null` once the read is over).
    @usableFromInline
    mutating func kind(at position: Int, generation: Int) -> JSONKind {
        guard isCurrent(generation) else { return .null }
        guard position >= 0 else { return (try? tapeIndex(position)).map { $0.0.kind(at: $0.1) } ?? .null }
        guard position < end else { return .null }
        switch bytes[position] {
        case ASCII.quote: return .string
        case ASCII.openBrace: return .object
        case ASCII.openBracket: return .array
        case 0x74, 0x66: return .bool
        case 0x6E: return .null
        default: return .number
        }
    }

    /// Opens the value at `position`, an object: on the main path when it is the pending value,
    /// otherwise for the tape. Returns its position and stack index.
    @usableFromInline
    mutating func openObject(at position: Int, generation: Int) throws(JSONError) -> (Int, Int) { try open(at: position, generation: generation, ASCII.openBrace) }

    /// Opens the value at `position`, an array; see `openObject(at:generation:)`.
    @usableFromInline
    mutating func openArray(at position: Int, generation: Int) throws(JSONError) -> (Int, Int) { try open(at: position, generation: generation, ASCII.openBracket) }

    @inline(__always)
    private mutating func open(at position: Int, generation: Int, _ bracket: UInt8) throws(JSONError) -> (Int, Int) {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        if let d = openPending(position, bracket) { return (position, d) }
        return try openSlow(at: position, bracket)
    }

    @inline(never)
    private mutating func openSlow(at position: Int, _ bracket: UInt8) throws(JSONError) -> (Int, Int) {
        let (impl, index) = try tapeIndex(position)
        let opened = bracket == ASCII.openBrace ? try impl.openObject(at: index) : try impl.openArray(at: index)
        return (ReaderPosition.tape(opened), -1)
    }

    /// The value at `position` through Codable.
    @usableFromInline
    mutating func decode<T: Decodable>(_ type: T.Type, at position: Int, generation: Int) throws -> T {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        let (impl, index) = try tapeIndex(position)
        return try impl.decode(type, at: index)
    }

    /// The coding path of the value at `position` (empty if the document is not valid JSON).
    @usableFromInline
    mutating func codingPath(at position: Int, generation: Int) -> [any CodingKey] {
        guard isCurrent(generation), let (impl, index) = try? tapeIndex(position) else { return [] }
        return impl.path(to: index)
    }

    /// The error for a string at `position` that the reading type does not accept as a `type`.
    @usableFromInline @inline(never)
    mutating func invalidValue(at position: Int, generation: Int, _ type: Any.Type) -> JSONError {
        guard isCurrent(generation) else { return usedAfterReturn() }
        do {
            let (impl, index) = try tapeIndex(position)
            return impl.invalidValue(at: index, type)
        } catch {
            return error
        }
    }

    // MARK: Arrays

    /// The next element for `cursor`: on the main path while the cursor drives it, over the
    /// tape otherwise. Nil at the end (or when the document turns out invalid: the read then
    /// throws its syntax error).
    @usableFromInline
    mutating func next(_ cursor: inout ElementCursor) -> Int? {
        if cursor.onMainPath {
            switch enterElement(array: cursor.array, depth: cursor.depth, taken: cursor.taken, generation: cursor.generation) {
            case .element(let position):
                cursor.taken &+= 1
                return position
            case .end:
                cursor.onMainPath = false
                return nil
            case .elsewhere:
                return nextSlow(&cursor)
            }
        }
        return nextSlow(&cursor)
    }

    @inline(never)
    private mutating func nextSlow(_ cursor: inout ElementCursor) -> Int? {
        guard isCurrent(cursor.generation) else { return nil }
        if cursor.onMainPath {
            cursor.onMainPath = false
            guard let (impl, index) = try? tapeIndex(cursor.array), impl.kind(at: index) == .array else { return nil }
            var element = index &+ 1
            for _ in 0..<cursor.taken { element = impl.end(of: element) }
            cursor.tapeNext = element
            cursor.tapeEnd = impl.end(of: index)
        }
        guard cursor.tapeNext < cursor.tapeEnd, let impl = try? tape() else { return nil }
        let element = cursor.tapeNext
        cursor.tapeNext = impl.end(of: element)
        return ReaderPosition.tape(element)
    }

    /// Number of elements of the array at `position`, counted on the tape.
    @usableFromInline
    mutating func elementCount(of position: Int, generation: Int) -> Int {
        guard isCurrent(generation), let (impl, index) = try? tapeIndex(position) else { return 0 }
        return impl.elementCount(of: index)
    }

    // MARK: Fallbacks

    /// A member through the stream, or failing that the tape.
    @inline(__always)
    private mutating func member<V: StreamValue>(_ key: StaticString, _ object: Int, _ depth: Int, _ generation: Int, as _: V.Type) throws(JSONError) -> V {
        try Self.withKey(key) { k throws(JSONError) in
            if let (value, bit) = nextMember(k, object: object, depth: depth, generation: generation) {
                if let (parsed, after) = V.parse(&self, at: value) {
                    commit(depth: depth, bit: bit, value: value, after: after)
                    return parsed
                }
                commit(depth: depth, bit: bit, value: value, after: nil)
            }
            return try memberSlow(k, key, object, depth, generation, as: V.self)
        }
    }

    @inline(never)
    private mutating func memberSlow<V: StreamValue>(_ k: UnsafeRawBufferPointer, _ key: StaticString, _ object: Int, _ depth: Int, _ generation: Int, as _: V.Type) throws(JSONError) -> V {
        try value(at: try locateSlow(k, key, object: object, depth: depth, generation: generation), generation: generation, as: V.self)
    }

    /// The value at `position`: parsed in place (consuming it if pending), or from the tape.
    @inline(__always)
    mutating func value<V: StreamValue>(at position: Int, generation: Int, as _: V.Type) throws(JSONError) -> V {
        if position >= 0 && isCurrent(generation), let (value, after) = V.parse(&self, at: position) {
            consumed(position, after: after)
            return value
        }
        return try valueSlow(at: position, generation: generation, as: V.self)
    }

    @inline(never)
    private mutating func valueSlow<V: StreamValue>(at position: Int, generation: Int, as _: V.Type) throws(JSONError) -> V {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        let (impl, index) = try tapeIndex(position)
        return try V.read(impl, at: index)
    }

    /// The position of member `key` when it is not next on the main path: ahead of the cursor,
    /// or from the tape (which throws the reader's error when the member is missing).
    @inline(never)
    mutating func locateSlow(_ k: UnsafeRawBufferPointer, _ key: StaticString, object: Int, depth: Int, generation: Int) throws(JSONError) -> Int {
        guard isCurrent(generation) else { throw usedAfterReturn() }
        if case .ahead(let value) = searchAhead(k, object: object, depth: depth, generation: generation) { return value }
        let (impl, index) = try tapeObject(object)
        return ReaderPosition.tape(try impl.member(key, in: index))
    }

    /// The object at `position` on the tape, ready for lookups.
    mutating func tapeObject(_ position: Int) throws(JSONError) -> (JSONDecoderImpl, UInt32) {
        let (impl, index) = try tapeIndex(position)
        return (impl, try impl.openObject(at: index))
    }

    /// `key`'s UTF-8 bytes. (A literal of one Unicode scalar may be stored without a pointer:
    /// its bytes are then encoded on the stack.)
    @inline(__always)
    static func withKey<R>(_ key: StaticString, _ body: (UnsafeRawBufferPointer) throws(JSONError) -> R) throws(JSONError) -> R {
        if _fastPath(key.hasPointerRepresentation) { return try body(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) }
        let result: Result<R, JSONError> = key.withUTF8Buffer { utf8 in Result { () throws(JSONError) -> R in try body(UnsafeRawBufferPointer(utf8)) } }
        return try result.get()
    }
}

/// Where an array iteration is (see `ReaderState.next(_:)`).
@usableFromInline
struct ElementCursor {
    @usableFromInline let array: Int
    @usableFromInline let depth: Int
    @usableFromInline let generation: Int
    /// Elements handed out on the main path.
    @usableFromInline var taken: UInt32 = 0
    /// Whether the main path may still drive the iteration (the first `next` finds out; the
    /// tape cursor is set up when it cannot).
    @usableFromInline var onMainPath = true
    @usableFromInline var tapeNext: UInt32 = 0
    @usableFromInline var tapeEnd: UInt32 = 0

    @inlinable
    init(array: Int, depth: Int, generation: Int) {
        self.array = array
        self.depth = depth
        self.generation = generation
    }
}
