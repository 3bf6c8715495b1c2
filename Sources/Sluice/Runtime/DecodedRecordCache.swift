/// The records each (topic, partition) decoded into a given type lately, shared by the tasks of
/// one stream thread, so that branches reading the same partition decode each record once:
/// the first branch to reach an offset decodes it, the others borrow the same value.
///
/// Branches on a thread do not always read in step: they join their groups at slightly
/// different moments or poll a repartition topic as well, and then their batches cover
/// different ranges (`StreamThread` keeps them within about a poll of each other). A slot of a
/// topic several of the thread's branches read therefore keeps a ring of recent records
/// indexed by offset (a direct-mapped cache of `sharedCapacity` entries, two polls' worth): a
/// branch up to that many records behind another still finds each record decoded. A topic
/// only one branch reads gets no slot (`sharesDecoding(of:)`): its records are decoded and
/// handed on.
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
    /// Above 0 while a shared stream's steps are composed (`composingSharedSteps`).
    private var sharedStepsDepth = 0

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

    /// Composes a shared stream's steps (`body`): their source operators run once per record
    /// for every branch of the thread (the shared stream keeps the outputs), so what they
    /// decode need not be kept for anyone else (`sharesDecoding(of:)` is false): a decoded
    /// value is then freed while still in cache, not a ring's length later.
    @usableFromInline
    func composingSharedSteps<T>(_ body: () throws -> T) rethrows -> T {
        sharedStepsDepth += 1
        defer { sharedStepsDepth -= 1 }
        return try body()
    }

    /// Whether the records of `topic` decoded by the task being composed are kept for others:
    /// several of the thread's branches read the topic, and the task is not a shared stream's
    /// steps (which run once per record for all of them, see `composingSharedSteps`).
    @usableFromInline
    func sharesDecoding(of topic: String) -> Bool {
        sharedStepsDepth == 0 && sharedTopics.contains(topic)
    }

    /// The decoded records of `topic`-`partition` (by offset), for these serdes; for a topic
    /// that `sharesDecoding(of:)`.
    @usableFromInline
    func slot<Key, Value>(
        topic: String, partition: Int32, keySerde: any Serde<Key>, valueSerde: any Serde<Value>
    ) -> RecordRing<Key, Value> {
        let types = [ObjectIdentifier(Record<Key, Value>.self), ObjectIdentifier(type(of: keySerde)), ObjectIdentifier(type(of: valueSerde))]
        let key = Self.Key(topic: topic, partition: partition, types: types)
        if let slot = slots[key] as? RecordRing<Key, Value> { return slot }
        let slot = RecordRing<Key, Value>(capacity: sharedCapacity)
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
