extension WindowedAggregation {
    /// Session windows: a record joins every open session of its key that it is within `gap` of
    /// (`start − gap <= t <= last + gap`), merging them into one; otherwise it starts a session
    /// `[t, t]`, unless that would already be closed, which makes the record late.
    ///
    /// Sessions of a key stay separated by more than `gap`, so one record can bridge at most
    /// two; the code merges any run anyway. When a merge changes a session's bounds, `.onUpdate`
    /// reports each replaced session as `.removed` and then the merged one as `.updated` (Kafka
    /// forwards a tombstone per replaced windowed key, then the new one); a record inside a
    /// session leaves its bounds unchanged and only updates it.
    ///
    /// Closed sessions are final and evicted, so a record within `gap` of a closed session starts
    /// a new one instead of reopening it. Kafka may still find the closed session in its store
    /// and merge into it, re-emitting a window that had already been emitted as final.
    @inlinable
    mutating func aggregateSession(
        key: Key,
        value: Value,
        timestamp: Int64,
        into results: inout [Result]
    ) -> RecordOutcome {
        let gap = geometry.gap
        let existing = stateIndex[key].map(Int.init)
        var first = 0
        var past = 0
        if let state = existing {
            // Sessions are disjoint and sorted, so their ends are sorted too.
            var high = states[state].slots.count
            while first < high {
                let middle = (first + high) / 2
                if states[state].slots[middle].window.end + gap <= timestamp { first = middle + 1 } else { high = middle }
            }
            past = first
            while past < states[state].slots.count, states[state].slots[past].window.start <= timestamp + gap { past += 1 }
        }

        guard let state = existing, first < past else {
            let window = Window(start: timestamp, end: timestamp + 1)
            guard geometry.closeTime(of: window) > currentStreamTime else { return .late }
            let state = existing ?? claimState(for: key)
            var aggregate = initializer()
            aggregator(&aggregate, value)
            open(window, aggregate: aggregate, state: state, at: first, into: &results)
            return .accepted
        }

        let original = states[state].slots[first].window
        if past - first == 1, original.contains(timestamp) {
            aggregator(&states[state].slots[first].aggregate, value)
            reportUpdate(state: state, slot: first, into: &results)
            return .accepted
        }

        if emitMode == .onUpdate, let key = states[state].key {
            for slot in first..<past {
                let replaced = states[state].slots[slot]
                results.append(Result(kind: .removed, key: key, window: replaced.window, aggregate: replaced.aggregate))
            }
        }
        for slot in (first + 1)..<past {
            let other = states[state].slots[slot].aggregate
            merger?(&states[state].slots[first].aggregate, other)
        }
        aggregator(&states[state].slots[first].aggregate, value)
        let merged = Window(
            start: min(timestamp, original.start),
            end: max(timestamp + 1, states[state].slots[past - 1].window.end)
        )
        states[state].slots[first].window = merged
        states[state].slots.removeSubrange((first + 1)..<past)
        openWindows -= past - first - 1
        // The surviving entry is keyed by start: a session that grew later is rescheduled when
        // that entry comes due, but one that now starts earlier needs an entry of its own.
        if merged.start != original.start {
            schedule.schedule(.init(time: geometry.closeTime(of: merged), start: merged.start, state: Int32(state), isSweep: false))
        }
        reportUpdate(state: state, slot: first, into: &results)
        return .accepted
    }
}
