@_spi(Testing) import Sluice
@_spi(Testing) import SluiceClient
import SluiceGroups

/// Processing: rounds of steps until nothing is left to do.
extension PipelineTestDriver {
    /// Steps every instance, round after round on this thread, until the pipeline is
    /// quiescent: every group formed with all its members and every partition owned, every
    /// branch caught up (lag 0), and one more whole round consumed nothing. Each step is one
    /// poll of each member, its records processed, its outputs made durable and its offsets
    /// committed per the branch's AckMode, exactly as a stream thread does it.
    ///
    /// The first call starts the instances and forms their groups.
    /// - Throws: a branch's failure (error policy `.fail`), as `PipelineError.branchFailed`,
    ///   once the other branches processed everything (a stopped branch stops only itself, as
    ///   in production; it stays stopped, so later calls throw it again);
    ///   `notQuiescent` after `options.maxRounds` rounds that kept consuming (a branch feeding
    ///   its own input); `stuck` if the groups cannot settle.
    public func process() throws {
        try start()
        try runUntilQuiescent(membershipChanged: false)
    }

    /// Moves event time on without a record: every windowed store of every task takes
    /// `timestamp` as its stream time if that is later, so windows ending at least `grace`
    /// before it close — `.onClose` results are written, state is dropped. Sub-topologies go
    /// in dataflow order, each processed before the next moves on, so the results a store
    /// forwards reach a windowed store downstream (behind a repartition) before its windows
    /// close. Offsets do not move.
    ///
    /// Why: in production a window closes when a later record arrives; a test that wants a
    /// window's final result need not invent one (Kafka's `TopologyTestDriver` has only the
    /// record for this).
    /// - Throws: as `process()`.
    public func advanceStreamTime(to timestamp: Int64) throws {
        try start()
        try runUntilQuiescent(membershipChanged: false)
        for level in 0..<(instances.map(\.subTopologyCount).max() ?? 0) {
            for instance in instances { try instance.advanceStreamTime(to: timestamp, subTopology: level) }
            try runUntilQuiescent(membershipChanged: false)
        }
    }

    /// How far the membership clock moves when the group protocol waits for time: the initial
    /// rebalance delay of a forming group, and the interval after which members heartbeat.
    static let protocolStepMs = max(Node.initialRebalanceDelayMs, Int64(ConsumerConfiguration().heartbeatIntervalMs))

    /// The loop behind `process()`, `addInstance()`, `removeInstance(at:)` and the crash.
    /// - Parameters:
    ///   - membershipChanged: a live group gained or lost a member, so the others must hear
    ///     of it from a heartbeat before the rebalance can go on.
    ///   - resumeWhenSettled: partitions were paused for the rebalance; resume them once every
    ///     group is stable again.
    func runUntilQuiescent(membershipChanged: Bool, resumeWhenSettled: Bool = false) throws {
        let node = try openNode()
        var resume = resumeWhenSettled
        var previous: ClusterView?
        var stalledSince: ContinuousClock.Instant?
        var stalls = 0
        var lastRound: [String: Int] = [:]
        for _ in 0..<options.maxRounds {
            lastRound = try round()
            let view = clusterView(node)
            let progressed = lastRound.values.contains { $0 > 0 } || view != previous
            previous = view
            if resume && view.isSettled {
                for instance in instances { instance.resumeAll() }
                resume = false
                (stalledSince, stalls) = (nil, 0)
                continue
            }
            if progressed {
                (stalledSince, stalls) = (nil, 0)
                continue
            }
            let idle = instances.allSatisfy(\.isIdle)
            if view.isSettled && idle {
                // As a run ends: the other branches went on to the end, then the failure.
                for instance in instances {
                    if let (group, error) = instance.firstBranchFailure { throw PipelineError.branchFailed(group, error) }
                }
                return
            }

            // A round that changed nothing: the group protocol waits for time to pass.
            let since = stalledSince ?? .now
            stalledSince = since
            guard ContinuousClock.now - since < options.rebalanceTimeout else {
                throw PipelineTestDriverError.stuck(state: "\(view)" + (view.isSettled && !idle ? "; some branch is not caught up" : ""))
            }
            stalls += 1
            groupClock.advance(by: Self.protocolStepMs)
            keepMembersAlive(node)
            node.coordinator.tick()
            // A forming group completes on the tick; members of a live group need a heartbeat.
            if membershipChanged || stalls > 2, clusterView(node) == view {
                node.backend.sendDueHeartbeats()
            }
        }
        throw PipelineTestDriverError.notQuiescent(rounds: options.maxRounds, lastRound: lastRound)
    }

    /// One step of every instance, in order. Piped records are made durable first.
    /// - Returns: records consumed per branch.
    private func round() throws -> [String: Int] {
        try flushInput()
        var consumed: [String: Int] = [:]
        for instance in instances {
            consumed.merge(try instance.step(pollTimeoutMs: 0), uniquingKeysWith: +)
        }
        return consumed
    }

    private func clusterView(_ node: Node) -> ClusterView {
        // A stopped branch's members left its group: the group is formed by the instances where
        // the branch still runs (none: it no longer forms).
        return ClusterView(
            groups: groups.compactMap { group in
                let running = instances.filter { !$0.hasStopped(group) }
                guard !running.isEmpty else { return nil }
                let description = node.coordinator.describeGroup(group)
                var partitions: Set<TopicPartition> = []
                for topic in running[0].subscribedTopics(of: group) {
                    for partition in 0..<Int32(node.partitionCount(of: topic) ?? 0) { partitions.insert(TopicPartition(topic, partition)) }
                }
                return ClusterView.Group(
                    name: group, state: description.state, generation: description.generationId, members: description.members.count,
                    expectedMembers: running.count * options.threads, owned: running.map { $0.assignment(of: group) }, partitions: partitions)
            })
    }

    /// Heartbeats for every member, so that moving the membership clock never expires a
    /// session: in the driver, members are alive until it stops them.
    private func keepMembersAlive(_ node: Node) {
        for group in groups {
            let description = node.coordinator.describeGroup(group)
            for member in description.members {
                try? node.coordinator.heartbeat(
                    groupId: group, memberId: member.memberId, groupInstanceId: member.groupInstanceId, generationId: description.generationId)
            }
        }
    }
}
