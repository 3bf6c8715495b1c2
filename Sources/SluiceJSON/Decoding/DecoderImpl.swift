/// The `Decoder` handed to `init(from:)`: one per scratch, reused for every nested value and
/// for every decode that borrows the scratch.
///
/// It reads the tape and the input in place. Containers are small structs holding this object
/// and a tape index; nothing is copied out of the input until a Swift value asks for it, and
/// no coding path is kept while decoding succeeds (`path(to:)` rebuilds one from the tape when
/// an error or a caller needs it).
@usableFromInline
final class JSONDecoderImpl: Decoder {
    let scratch: DecoderScratch
    /// `scratch.snakeKeys`, used without a retain (the scratch, which this object keeps, keeps
    /// it).
    let snakeKeys: Unmanaged<SnakeKeyCache>
    // The document, set by `begin` (copied by super decoders).
    private(set) var entries: UnsafeMutablePointer<TapeEntry>
    private(set) var bytes: UnsafePointer<UInt8>
    private(set) var byteCount: Int
    /// Tape index of the spare `null` (see `Tape`).
    private(set) var nullIndex: UInt32
    private(set) var convertFromSnakeCase: Bool
    private(set) var options: FastJSONDecoder.Options
    /// The value that `container(keyedBy:)`, `unkeyedContainer()` and `singleValueContainer()`
    /// open: set around each nested `init(from:)`.
    var value: UInt32 = 0
    /// The decoder a super decoder came from, kept referenced so that a super decoder that
    /// outlives the decode is noticed when it ends.
    let parent: JSONDecoderImpl?
    /// The coding path when `value` is the spare `null` (a super decoder for an absent key).
    let detachedPath: [any CodingKey]

    /// The root decoder of `scratch`, for the document just indexed into it.
    init(scratch: DecoderScratch, bytes: UnsafeRawBufferPointer, options: FastJSONDecoder.Options) {
        self.scratch = scratch
        self.snakeKeys = Unmanaged.passUnretained(scratch.snakeKeys)
        self.entries = scratch.tape.entries
        self.bytes = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(scratch.placeholder)
        self.byteCount = bytes.count
        self.nullIndex = scratch.tape.nullIndex
        self.convertFromSnakeCase = options.keyDecodingStrategy == .convertFromSnakeCase
        self.options = options
        self.parent = nil
        self.detachedPath = []
    }

    /// Points a reused root decoder at the document just indexed into its scratch. (The
    /// settings come apart so that the usual empty `userInfo` costs no dictionary copy.)
    func begin(_ bytes: UnsafeRawBufferPointer, keyDecodingStrategy: FastJSONDecoder.KeyDecodingStrategy, userInfo: [CodingUserInfoKey: any Sendable]) {
        entries = scratch.tape.entries
        self.bytes = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(scratch.placeholder)
        byteCount = bytes.count
        nullIndex = scratch.tape.nullIndex
        convertFromSnakeCase = keyDecodingStrategy == .convertFromSnakeCase
        options.keyDecodingStrategy = keyDecodingStrategy
        if !(userInfo.isEmpty && options.userInfo.isEmpty) { options.userInfo = userInfo }
        value = 0
    }

    init(parent: JSONDecoderImpl, value: UInt32, detachedPath: [any CodingKey]) {
        self.scratch = parent.scratch
        self.snakeKeys = Unmanaged.passUnretained(parent.scratch.snakeKeys)
        self.entries = parent.entries
        self.bytes = parent.bytes
        self.byteCount = parent.byteCount
        self.nullIndex = parent.nullIndex
        self.convertFromSnakeCase = parent.convertFromSnakeCase
        self.options = parent.options
        self.value = value
        self.parent = parent
        self.detachedPath = detachedPath
    }

    @inline(__always)
    func entry(_ index: UInt32) -> TapeEntry { entries[Int(index)] }

    // MARK: Decoder

    // (`@usableFromInline` because the class is: the reader types inline calls to it.)
    @usableFromInline var codingPath: [any CodingKey] { path(to: value) }

    @usableFromInline var userInfo: [CodingUserInfoKey: Any] { options.userInfo }

