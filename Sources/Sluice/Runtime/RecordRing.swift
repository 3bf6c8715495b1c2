/// Records of one (topic, partition) kept by offset for the tasks of a stream thread: a
/// direct-mapped ring (offset `o` in slot `o & mask`) of records each branch borrows in turn.
/// The storage under `DecodedRecordCache` (decoded records) and `SharedOutputSlot` (what a
/// shared stream produced).
///
/// Invariants: a slot is empty, holds a record, or has lent it out (to a branch's operators,
/// for the length of one call); `offsets[i]` names the record a slot holds, -1 when it is
/// complete for no offset. The records live in memory the ring allocates and moves them in
/// and out of bitwise: lending a record costs neither a copy nor reference counting, and
/// the code stays free of `Optional` value witnesses and exclusivity checks on the hot path.
///
/// Single owner (the stream thread): not thread-safe.
@usableFromInline
final class RecordRing<Key, Value> {
    @usableFromInline static var empty: UInt8 { 0 }
    @usableFromInline static var holding: UInt8 { 1 }
    @usableFromInline static var lent: UInt8 { 2 }

    @usableFromInline let offsets: UnsafeMutablePointer<Int64>
    @usableFromInline let states: UnsafeMutablePointer<UInt8>
    /// Initialized exactly where `states` is `holding`.
    @usableFromInline let records: UnsafeMutablePointer<Record<Key, Value>>
    @usableFromInline let mask: Int64

    /// - Parameter capacity: slots; a power of two.
    init(capacity: Int) {
        offsets = .allocate(capacity: capacity)
        offsets.initialize(repeating: -1, count: capacity)
        states = .allocate(capacity: capacity)
        states.initialize(repeating: Self.empty, count: capacity)
        records = .allocate(capacity: capacity)
        mask = Int64(capacity - 1)
    }

    @inlinable
    func slot(for offset: Int64) -> Int { Int(truncatingIfNeeded: offset & mask) }

    /// Whether slot `i` is complete for `offset`.
    @inlinable
    func holds(_ offset: Int64, at i: Int) -> Bool { offsets[i] == offset }

    /// Empties slot `i` for a new offset; false (and nothing changed) while its record is lent.
    @inlinable
    func clear(at i: Int) -> Bool {
        if states[i] == Self.lent { return false }
        if states[i] == Self.holding { (records + i).deinitialize(count: 1) }
        states[i] = Self.empty
        offsets[i] = -1
        return true
    }

    /// Puts a record, given as its parts, into the emptied slot `i` (not yet complete for any
    /// offset). The record is made in place: no temporary `Record` to copy and destroy (see
    /// `Emit`); parts the caller still needs are copied, fresh ones moved in.
    @inlinable
    func store(_ key: consuming Key?, _ value: consuming Value, _ timestamp: Int64, at i: Int) {
        (records + i).initialize(to: Record(key: key, value: value, timestamp: timestamp))
        states[i] = Self.holding
    }

    /// Marks slot `i` complete for `offset`.
    @inlinable
    func mark(_ offset: Int64, at i: Int) { offsets[i] = offset }

    /// Lends slot `i`'s record to `body` and takes it back, even when `body` throws.
    /// - Returns: false (without calling `body`) when the slot holds no record, or lent it
    ///   to an outer call on this thread already.
    @inlinable
    func lend(at i: Int, _ body: Emit<Key, Value>) throws -> Bool {
        guard states[i] == Self.holding else { return false }
        states[i] = Self.lent
        let record = (records + i).move()
        do {
            try body(record.key, record.value, record.timestamp)
        } catch {
            (records + i).initialize(to: consume record)
            states[i] = Self.holding
            throw error
        }
        (records + i).initialize(to: consume record)
        states[i] = Self.holding
        return true
    }

    deinit {
        for i in 0...Int(mask) where states[i] == Self.holding { (records + i).deinitialize(count: 1) }
        records.deallocate()
        states.deallocate()
        offsets.deallocate()
    }
}
