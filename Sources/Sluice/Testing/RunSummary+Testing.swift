extension RunSummary {
    /// The counts of several runs (instances, or one instance before and after a restart) added
    /// up per branch, in the order branches first appear.
    @_spi(Testing) public static func combining(_ summaries: [RunSummary], seconds: Double = 0) -> RunSummary {
        var order: [String] = []
        var totals: [String: BranchCounts] = [:]
        for counts in summaries.flatMap(\.branches) {
            guard var total = totals[counts.group] else {
                order.append(counts.group)
                totals[counts.group] = counts
                continue
            }
            total.consumed += counts.consumed
            total.produced += counts.produced
            total.skipped += counts.skipped
            total.deadLettered += counts.deadLettered
            total.late += counts.late
            totals[counts.group] = total
        }
        return RunSummary(branches: order.compactMap { totals[$0] }, seconds: seconds)
    }
}