    @usableFromInline
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try keyedContainer(type, at: value)
    }

    @usableFromInline
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try unkeyedContainer(at: value)
    }

    @usableFromInline
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(impl: self, value: value)
    }

    // MARK: Opening containers

    func keyedContainer<Key: CodingKey>(_: Key.Type, at index: UInt32) throws -> KeyedDecodingContainer<Key> {
        let object = entry(index)
        guard object.kind == .object, scratch.live else { throw containerMismatch([String: Any].self, at: index) }
        if object.flags & TapeFlags.needsKeyCheck != 0 { checkKeys(of: index) }
        return KeyedDecodingContainer(KeyedContainer<Key>(impl: self, object: index))
    }

    func unkeyedContainer(at index: UInt32) throws -> any UnkeyedDecodingContainer {
        guard entry(index).kind == .array, scratch.live else { throw containerMismatch([Any].self, at: index) }
        return UnkeyedContainer(impl: self, array: index)
    }

    /// A decoder for the value at `index` (nil: absent, decoded as `null` at `path`).
    func superDecoder(at index: UInt32?, path: @autoclosure () -> [any CodingKey]) -> JSONDecoderImpl {
        guard let index else { return JSONDecoderImpl(parent: self, value: nullIndex, detachedPath: path()) }
        return JSONDecoderImpl(parent: self, value: index, detachedPath: [])
    }

    // MARK: Values

    /// The value at `index` as `T`: through `T.init(from:)` with this decoder pointed at it,
    /// or directly for arrays and string-keyed dictionaries (see `SpecialType`).
    @inline(__always)
    func decode<T: Decodable>(_ type: T.Type, at index: UInt32) throws -> T {
        switch scratch.types.answer(for: type) {
        case .none:
            let saved = value
            value = index
            defer { value = saved }
            return try T(from: self)
        case .array(let array):
            return try array.decodeJSONArray(type, from: self, at: index)
        case .dictionary(let dictionary):
            return try dictionary.decodeJSONObject(type, from: self, at: index)
        }
    }

    /// Reads a primitive, turning a `Mismatch` into the `DecodingError` Codable users expect.
    @inline(__always)
    func read<T: JSONPrimitive>(_ type: T.Type, at index: UInt32) throws -> T {
        do {
            return try T.read(from: self, at: index)
        } catch {
            throw failure(error, type, at: index)
        }
    }

    /// `read(_:at:)` for a keyed container's member: errors name `key` as Foundation's do.
    @inline(__always)
    func read<T: JSONPrimitive, Key: CodingKey>(_ type: T.Type, at index: UInt32, key: Key) throws -> T {
        do {
            return try T.read(from: self, at: index)
        } catch {
            throw failure(error, type, at: index, key: key)
        }
    }

    @inline(__always)
    func bool(at index: UInt32) throws(Mismatch) -> Bool {
        switch entry(index).kind {
        case .trueLiteral: return true
        case .falseLiteral: return false
        case .null: throw .null
        case let kind: throw .type(kind)
        }
    }

    @inline(__always)
    func string(at index: UInt32) throws(Mismatch) -> String {
        let e = entry(index)
        guard e.kind == .string else { throw e.kind == .null ? .null : .type(e.kind) }
        guard scratch.live else { throw .usedAfterReturn }
        let p = bytes + Int(e.start)
        if e.flags & TapeFlags.escaped == 0 { return StringDecoding.plain(p, Int(e.length)) }
        return StringDecoding.escaped(p, Int(e.length), buffer: &scratch.text)
    }

    /// The number at `index`: its literal, the literal's length, how many bytes may be read
    /// from its start (for word-at-a-time parsing), and whether it is an integer literal.
    @inline(__always)
    func number(at index: UInt32) throws(Mismatch) -> (UnsafePointer<UInt8>, Int, readable: Int, isInteger: Bool) {
        let e = entry(index)
        guard e.kind == .number else { throw e.kind == .null ? .null : .type(e.kind) }
        guard scratch.live else { throw .usedAfterReturn }
        return (bytes + Int(e.start), Int(e.length), byteCount - Int(e.start), e.flags & TapeFlags.integer != 0)
    }

    @inline(__always)
    func integer<T: FixedWidthInteger>(_: T.Type, at index: UInt32) throws(Mismatch) -> T {
        let (p, count, readable, isInteger) = try number(at: index)
        let parsed = isInteger ? NumberParsing.integer(p, count, readable: readable, as: T.self) : NumberParsing.exactInteger(p, count, as: T.self)
        guard let parsed else { throw .notRepresentable }
        return parsed
    }

    @inline(__always)
    func double(at index: UInt32) throws(Mismatch) -> Double {
        let (p, count, readable, _) = try number(at: index)
        guard let parsed = NumberParsing.double(p, count, readable: readable) else { throw .notRepresentable }
        return parsed
    }

    @inline(__always)
    func float(at index: UInt32) throws(Mismatch) -> Float {
        let (p, count, readable, _) = try number(at: index)
        guard let parsed = NumberParsing.float(p, count, readable: readable) else { throw .notRepresentable }
        return parsed
    }

    /// The key at tape index `index` as a `String`, converted from snake case if the strategy
    /// says so. Empty when the input is gone.
    func keyName(_ index: UInt32, converted: Bool) -> String {
        guard let name = try? string(at: index) else { return "" }
        return converted && convertFromSnakeCase ? SnakeCase.fromSnakeCase(name) : name
    }
}

/// Why a value could not be read as the type asked for; containers turn it into a
/// `DecodingError` (see `failure(_:_:at:key:)`).
enum Mismatch: Error {
    case type(TapeKind)
    case null
    case notRepresentable
    case usedAfterReturn
}
