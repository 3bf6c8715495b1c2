/// Memory a decode borrows from its decoder's pool: the index, small buffers, and the root
/// decoder object itself.
final class DecoderScratch: PooledScratch {
    let tape = Tape()
    /// The `Decoder` reused by every decode of this scratch (created by the first). It refers
    /// back to the scratch; `discard()` breaks that cycle when the pool lets go.
    var root: JSONDecoderImpl?
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

    deinit { placeholder.deallocate() }

    func discard() { root = nil }
}
