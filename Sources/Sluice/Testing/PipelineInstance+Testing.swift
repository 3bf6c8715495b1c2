import SluiceClient
public import SluiceGroups

/// What a deterministic test driver needs from a running instance besides `step`: its state
/// stores, which partitions its members own, and holding those partitions still while a
/// rebalance is arranged. Everything here runs on the thread that steps the instance.
extension PipelineInstance {
    /// The contents of every state store of this instance's tasks.
    ///
    /// Tasks start when the first record of their partition arrives; this first starts the tasks
    /// of every owned partition that has none yet, which restores their stores from the
    /// changelogs exactly as that first record would (nothing is written or committed).
    @_spi(Testing) public func stateStores() throws -> [StateStoreContents] {
        var contents: [StateStoreContents] = []
        for member in members {
            for tp in member.consumer.assignment.sorted() { _ = try member.tasks.handler(for: tp) }
            for (partition, store) in member.stores() {
                guard let store = store as? any InspectableStateStore else { continue }
                contents.append(store.contents(branch: member.branch.group, partition: partition))
            }
        }
        return contents
    }

    /// The partitions `group`'s members in this instance own (as of their last poll).
    @_spi(Testing) public func assignment(of group: String) -> Set<TopicPartition> {
        members.filter { $0.branch.group == group }.reduce(into: []) { $0.formUnion($1.consumer.assignment) }
    }

    /// The topics `group`'s members subscribe to: the branch's sources and repartition topics.
    @_spi(Testing) public func subscribedTopics(of group: String) -> [String] {
        members.first { $0.branch.group == group }?.tasks.topics ?? []
    }

    /// Stops fetching from every owned partition until `resumeAll()` or until the partition is
    /// revoked (a new assignment starts unpaused), so that nothing is processed while a
    /// rebalance is under way.
    @_spi(Testing) public func pauseAll() {
        for member in members { member.consumer.pause(Array(member.consumer.assignment)) }
    }

    /// Fetches again from every paused partition.
    @_spi(Testing) public func resumeAll() {
        for member in members { member.consumer.resume(Array(member.consumer.paused)) }
    }
}
