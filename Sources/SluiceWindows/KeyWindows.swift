/// One key's open windows (and, for sliding windows, its buffered records).
///
/// Lives in a slot of `WindowedAggregation.states` that is recycled, arrays and all, when the
/// key's last window closes, so keys that come and go every window do not allocate in steady
/// state.
@usableFromInline
struct KeyWindows<Key: Hashable, Value, Aggregate> {
    /// One open window and its running aggregate.
    @usableFromInline
    struct Slot {
        @usableFromInline var window: Window
        @usableFromInline var aggregate: Aggregate

        @inlinable
        init(window: Window, aggregate: Aggregate) {
            self.window = window
            self.aggregate = aggregate
        }
    }

    /// A record kept for sliding windows that later records may create.
    @usableFromInline
    struct Pending {
        @usableFromInline var timestamp: Int64
        @usableFromInline var value: Value

        @inlinable
        init(timestamp: Int64, value: Value) {
            self.timestamp = timestamp
            self.value = value
        }
    }

    /// The owner, `nil` while the slot is free.
    @usableFromInline var key: Key?
    /// Open windows sorted by start (distinct starts; sessions are also disjoint).
    @usableFromInline var slots: [Slot] = []
    /// Sliding windows only: accepted records that may still fall into a window created later,
    /// in arrival order (so every window folds its records in arrival order).
    @usableFromInline var pending: [Pending] = []
    /// Sliding windows only: the due time of this key's scheduled buffer sweep, if one is.
    @usableFromInline var sweepTime: Int64?

    @inlinable init(key: Key?) { self.key = key }

    @inlinable var isIdle: Bool { slots.isEmpty && pending.isEmpty }

    /// The index of the first slot whose start is not below `start` (binary search).
    @inlinable
    func firstSlot(startingAtOrAfter start: Int64) -> Int {
        var low = 0
        var high = slots.count
        while low < high {
            let middle = (low + high) / 2
            if slots[middle].window.start < start { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The index of the slot starting exactly at `start`, if there is one.
    @inlinable
    func slot(startingAt start: Int64) -> Int? {
        let index = firstSlot(startingAtOrAfter: start)
        return index < slots.count && slots[index].window.start == start ? index : nil
    }

    /// Empties the slot for reuse, keeping the arrays' capacity.
    @inlinable
    mutating func recycle() {
        key = nil
        slots.removeAll(keepingCapacity: true)
        pending.removeAll(keepingCapacity: true)
        sweepTime = nil
    }
}

extension KeyWindows: Sendable where Key: Sendable, Value: Sendable, Aggregate: Sendable {}
extension KeyWindows.Slot: Sendable where Aggregate: Sendable {}
extension KeyWindows.Pending: Sendable where Value: Sendable {}
