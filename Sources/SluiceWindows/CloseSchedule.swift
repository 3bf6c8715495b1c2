/// The engine's agenda: when each open window (and each sliding-window record buffer) falls due,
/// as a binary min-heap in one array, so closing windows costs O(log n) per window and nothing
/// per record, whatever the number of keys.
///
/// Entries may go stale (a session that grew or merged away, a key whose state slot was reused);
/// the engine re-checks every popped entry against the live window and only ever closes what is
/// really due, so a stale entry is harmless. The guarantee it relies on: every open window has
/// at least one entry at or before its real close time.
@usableFromInline
struct CloseSchedule: Sendable {
    /// One appointment. Ordered by `(time, start, state)`, a total order, so windows closing at
    /// the same stream time are emitted in the same order on every run.
    @usableFromInline
    struct Entry: Sendable {
        /// Stream time at which the window is due (or the buffer should be swept).
        @usableFromInline var time: Int64
        /// The window's start; unused for sweeps.
        @usableFromInline var start: Int64
        /// Index of the key's state in `WindowedAggregation.states`.
        @usableFromInline var state: Int32
        /// A sliding-window record-buffer sweep rather than a window close.
        @usableFromInline var isSweep: Bool

        @inlinable
        init(time: Int64, start: Int64, state: Int32, isSweep: Bool) {
            self.time = time
            self.start = start
            self.state = state
            self.isSweep = isSweep
        }

        @inlinable
        func precedes(_ other: Entry) -> Bool {
            (time, start, state) < (other.time, other.start, other.state)
        }
    }

    @usableFromInline var heap: [Entry] = []

    @inlinable init() {}

    @inlinable
    mutating func schedule(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `streamTime`.
    @inlinable
    mutating func popDue(at streamTime: Int64) -> Entry? {
        guard let first = heap.first, first.time <= streamTime else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
            guard heap[smallest].precedes(heap[parent]) else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
