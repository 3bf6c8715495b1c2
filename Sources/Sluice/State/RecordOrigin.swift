/// Where a record entered a branch: its source topic (a 32-bit FNV-1a hash of the name), partition
/// and offset. Repartition topics carry it in the `sluice.origin` header (16 bytes, big-endian:
/// source, partition, offset), so the task that aggregates a record knows the offset of the
/// original, however many copies a replay made.
///
/// State stores use it to apply each source record once: a store remembers, per key, the last
/// origin offset it applied from each source partition, writes that next to the key's state in
/// the changelog (atomically: one record), and skips a record whose origin offset it has
/// already passed. Source partitions are processed in order and a key always lands in the same
/// task, so "already passed" means "already applied". Aggregates therefore stay exact across
/// crashes, replays and duplicated repartition records, where at-least-once alone would count a
/// replayed record twice.
@usableFromInline
struct RecordOrigin: Hashable, Sendable {
    @usableFromInline var source: UInt32
    @usableFromInline var partition: Int32
    @usableFromInline var offset: Int64

    @usableFromInline
    init(source: UInt32, partition: Int32, offset: Int64) {
        self.source = source
        self.partition = partition
        self.offset = offset
    }

    static let headerKey = "sluice.origin"
    static let headerKeyBytes: [UInt8] = Array(headerKey.utf8)
    static let encodedSize = 16

    /// The hash that names a source topic in an origin.
    static func source(of topic: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in topic.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// Reads an origin written by `write(into:at:)`; nil unless `bytes` is exactly 16 bytes.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == Self.encodedSize else { return nil }
        source = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        partition = Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))
        offset = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self))
    }

    /// Writes the 16 bytes into `bytes` starting at `index` (which must have room).
    func write(into bytes: UnsafeMutableRawBufferPointer, at index: Int = 0) {
        bytes.storeBytes(of: source.bigEndian, toByteOffset: index, as: UInt32.self)
        bytes.storeBytes(of: partition.bigEndian, toByteOffset: index + 4, as: Int32.self)
        bytes.storeBytes(of: offset.bigEndian, toByteOffset: index + 8, as: Int64.self)
    }
}

/// Per key, the last origin offset applied from each source partition (see `RecordOrigin`).
@usableFromInline
struct AppliedOrigins<Key: Hashable> {
    @usableFromInline var byKey: [Key: [RecordOrigin]] = [:]

    @usableFromInline init() {}

    static var headerKey: String { "sluice.applied" }

    /// Notes that `origin` is applied to `key`. Returns false, changing nothing, when `key`
    /// already saw this or a later offset of the same source partition: a replayed copy.
    @inlinable
    mutating func markApplied(_ key: Key, _ origin: RecordOrigin) -> Bool {
        Self.mark(&byKey[key, default: []], origin)
    }

    @inlinable
    static func mark(_ applied: inout [RecordOrigin], _ origin: RecordOrigin) -> Bool {
        for index in applied.indices where applied[index].source == origin.source && applied[index].partition == origin.partition {
            guard origin.offset > applied[index].offset else { return false }
            applied[index].offset = origin.offset
            return true
        }
        applied.append(origin)
        return true
    }

    /// `key`'s entries as a changelog header value (16 bytes each).
    func headerValue(for key: Key) -> [UInt8] { Self.headerValue(of: byKey[key] ?? []) }

    /// Entries as a changelog header value (16 bytes each).
    static func headerValue(of entries: [RecordOrigin]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: entries.count * RecordOrigin.encodedSize)
        bytes.withUnsafeMutableBytes { raw in
            for (i, origin) in entries.enumerated() { origin.write(into: raw, at: i * RecordOrigin.encodedSize) }
        }
        return bytes
    }

    /// Restores `key`'s entries from a changelog header value.
    mutating func restore(_ key: Key, from bytes: [UInt8], store: String) throws {
        byKey[key] = try Self.entries(from: bytes, store: store)
    }

    /// Entries from a changelog header value.
    static func entries(from bytes: [UInt8], store: String) throws -> [RecordOrigin] {
        guard bytes.count % RecordOrigin.encodedSize == 0 else {
            throw StateStoreError.corruptChangelog(store: store, "an applied-origins header of \(bytes.count) bytes is not a multiple of 16")
        }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: RecordOrigin.encodedSize).compactMap {
                RecordOrigin(UnsafeRawBufferPointer(rebasing: raw[$0..<$0 + RecordOrigin.encodedSize]))
            }
        }
    }

    mutating func forget(_ key: Key) { byKey[key] = nil }

    /// A number that grows with every record applied to a key: the sum of its applied offsets.
    /// A pre-aggregating store tags the key's partial aggregates with it (`WindowCombineStore`).
    static func version(of applied: [RecordOrigin]) -> Int64 { applied.reduce(0) { $0 &+ $1.offset } }
}
