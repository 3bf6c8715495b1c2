/// The `Encoder`: writes JSON straight into one byte buffer as Codable calls arrive, with no
/// intermediate tree.
///
/// Streaming means containers must be used in nesting order: once a container writes again,
/// the containers nested in it are closed, and writing into a closed one throws
/// `JSONError.Kind.invalidContainerUse`. Synthesized `encode(to:)` always nests this way, and so
/// do the usual hand-written ones (`super.encode(to: container.superEncoder())` included). Other
/// differences from Foundation: a key encoded twice appears twice (Foundation keeps the last).
///
/// One instance is reused across encodes from its encoder's pool; not thread-safe.
final class JSONEncoderImpl: Encoder, PooledScratch {
    /// The state, behind a pointer: stored properties of a class are checked for exclusive
    /// access at run time on every mutation, which would cost more than the writes themselves.
    let state: UnsafeMutablePointer<EncoderState>
    var options = FastJSONEncoder.Options(keyEncodingStrategy: .useDefaultKeys, outputFormatting: [], userInfo: [:])
    /// Which types are `[String: some Encodable]` (see `Frame.rawKeys`).
    let dictionaries = TypeCache<StringKeyedDictionaryEncodable>()

    init() {
        state = .allocate(capacity: 1)
        state.initialize(to: EncoderState())
    }

    func discard() {}

    deinit {
        state.pointee.out.deallocate()
        state.pointee.frames.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Encodes `value` as the whole document into `state.pointee.out`.
    func encodeDocument<T: Encodable>(_ value: T, options: FastJSONEncoder.Options) throws {
        self.options = options
        state.pointee.reset(options)
        defer {
            // Containers kept past this point find no frames and throw instead of writing.
            state.pointee.frames.removeAll()
        }
        keepKeysIfDictionary(T.self)
        try value.encode(to: self)
        state.pointee.closeFrames(above: 0)
        if let error = state.pointee.deferredError { throw error }
        guard !state.pointee.frames[0].awaitingValue else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
    }

    // MARK: Encoder

    var codingPath: [any CodingKey] { state.pointee.codingPath(state.pointee.path.count) }

    var userInfo: [CodingUserInfoKey: Any] { options.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let owner = state.pointee.valueDepth
        let (depth, serial) = state.pointee.openContainer(.object, owner: owner, pathBase: state.pointee.path.count)
        return KeyedEncodingContainer(KeyedEncoding<Key>(impl: self, depth: depth, serial: serial, pathCount: state.pointee.path.count))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let owner = state.pointee.valueDepth
        let (depth, serial) = state.pointee.openContainer(.array, owner: owner, pathBase: state.pointee.path.count)
        return UnkeyedEncoding(impl: self, depth: depth, serial: serial, pathCount: state.pointee.path.count)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        let owner = state.pointee.valueDepth
        return SingleValueEncoding(impl: self, owner: owner, serial: owner < state.pointee.frames.count ? state.pointee.frames[owner].serial : .max)
    }

    // MARK: Nested values

    /// Encodes a nested value into the slot just begun in frame `owner`, through `encode(to:)`;
    /// `element` extends the coding path (nil: a single value container's own slot). User code
    /// runs in between, so the state is touched in short accesses around it.
    func encodeNested<T: Encodable>(_ value: T, owner: Int, at element: PathElement?) throws {
        state.pointee.frames[owner].awaitingValue = true
        let savedDepth = state.pointee.valueDepth
        let savedPath = state.pointee.path.count
        state.pointee.valueDepth = owner
        if let element { state.pointee.path.append(element) }
        defer { state.pointee.valueDepth = savedDepth }
        keepKeysIfDictionary(T.self)
        try value.encode(to: self)
        state.pointee.finishNested(owner: owner, pathCount: savedPath)
    }

    /// Under `convertToSnakeCase`, a `[String: V]` about to encode itself gets its keys written
    /// as they are (as Foundation does).
    @inline(__always)
    private func keepKeysIfDictionary(_ type: Any.Type) {
        state.pointee.rawKeysForNextContainer = state.pointee.convertToSnakeCase && dictionaries.answer(for: type).isStringKeyed
    }

    /// Records a misuse seen by a method that cannot throw.
    func record(_ error: any Error) {
        if state.pointee.deferredError == nil, let error = error as? EncodingError { state.pointee.deferredError = error }
    }
}

/// Whether a type is `[String: some Encodable]`, for `JSONEncoderImpl.keepKeysIfDictionary`.
struct StringKeyedDictionaryEncodable: TypeClassification {
    let isStringKeyed: Bool
    init(_ type: Any.Type) { isStringKeyed = type is any StringKeyedEncodableDictionary.Type }
}

/// `[String: V]`, recognized by a dynamic cast.
protocol StringKeyedEncodableDictionary {}

extension Dictionary: StringKeyedEncodableDictionary where Key == String, Value: Encodable {}
