@_spi(Testing) import Sluice

/// Scaling: instances joining and leaving, and the rebalances that follow.
extension PipelineTestDriver {
    /// Starts one more instance (on the same log and coordinator) and runs the rebalance that
    /// gives it a share of every branch's partitions, then processes until quiescent.
    ///
    /// The rebalance happens at this point: the instances already running pause every owned
    /// partition until the groups are stable again, so records piped and not yet processed are
    /// processed after it, by the new owners. The members give up their partitions the way
    /// the range assignor's eager protocol does (each commits what it processed, then the
    /// tasks of its partitions are dropped), and the new owners' tasks restore their stores
    /// from the changelogs.
    public func addInstance() throws {
        try start()
        let node = try openNode()
        // Groups with members must rebalance; groups not formed yet form with the new member.
        let live = groups.contains { !node.coordinator.describeGroup($0).members.isEmpty }
        for instance in instances { instance.pauseAll() }
        instances.append(try makeInstance(on: node))
        try runUntilQuiescent(membershipChanged: live, resumeWhenSettled: live)
    }

    /// Stops instance `index` gracefully (it flushes, commits and leaves its groups), runs the
    /// rebalance that moves its partitions to the others, then processes until quiescent.
    /// Later instances move down one index. As for `addInstance`, nothing is processed between
    /// this call and the end of the rebalance.
    public func removeInstance(at index: Int) throws {
        try start()
        try checkInstance(index)
        for (position, instance) in instances.enumerated() where position != index { instance.pauseAll() }
        let removed = instances.remove(at: index)
        try removed.close()
        retired.append(removed.summary())
        try runUntilQuiescent(membershipChanged: !instances.isEmpty, resumeWhenSettled: !instances.isEmpty)
    }
}
