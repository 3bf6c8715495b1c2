/// The last record each (topic, partition) decoded into a given type, shared by the tasks of
/// one stream thread, so that branches reading the same partition in step decode each record
/// once: the first branch decodes it, the others take the copy.
///
/// Each task's source operator looks up its slot once, when the task starts, so a record costs
/// an offset comparison, not a dictionary lookup or a cast. A slot is keyed by topic, partition,
/// record type and serde types: two branches share it only if they would decode the same bytes
/// into the same value. Offsets identify records because the log is append-only.
///
/// Single owner: the stream thread (its tasks run on it), hence no lock.
@usableFromInline
final class DecodedRecordCache: @unchecked Sendable {
    private struct Key: Hashable {
        var topic: String
        var partition: Int32
        var types: [ObjectIdentifier]
    }

    private var slots: [Key: AnyObject] = [:]

    @usableFromInline
    func slot<Key, Value>(
        topic: String, partition: Int32, keySerde: any Serde<Key>, valueSerde: any Serde<Value>
    ) -> DecodedRecordSlot<Key, Value> {
        let key = Self.Key(
            topic: topic, partition: partition,
            types: [ObjectIdentifier(Record<Key, Value>.self), ObjectIdentifier(type(of: keySerde)), ObjectIdentifier(type(of: valueSerde))])
        let slot = slots[key] as? DecodedRecordSlot<Key, Value> ?? DecodedRecordSlot<Key, Value>()
        slots[key] = slot
        slot.cell.pointee.readers += 1
        return slot
    }
}

/// One partition's most recently decoded record (see `DecodedRecordCache`).
///
/// The record lives behind a pointer the slot allocates once: the source operator reads and
/// replaces it through `cell`, in code specialized for its types, where class properties would
/// cost a dynamic exclusivity check and a generic (value-witness) copy or destroy per record.
@usableFromInline
final class DecodedRecordSlot<Key, Value> {
    @usableFromInline
    struct Cell {
        /// The offset `record` was decoded from; -1 when empty.
        @usableFromInline var offset: Int64 = -1
        @usableFromInline var record: Record<Key, Value>?
        /// Tasks that took this slot (each reads every record once, in step with the others
        /// when their branches stand at the same offset). Tasks dropped after a rebalance stay
        /// counted: that only ever makes `take` less frequent, never wrong.
        @usableFromInline var readers = 0
        /// Tasks that have read `record` so far.
        @usableFromInline var uses = 0

        /// The record for the next reader: a copy, or, for the last of the readers in step,
        /// the record itself (one copy fewer per record; a later reader finds the slot empty
        /// and decodes again).
        @inlinable
        mutating func next() -> Record<Key, Value>? {
            uses += 1
            return uses >= readers ? record.take() : record
        }
    }

    /// Owned by the slot; used only on the stream thread that owns the cache.
    @usableFromInline let cell: UnsafeMutablePointer<Cell>

    @usableFromInline init() {
        cell = .allocate(capacity: 1)
        cell.initialize(to: Cell())
    }

    deinit {
        cell.deinitialize(count: 1)
        cell.deallocate()
    }
}
