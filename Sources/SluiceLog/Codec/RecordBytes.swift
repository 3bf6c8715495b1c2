/// The growable byte buffer under a `RecordBatchBuilder`: raw memory that a record is written
/// into with plain stores after one capacity check.
///
/// Why not `[UInt8]`: appending a record through an array (`append(addingCapacity:)` and its
/// closure, or `append(contentsOf:)`) cost about 400 instructions per record on the
/// order-events benchmark, several times the varints and copies themselves.
///
/// What is guaranteed: value semantics. Copies share the memory until one of them changes
/// (copy-on-write, checked once per change), so a builder can be copied, sent to another
/// thread or kept in a pool like any value. Bytes past `count` are never read.
struct RecordBytes: @unchecked Sendable {  // the shared memory is only written while uniquely referenced
    /// Owns the memory; absent while nothing was reserved, so an empty builder allocates nothing.
    private final class Owner {
        let base: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { base.deallocate() }
    }

    private var owner: Owner?
    /// `owner.base` (nil without an owner), kept here so that writes need no class access.
    private var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private(set) var count = 0

    init(capacity: Int = 0) {
        if capacity > 0 { reallocate(capacity: capacity) }
    }

    /// Appends `byteCount` bytes that `write` stores at the pointer it is given (exactly that
    /// many, all of them).
    @inline(__always)
    mutating func append(byteCount: Int, _ write: (UnsafeMutableRawPointer) -> Void) {
        if byteCount > capacity &- count {
            reallocate(capacity: Swift.max(count &+ byteCount, capacity &* 2, 256))
        } else if !isKnownUniquelyReferenced(&owner) {
            reallocate(capacity: capacity)
        }
        // Here `base` is set: the capacity is at least `byteCount`, and no owner means none.
        write(base.unsafelyUnwrapped + count)
        count &+= byteCount
    }

    /// Moves to memory of its own, of at least `capacity` bytes, keeping the contents.
    @inline(never)
    private mutating func reallocate(capacity wanted: Int) {
        let fresh = Owner(capacity: Swift.max(wanted, count))
        if let base, count > 0 { fresh.base.copyMemory(from: base, byteCount: count) }
        owner = fresh
        base = fresh.base
        capacity = fresh.capacity
    }

    /// Empties the buffer, keeping its memory (when a copy shares it, the next append moves
    /// to memory of its own).
    mutating func removeAll() { count = 0 }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the contents.
    var array: [UInt8] { withUnsafeBytes { Array($0) } }
}
