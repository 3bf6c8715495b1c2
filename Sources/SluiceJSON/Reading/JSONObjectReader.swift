/// An object of a document being read; see ``JSONReader``.
///
/// The typed getters find the key and convert its value in one call; a missing key throws
/// ``JSONError/Kind/keyNotFound``, `null` throws ``JSONError/Kind/valueNotFound`` (use
/// ``valueIfPresent(_:)`` for optional members). Duplicate keys: the first occurrence wins.
/// Getters called in the order the document has its members cost least (see ``JSONReader``).
///
/// The typed getters take `StaticString` keys: a literal's bytes are compared in place, with no
/// `String` to unpack; ``value(_:)`` takes keys computed at run time.
public struct JSONObjectReader {
    /// The read's state (never freed; see `ReaderState`).
    @usableFromInline let state: UnsafeMutablePointer<ReaderState>
    /// See `ReaderPosition`.
    @usableFromInline let position: Int
    /// Stack index on the main path (see `ReaderState`); -1 when the object is read from the tape.
    @usableFromInline let depth: Int
    /// The read this reader belongs to.
    @usableFromInline let generation: Int

    @inlinable
    init(state: UnsafeMutablePointer<ReaderState>, position: Int, depth: Int, generation: Int) {
        self.state = state
        self.position = position
        self.depth = depth
        self.generation = generation
    }

    /// The member `key`.
    public func value(_ key: String) throws(JSONError) -> JSONReader {
        JSONReader(state: state, position: try state.pointee.value(key, object: position, depth: depth, generation: generation), generation: generation)
    }

    /// The member `key`, or nil when the object lacks it (a `null` member is a reader whose
    /// `isNull` is true).
    public func valueIfPresent(_ key: String) throws(JSONError) -> JSONReader? {
        try state.pointee.valueIfPresent(key, object: position, depth: depth, generation: generation).map { JSONReader(state: state, position: $0, generation: generation) }
    }

    public func contains(_ key: String) -> Bool { ((try? state.pointee.valueIfPresent(key, object: position, depth: depth, generation: generation)) ?? nil) != nil }

    /// The keys in document order (converted by the key strategy), each once.
    public var keys: [String] { state.pointee.keys(object: position, generation: generation) }

    // Each typed getter tries the compact member step inline (see `ReaderState.compactMember`:
    // with a literal key it compiles to a few compares) and parses the value with one call;
    // anything unusual takes the general route, one call too, which finds the member again.

    /// The compact member step for `key` with `parse` on its value; nil, having consumed
    /// nothing, when the member or its value is unusual (the getter then takes the general
    /// route). `parse` returns the value and the position after it, or a negative position.
    @inlinable @inline(always)
    func compact<T>(_ key: StaticString, _ parse: (inout ReaderState, Int) -> (T, Int)) -> T? {
        guard let (value, bit) = state.pointee.compactMember(key, object: position, depth: depth, generation: generation) else { return nil }
        let (parsed, after) = parse(&state.pointee, value)
        guard after >= 0 else { return nil }
        state.pointee.commitCompact(depth: depth, bit: bit, after: after)
        return parsed
    }

    @inlinable @inline(always) public func string(_ key: StaticString) throws(JSONError) -> String {
        if let parsed = compact(key, { $0.valueString(at: $1) }) { return parsed }
        return try state.pointee.string(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func bool(_ key: StaticString) throws(JSONError) -> Bool {
        if let parsed = compact(key, { $0.parseBool(at: $1) }) { return parsed }
        return try state.pointee.bool(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func int(_ key: StaticString) throws(JSONError) -> Int {
        if let parsed = compact(key, { $0.valueInt(at: $1) }) { return parsed }
        return try state.pointee.int(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func int64(_ key: StaticString) throws(JSONError) -> Int64 {
        if let parsed = compact(key, { $0.valueInt64(at: $1) }) { return parsed }
        return try state.pointee.int64(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func uint64(_ key: StaticString) throws(JSONError) -> UInt64 {
        if let parsed = compact(key, { $0.parseUInt64(at: $1) }) { return parsed }
        return try state.pointee.uint64(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func double(_ key: StaticString) throws(JSONError) -> Double {
        if let parsed = compact(key, { $0.valueDouble(at: $1) }) { return parsed }
        return try state.pointee.double(key, object: position, depth: depth, generation: generation)
    }

    @inlinable @inline(always) public func float(_ key: StaticString) throws(JSONError) -> Float {
        if let parsed = compact(key, { $0.parseFloat(at: $1) }) { return parsed }
        return try state.pointee.float(key, object: position, depth: depth, generation: generation)
    }

    /// The member `key`, a string, turned into a `T` by `match` straight from its UTF-8 bytes
    /// (escapes decoded), without making a `String`: the cheap way to read a value from a known
    /// set, such as an enum's raw values. The bytes are valid only during the call. When `match`
    /// returns nil, throws ``JSONError/Kind/invalidValue`` naming the key and quoting the value.
    @inlinable @inline(always)
    public func string<T>(_ key: StaticString, matching match: (UnsafeRawBufferPointer) -> T?) throws(JSONError) -> T {
        let compactBytes = compact(key) { state, member in
            let (parsed, after) = state.valueStringBytes(at: member)
            return ((member, parsed), after)
        }
        let (value, bytes): (Int, UnsafeRawBufferPointer)
        if let compactBytes {
            (value, bytes) = compactBytes
        } else {
            (value, bytes) = try state.pointee.stringBytes(key, object: position, depth: depth, generation: generation)
        }
        guard let matched = match(bytes) else { throw state.pointee.invalidValue(at: value, generation: generation, T.self) }
        return matched
    }

    @inlinable @inline(always)
    public func object(_ key: StaticString) throws(JSONError) -> JSONObjectReader {
        if let (value, bit) = state.pointee.compactMember(key, object: position, depth: self.depth, generation: generation) {
            let opened = state.pointee.openCompact(at: value, depth: self.depth, bit: bit, bracket: 0x7B)
            if opened >= 0 { return JSONObjectReader(state: state, position: value, depth: opened, generation: generation) }
        }
        let (object, depth) = try state.pointee.object(key, object: position, depth: self.depth, generation: generation)
        return JSONObjectReader(state: state, position: object, depth: depth, generation: generation)
    }

    @inlinable @inline(always)
    public func array(_ key: StaticString) throws(JSONError) -> JSONArrayReader {
        if let (value, bit) = state.pointee.compactMember(key, object: position, depth: self.depth, generation: generation) {
            let opened = state.pointee.openCompact(at: value, depth: self.depth, bit: bit, bracket: 0x5B)
            if opened >= 0 { return JSONArrayReader(state: state, position: value, depth: opened, generation: generation) }
        }
        let (array, depth) = try state.pointee.array(key, object: position, depth: self.depth, generation: generation)
        return JSONArrayReader(state: state, position: array, depth: depth, generation: generation)
    }

    /// The member `key` through Codable.
    public func decode<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T {
        try state.pointee.decode(type, forKey: key, object: position, generation: generation)
    }

    /// The coding path of the object.
    public var codingPath: [any CodingKey] { state.pointee.codingPath(at: position, generation: generation) }
}
