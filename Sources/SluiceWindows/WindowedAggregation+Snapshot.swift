extension WindowedAggregation {
    public typealias Snapshot = WindowSnapshot<Key, Value, Aggregate>

    /// Every open window with its aggregate (and, for sliding windows, the buffered records),
    /// plus stream time: all the state there is, for a changelog or a state store. Keys in the
    /// order they claimed their slots, windows by start, records in arrival order.
    public func snapshot() -> Snapshot {
        var windows: [Snapshot.OpenWindow] = []
        windows.reserveCapacity(openWindowCount)
        var pending: [Snapshot.PendingRecord] = []
        for state in states {
            guard let key = state.key else { continue }
            for slot in state.slots {
                windows.append(.init(key: key, window: slot.window, aggregate: slot.aggregate))
            }
            for record in state.pending {
                pending.append(.init(key: key, timestamp: record.timestamp, value: record.value))
            }
        }
        return Snapshot(streamTime: streamTime, windows: windows, pendingRecords: pending)
    }

    /// Replaces all state with `snapshot`, as after a restart or a partition moving here.
    ///
    /// The snapshot is checked against this engine's definition first (window shapes, epoch
    /// alignment, one window per key and start, sessions separated by more than the gap, pending
    /// records only for sliding windows); on error nothing changes. Windows the snapshot's stream
    /// time has already closed (a changelog replayed without its tombstones) are kept and close
    /// on the next `process` or `advance`, which in `.onClose` mode emits them again: a
    /// duplicate final result, never a lost one, as at-least-once delivery allows.
    /// `lateRecordCount` is a metric of this engine and is left as it is.
    public mutating func restore(_ snapshot: Snapshot) throws(WindowError) {
        var restoredIndex: [Key: Int32] = [:]
        var restored: [KeyWindows<Key, Value, Aggregate>] = []
        func state(for key: Key) -> Int {
            if let index = restoredIndex[key] { return Int(index) }
            restoredIndex[key] = Int32(restored.count)
            restored.append(KeyWindows(key: key))
            return restored.count - 1
        }

        for open in snapshot.windows {
            guard geometry.isWellFormed(open.window) else {
                throw .invalidSnapshot("window \(open.window) cannot come from \(spec)")
            }
            restored[state(for: open.key)].slots.append(.init(window: open.window, aggregate: open.aggregate))
        }
        if !snapshot.pendingRecords.isEmpty, geometry.kind != .sliding {
            throw .invalidSnapshot("pending records belong to sliding windows, not \(spec)")
        }
        for record in snapshot.pendingRecords {
            guard record.timestamp >= 0, record.timestamp <= WindowSpec.maximumTimestamp else {
                throw .invalidSnapshot("pending record timestamp \(record.timestamp) is out of range")
            }
            restored[state(for: record.key)].pending.append(.init(timestamp: record.timestamp, value: record.value))
        }

        var restoredSchedule = CloseSchedule()
        var windowCount = 0
        for index in restored.indices {
            restored[index].slots.sort { $0.window.start < $1.window.start }
            let slots = restored[index].slots
            for (earlier, later) in zip(slots, slots.dropFirst()) {
                guard earlier.window.start != later.window.start else {
                    throw .invalidSnapshot("two windows of one key start at \(later.window.start)")
                }
                if geometry.kind == .session, later.window.start - earlier.window.last <= geometry.gap {
                    throw .invalidSnapshot("sessions \(earlier.window) and \(later.window) are within the gap")
                }
            }
            for slot in slots {
                restoredSchedule.schedule(.init(
                    time: geometry.closeTime(of: slot.window), start: slot.window.start, state: Int32(index), isSweep: false))
            }
            windowCount += slots.count
            if let oldest = restored[index].pending.lazy.map(\.timestamp).min() {
                let sweep = oldest + geometry.size + 2 + geometry.grace
                restored[index].sweepTime = sweep
                restoredSchedule.schedule(.init(time: sweep, start: 0, state: Int32(index), isSweep: true))
            }
        }

        stateIndex = restoredIndex
        states = restored
        freeStates = []
        schedule = restoredSchedule
        openWindows = windowCount
        currentStreamTime = snapshot.streamTime ?? .min
    }
}

extension WindowedAggregation {
    /// Visits the state of one key: its open windows by start, then (sliding windows) its
    /// buffered records in arrival order; nothing when the key holds no state. A per-key
    /// changelog record is written from this, so a store persists only the keys a batch touched.
    public func visitState(
        of key: Key, windows: (Window, Aggregate) throws -> Void, pendingRecords: (Int64, Value) throws -> Void
    ) rethrows {
        guard let index = stateIndex[key] else { return }
        let state = states[Int(index)]
        for slot in state.slots { try windows(slot.window, slot.aggregate) }
        for record in state.pending { try pendingRecords(record.timestamp, record.value) }
    }
}
