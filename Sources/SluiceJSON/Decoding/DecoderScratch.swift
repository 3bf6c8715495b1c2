/// Memory a decode borrows from its decoder's pool: the index, small buffers, and the root
/// decoder object itself.
final class DecoderScratch: PooledScratch {
    let tape = Tape()
    /// `tape`, for use without reference counting (this object keeps it).
    let tapeReference: Unmanaged<Tape>
    /// The `Decoder` reused by every decode of this scratch (created by the first). It refers
    /// back to the scratch; `discard()` breaks that cycle when the pool lets go.
    /// (Set through `setRoot`; writable only for `isKnownUniquelyReferenced`.)
    var root: JSONDecoderImpl?
    /// `root`, for use without reference counting while the scratch holds it.
    private(set) var rootReference: Unmanaged<JSONDecoderImpl>?

    func setRoot(_ decoder: JSONDecoderImpl?) {
        root = decoder
        rootReference = decoder.map { Unmanaged.passUnretained($0) }
    }
    /// Something for `bytes` to point at before any document (never read).
    let placeholder = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    /// The last unescaped string's bytes.
    var text: [UInt8] = []
    /// Whether the input bytes may be read: true only while `decode(_:from:)` runs. A decoder
    /// or container kept past that point finds it false and throws instead of reading freed
    /// memory (its scratch is then never reused, so the tape it sees stays intact).
    var live = false
    /// Types seen lately, and how `decode(_:at:)` reads them.
    let types = TypeCache<SpecialType>()
    /// The snake_case spellings of names looked up under `convertFromSnakeCase`.
    let snakeKeys = SnakeKeyCache()

    /// Memory for `unescaped(_:_:)`, grown as needed.
    private var unescapedBytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init() {
        tapeReference = Unmanaged.passUnretained(tape)
    }

    deinit {
        placeholder.deallocate()
        unescapedBytes.deallocate()
    }

    /// The decoded bytes of a string with escapes (content `p[0..<count]`, validated by the
    /// indexer), in memory that stays valid until the next call or the scratch goes away.
    func unescaped(_ p: UnsafePointer<UInt8>, _ count: Int) -> UnsafeRawBufferPointer {
        StringDecoding.unescape(p, count, into: &text)
        if unescapedBytes.count < text.count {
            unescapedBytes.deallocate()
            unescapedBytes = .allocate(byteCount: max(text.count, 64), alignment: 1)
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: unescapedBytes[..<text.count])
        text.withUnsafeBytes { target.copyMemory(from: $0) }
        return UnsafeRawBufferPointer(target)
    }

    func discard() { setRoot(nil) }

    /// Indexes `bytes` into the tape and points the root decoder at it, ready to decode from tape
    /// index 0; `live` is true afterwards.
    func prepare(
        _ bytes: UnsafeRawBufferPointer, keyDecodingStrategy: FastJSONDecoder.KeyDecodingStrategy, userInfo: [CodingUserInfoKey: any Sendable], maximumDepth: Int
    ) throws(JSONError) {
        try Tape.index(tapeReference, bytes, maximumDepth: maximumDepth, foldKeys: keyDecodingStrategy == .convertFromSnakeCase)
        if let root = rootReference {
            root._withUnsafeGuaranteedRef { $0.begin(bytes, keyDecodingStrategy: keyDecodingStrategy, userInfo: userInfo) }
        } else {
            setRoot(JSONDecoderImpl(scratch: self, bytes: bytes, options: FastJSONDecoder.Options(keyDecodingStrategy: keyDecodingStrategy, userInfo: userInfo)))
        }
        live = true
    }
}
