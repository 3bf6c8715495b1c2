extension WindowedAggregation {
    /// Tumbling and hopping windows: the record goes into every open epoch-aligned window that
    /// contains it, oldest first; windows that already closed are skipped (they stay final), and
    /// the record is late only if all of them had.
    @inlinable
    mutating func aggregateFixed(
        key: Key,
        value: Value,
        timestamp: Int64,
        into results: inout [Result]
    ) -> RecordOutcome {
        let size = geometry.size
        let advance = geometry.advance
        let newest = timestamp - timestamp % advance
        var start = geometry.firstFixedStart(containing: timestamp)
        // Windows close oldest first, so skipping the closed ones leaves a run of open ones.
        while start <= newest, start + size + geometry.grace <= currentStreamTime { start += advance }
        guard start <= newest else { return .late }

        let state = claimState(for: key)
        // Slots are sorted by start and the record's windows are consecutive, so one binary
        // search finds the first and the rest follow slot by slot.
        var slot = states[state].firstSlot(startingAtOrAfter: start)
        while start <= newest {
            if slot < states[state].slots.count, states[state].slots[slot].window.start == start {
                aggregator(&states[state].slots[slot].aggregate, value)
                reportUpdate(state: state, slot: slot, into: &results)
            } else {
                var aggregate = initializer()
                aggregator(&aggregate, value)
                open(Window(start: start, end: start + size), aggregate: aggregate, state: state, at: slot, into: &results)
            }
            slot += 1
            start += advance
        }
        return .accepted
    }
}
