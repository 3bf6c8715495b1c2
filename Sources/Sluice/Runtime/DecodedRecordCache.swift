/// The records each (topic, partition) decoded into a given type lately, shared by the tasks of
/// one stream thread, so that branches reading the same partition decode each record once:
/// the first branch to reach an offset decodes it, the others borrow the same value.
///
/// Branches on a thread do not always read in step: they join their groups at slightly
/// different moments or poll a repartition topic as well, and then their batches cover
/// different ranges (`StreamThread` keeps them within about a poll of each other). A slot of a
/// topic several of the thread's branches read therefore keeps a ring of recent records
/// indexed by offset (a direct-mapped cache of `sharedCapacity` entries, two polls' worth): a
/// branch up to that many records behind another still finds each record decoded. A slot of
/// a topic only one branch reads keeps one entry.
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
    /// Entries of a slot that several tasks read: a power of two.
    let sharedCapacity: Int
    /// The topics several of the thread's branches read.
    private let sharedTopics: Set<String>

    /// - Parameters:
    ///   - sharedCapacity: how far apart (in records) branches may read and still share
    ///     decoding; rounded up to a power of two. About `max.poll.records`.
    ///   - sharedTopics: the topics more than one of the thread's branches reads: their slots
    ///     keep a ring from the first record on (tasks start one by one, as records arrive).
    init(sharedCapacity: Int, sharedTopics: Set<String>) {
        var capacity = 1
        while capacity < max(1, sharedCapacity) { capacity <<= 1 }
        self.sharedCapacity = capacity
        self.sharedTopics = sharedTopics
    }

    @usableFromInline
    func slot<Key, Value>(
        topic: String, partition: Int32, keySerde: any Serde<Key>, valueSerde: any Serde<Value>
    ) -> DecodedRecordSlot<Key, Value> {
        let key = Self.Key(
            topic: topic, partition: partition,
            types: [ObjectIdentifier(Record<Key, Value>.self), ObjectIdentifier(type(of: keySerde)), ObjectIdentifier(type(of: valueSerde))])
        if let slot = slots[key] as? DecodedRecordSlot<Key, Value> { return slot }
        let slot = DecodedRecordSlot<Key, Value>(capacity: sharedTopics.contains(topic) ? sharedCapacity : 1)
        slots[key] = slot
        return slot
    }

    /// The outputs of the shared stream `stream` for `topic`-`partition` (see `SharedStream`).
    @usableFromInline
    func outputSlot<Key, Value>(of stream: ObjectIdentifier, topic: String, partition: Int32, as: Record<Key, Value>.Type)
        -> SharedOutputSlot<Key, Value>
    {
        let key = Self.Key(topic: topic, partition: partition, types: [stream, ObjectIdentifier(Record<Key, Value>.self)])
        if let slot = slots[key] as? SharedOutputSlot<Key, Value> { return slot }
        let slot = SharedOutputSlot<Key, Value>(capacity: sharedTopics.contains(topic) ? sharedCapacity : 1)
        slots[key] = slot
        return slot
    }
}

/// One partition's recently decoded records (see `DecodedRecordCache`).
///
/// The records live in memory the slot allocates: the source operator reads and replaces them
/// through `entry(at:)`, in code specialized for its types, where class properties would cost
/// a dynamic exclusivity check and a generic (value-witness) copy or destroy per record. Each
/// reader moves the record out for its call and back (`Emit` borrows it), so all of them share
/// the one value; it is destroyed when a record whose offset maps to the same entry replaces it.
@usableFromInline
final class DecodedRecordSlot<Key, Value> {
    @usableFromInline
    struct Entry {
        /// The offset `record` was decoded from; -1 when none (or its decoding failed).
        @usableFromInline var offset: Int64 = -1
        @usableFromInline var record: Record<Key, Value>?
    }

    @usableFromInline
    struct Ring {
        @usableFromInline var entries: UnsafeMutablePointer<Entry>
        /// Entry count − 1 (a power of two − 1): offset `o` lives in entry `o & mask`.
        @usableFromInline var mask: Int64
    }

    /// Behind a pointer so that the hot path reads it without exclusivity checks. Only the
    /// owning stream thread touches it.
    @usableFromInline let ring: UnsafeMutablePointer<Ring>

    /// - Parameter capacity: entries; a power of two.
    init(capacity: Int) {
        ring = .allocate(capacity: 1)
        ring.initialize(to: Ring(entries: Self.allocateEntries(capacity), mask: Int64(capacity - 1)))
    }

    /// Where the record at `offset` is kept (whatever record it holds now).
    @inlinable
    func entry(at offset: Int64) -> UnsafeMutablePointer<Entry> {
        ring.pointee.entries + Int(truncatingIfNeeded: offset & ring.pointee.mask)
    }

    private static func allocateEntries(_ count: Int) -> UnsafeMutablePointer<Entry> {
        let entries = UnsafeMutablePointer<Entry>.allocate(capacity: count)
        entries.initialize(repeating: Entry(), count: count)
        return entries
    }

    private func freeEntries() {
        let count = Int(ring.pointee.mask) + 1
        ring.pointee.entries.deinitialize(count: count)
        ring.pointee.entries.deallocate()
    }

    deinit {
        freeEntries()
        ring.deinitialize(count: 1)
        ring.deallocate()
    }
}
