extension WindowedAggregation {
    /// Closes every window due at the current stream time, in `CloseSchedule` order, emitting
    /// `.final` results in `.onClose` mode, and sweeps sliding-window record buffers.
    @inlinable
    mutating func closeDueWindows(into results: inout [Result]) {
        while let entry = schedule.popDue(at: currentStreamTime) {
            let state = Int(entry.state)
            guard state < states.count else { continue }
            if entry.isSweep {
                sweepPendingRecords(state: state, scheduledAt: entry.time)
                continue
            }
            // Stale entries are expected (a session that merged away or grew): only a live
            // window that is really due closes; one that grew is rescheduled.
            guard let slot = states[state].slot(startingAt: entry.start) else { continue }
            let due = geometry.closeTime(of: states[state].slots[slot].window)
            guard due <= currentStreamTime else {
                schedule.schedule(.init(time: due, start: entry.start, state: entry.state, isSweep: false))
                continue
            }
            let closed = states[state].slots.remove(at: slot)
            openWindows -= 1
            if emitMode == .onClose, let key = states[state].key {
                results.append(Result(kind: .final, key: key, window: closed.window, aggregate: closed.aggregate))
            }
            releaseIfIdle(state)
        }
    }

    /// Drops the buffered sliding-window records no window can need any more and schedules the
    /// next sweep. A record at `t` can still define its right window `[t + 1, t + size + 1]`
    /// until that closes, at stream time `t + size + 2 + grace`.
    @inlinable
    mutating func sweepPendingRecords(state: Int, scheduledAt time: Int64) {
        // An entry for a slot since recycled or rescheduled is stale; the live one will come.
        guard states[state].sweepTime == time else { return }
        let streamTime = currentStreamTime
        let horizon = geometry.size + 2 + geometry.grace
        states[state].pending.removeAll { $0.timestamp + horizon <= streamTime }
        var next = Int64.max
        for record in states[state].pending { next = min(next, record.timestamp + horizon) }
        if states[state].pending.isEmpty {
            states[state].sweepTime = nil
            releaseIfIdle(state)
        } else {
            states[state].sweepTime = next
            schedule.schedule(.init(time: next, start: 0, state: Int32(state), isSweep: true))
        }
    }
}
