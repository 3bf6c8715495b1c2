/// What a `SharedStream` produced lately for the records of one (topic, partition), kept by
/// offset so that every branch of a stream thread that starts from the shared stream reuses
/// it: the first branch to reach an offset runs the shared operators, the others borrow the
/// outputs (`DecodedRecordCache` does the same for decoding).
///
/// A `RecordRing` holds each offset's first output (the only one, for `map` and `filter`);
/// `rest` holds the others a `flatMap` made. Errors are not kept: a record the shared
/// operators fail on is run again by each branch, so each applies its own error policy.
///
/// Single owner (the stream thread): not thread-safe.
@usableFromInline
final class SharedOutputSlot<Key, Value> {
    @usableFromInline let firsts: RecordRing<Key, Value>
    /// Outputs per slot (0: the record was filtered out).
    @usableFromInline let counts: UnsafeMutablePointer<Int>
    /// Outputs after the first, per slot; usually empty.
    @usableFromInline let rests: UnsafeMutablePointer<[Record<Key, Value>]>

    /// - Parameter capacity: slots; a power of two.
    init(capacity: Int) {
        firsts = RecordRing(capacity: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
        rests = .allocate(capacity: capacity)
        rests.initialize(repeating: [], count: capacity)
    }

    /// Empties slot `i` for a new offset; false while its first output is lent.
    @inlinable
    func clear(at i: Int) -> Bool {
        guard firsts.clear(at: i) else { return false }
        counts[i] = 0
        if !rests[i].isEmpty { rests[i].removeAll() }
        return true
    }

    /// Adds (a copy of) an output of the record slot `i` is being filled for.
    @inlinable
    func append(_ key: Key?, _ value: Value, _ timestamp: Int64, at i: Int) {
        if counts[i] == 0 {
            firsts.store(key, value, timestamp, at: i)
        } else {
            rests[i].append(Record(key: key, value: value, timestamp: timestamp))
        }
        counts[i] += 1
    }

    deinit {
        counts.deallocate()
        rests.deinitialize(count: Int(firsts.mask) + 1)
        rests.deallocate()
    }
}

/// Where a task's shared steps put their outputs while they run for one record: a slot of a
/// `SharedOutputSlot`, or a buffer of the branch's own when that slot is lent out.
@usableFromInline
final class SharedOutputTarget<Key, Value> {
    @usableFromInline
    struct Filling {
        /// Whether the shared steps are running for a record.
        @usableFromInline var active = false
        /// Unretained: the task holds its slots for as long as it runs.
        @usableFromInline var slot: Unmanaged<SharedOutputSlot<Key, Value>>?
        @usableFromInline var index = 0
        /// Outputs when there is no slot to fill.
        @usableFromInline var own: [Record<Key, Value>] = []

        @inlinable init() {}

        @inlinable init(slot: SharedOutputSlot<Key, Value>?, index: Int) {
            self.active = true
            self.slot = slot.map { Unmanaged.passUnretained($0) }
            self.index = index
        }
    }

    /// Behind a pointer, so the hot path pays no exclusivity check.
    @usableFromInline let cell: UnsafeMutablePointer<Filling>

    @usableFromInline init() {
        cell = .allocate(capacity: 1)
        cell.initialize(to: Filling())
    }

    /// Takes an output of the shared steps (a copy of it is kept).
    @inlinable
    func emit(_ key: Key?, _ value: Value, _ timestamp: Int64) throws {
        guard cell.pointee.active else { throw PipelineError.invalid("a shared stream emitted a record outside of its source record") }
        if let slot = cell.pointee.slot {
            let index = cell.pointee.index
            slot._withUnsafeGuaranteedRef { $0.append(key, value, timestamp, at: index) }
        } else {
            cell.pointee.own.append(Record(key: key, value: value, timestamp: timestamp))
        }
    }

    /// Runs `body` (the shared steps for one record) with its outputs going to `filling`.
    /// - Returns: the outputs that went to no slot.
    @inlinable
    func filling(_ filling: Filling, _ body: () throws -> Void) throws -> [Record<Key, Value>] {
        let outer = cell.move()
        cell.initialize(to: filling)
        defer {
            cell.deinitialize(count: 1)
            cell.initialize(to: outer)
        }
        try body()
        return cell.pointee.own
    }

    deinit {
        cell.deinitialize(count: 1)
        cell.deallocate()
    }
}
