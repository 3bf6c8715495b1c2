extension WindowedAggregation {
    /// Kafka's sliding windows (time difference `d = geometry.size`).
    ///
    /// The windows of a key are defined by its records: each record `t` has a left window
    /// `[t − d, t]` and, once some record lies in `(t, t + d + 1]`, a right window
    /// `[t + 1, t + d + 1]` (inclusive bounds; `Window` holds them half-open). A window is created
    /// when the records defining it have arrived, if it is still open then; its aggregate is
    /// every accepted record inside it, folded in arrival order. So a record:
    /// 1. is late when even the newest window that could contain it, `[t, t + d]`, has closed
    ///    (Kafka: `t + d < streamTime − grace`);
    /// 2. updates every open window that contains it;
    /// 3. is buffered, because windows created later may contain it;
    /// 4. creates its own left window, its right window if a later record already exists, and
    ///    the right windows of earlier records it is the first to fall into (Kafka creates only the
    ///    previous record's; the others always exist already unless closed, and closed windows
    ///    are never created), each folded from the buffer.
    ///
    /// Kafka reaches the same windows by copying the aggregate of a neighbouring window, which
    /// means keeping closed windows in its store for another `d`; the buffer holds the records
    /// instead, so closed windows are evicted as they close.
    @inlinable
    mutating func aggregateSliding(
        key: Key,
        value: Value,
        timestamp: Int64,
        into results: inout [Result]
    ) -> RecordOutcome {
        let difference = geometry.size
        guard timestamp + difference + geometry.grace >= currentStreamTime else { return .late }
        let state = claimState(for: key)

        var slot = states[state].firstSlot(startingAtOrAfter: timestamp - difference)
        while slot < states[state].slots.count, states[state].slots[slot].window.start <= timestamp {
            aggregator(&states[state].slots[slot].aggregate, value)
            reportUpdate(state: state, slot: slot, into: &results)
            slot += 1
        }

        states[state].pending.append(.init(timestamp: timestamp, value: value))
        if states[state].sweepTime == nil {
            let sweep = timestamp + difference + 2 + geometry.grace
            states[state].sweepTime = sweep
            schedule.schedule(.init(time: sweep, start: 0, state: Int32(state), isSweep: true))
        }

        openSlidingWindow(start: timestamp - difference, state: state, into: &results)
        var hasLaterNeighbour = false
        var index = 0
        while index < states[state].pending.count {
            let other = states[state].pending[index].timestamp
            if other > timestamp, other <= timestamp + difference + 1 {
                hasLaterNeighbour = true
            } else if other < timestamp, timestamp <= other + difference + 1 {
                openSlidingWindow(start: other + 1, state: state, into: &results)
            }
            index += 1
        }
        if hasLaterNeighbour { openSlidingWindow(start: timestamp + 1, state: state, into: &results) }
        return .accepted
    }

    /// Creates the sliding window starting at `start` unless it exists or has closed, folding
    /// the buffered records inside it in arrival order.
    @inlinable
    mutating func openSlidingWindow(start: Int64, state: Int, into results: inout [Result]) {
        let window = Window(start: start, end: start + geometry.size + 1)
        guard geometry.closeTime(of: window) > currentStreamTime else { return }
        let slot = states[state].firstSlot(startingAtOrAfter: start)
        if slot < states[state].slots.count, states[state].slots[slot].window.start == start { return }
        var aggregate = initializer()
        for record in states[state].pending where window.contains(record.timestamp) {
            aggregator(&aggregate, record.value)
        }
        open(window, aggregate: aggregate, state: state, at: slot, into: &results)
    }
}
