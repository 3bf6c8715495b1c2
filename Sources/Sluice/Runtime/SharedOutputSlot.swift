/// What a `SharedStream` produced lately for the records of one (topic, partition), kept by
/// offset so that every branch of a stream thread that starts from the shared stream reuses
/// it: the first branch to reach an offset runs the shared operators, the others borrow the
/// outputs (`DecodedRecordCache` does the same for decoding).
///
/// A direct-mapped ring, like `DecodedRecordSlot`: offset `o` lives in entry `o & mask`, and
/// the entry is reused when a later offset maps to it. Errors are not kept: a record the shared
/// operators fail on is run again by each branch, so each applies its own error policy.
///
/// Single owner (the stream thread); the memory behind pointers keeps the hot path free of
/// exclusivity checks and generic copies.
@usableFromInline
final class SharedOutputSlot<Key, Value> {
    @usableFromInline
    struct Entry {
        /// The offset the outputs were produced from; -1 while none are (or they failed).
        @usableFromInline var offset: Int64 = -1
        /// How many records the shared operators produced (0: filtered out).
        @usableFromInline var count = 0
        /// The first output, moved out while a branch borrows it.
        @usableFromInline var first: Record<Key, Value>?
        /// The outputs after the first (a `flatMap` in the shared operators); usually empty.
        @usableFromInline var rest: [Record<Key, Value>] = []

        @inlinable init() {}

        @inlinable mutating func reset() {
            offset = -1
            count = 0
            first = nil
            if !rest.isEmpty { rest.removeAll() }
        }

        @inlinable mutating func append(_ record: Record<Key, Value>) {
            if count == 0 { first = record } else { rest.append(record) }
            count += 1
        }
    }

    @usableFromInline let entries: UnsafeMutablePointer<Entry>
    @usableFromInline let mask: Int64

    /// - Parameter capacity: entries; a power of two.
    init(capacity: Int) {
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: Entry(), count: capacity)
        mask = Int64(capacity - 1)
    }

    @inlinable
    func entry(at offset: Int64) -> UnsafeMutablePointer<Entry> {
        entries + Int(truncatingIfNeeded: offset & mask)
    }

    deinit {
        entries.deinitialize(count: Int(mask) + 1)
        entries.deallocate()
    }
}

/// Where a task's shared steps put their outputs while they run for one record.
@usableFromInline
final class SharedOutputTarget<Key, Value> {
    /// Behind a pointer, so the hot path pays no exclusivity check.
    @usableFromInline let cell: UnsafeMutablePointer<UnsafeMutablePointer<SharedOutputSlot<Key, Value>.Entry>?>

    @usableFromInline init() {
        cell = .allocate(capacity: 1)
        cell.initialize(to: nil)
    }

    @inlinable
    func filling(_ entry: UnsafeMutablePointer<SharedOutputSlot<Key, Value>.Entry>, _ body: () throws -> Void) throws {
        let outer = cell.pointee
        cell.pointee = entry
        defer { cell.pointee = outer }
        try body()
    }

    deinit { cell.deallocate() }
}
