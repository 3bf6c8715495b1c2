import SluiceGroups
import SluiceLog
import Synchronization

/// A consumer of the embedded log: the client half of Kafka's classic group protocol (what the
/// Java `ConsumerCoordinator` and librdkafka's cgrp do) talking to the in-process
/// `GroupCoordinator`, plus fetching straight from the partitions.
///
/// The group protocol is driven from `poll`, never from a background thread, so rebalance
/// callbacks run on the polling thread between batches (a commit-on-revoke sees every record the
/// application finished). A join that waits for other members does not block `poll` past its
/// timeout: the answer is picked up by a later `poll`, so one thread may drive several consumers.
/// The backend's heartbeat thread only keeps the session alive and flags rebalances.
///
/// Invariants:
/// - A partition is fetched only while owned; its position is set (from the committed offset or
///   `auto.offset.reset`) before its first fetch.
/// - Commits carry the generation and member id the coordinator knows; when it answers that
///   they are stale, the consumer rejoins and treats its partitions as lost (never commits them).
///
/// This file holds the state, subscribe/assign, the poll loop and close; the group protocol is in
/// `EmbeddedConsumer+Membership.swift`, fetching and positions in `EmbeddedConsumer+Fetch.swift`.
/// The state is internal rather than private only so those extensions can reach it.
final class EmbeddedConsumer: ConsumerBackend, @unchecked Sendable {  // mutable state lives in `state`
    let log: LogManager
    let coordinator: GroupCoordinator
    let configuration: ConsumerConfiguration
    let clientHost = "/127.0.0.1"
    /// Notified by the watched partitions, group responses, heartbeats and `wakeup()`; forwards
    /// to the wake-up it was made with (`EmbeddedBackend.notifying(_:)`).
    let signal: DataSignal
    let assignors: [String: any PartitionAssignor]
    let rebalanceProtocol: RebalanceProtocol
    let state = Mutex(State())
    private weak var heartbeats: EmbeddedBackend?

    enum Phase {
        case unjoined
        case joining
        case joined(JoinGroupResponse)
        case syncing
        case synced(SyncGroupResponse)
        case stable
    }

    struct Owned {
        var partition: Partition
        var position: Int64?
        /// Stored bytes per record in this partition's last fetch (0 before the first): sizes
        /// the next read to about what `max.poll.records` leaves room for.
        var bytesPerRecord = 0.0
    }

    struct State {
        var subscription: [String]?
        var onRebalance: (@Sendable (RebalanceEvent) throws -> Void)?
        var owned: [TopicPartition: Owned] = [:]
        var order: [TopicPartition] = []
        var cursor = 0
        var paused: Set<TopicPartition> = []
        var phase = Phase.unjoined
        /// Tells answers of abandoned requests apart from the current one.
        var attempt: UInt64 = 0
        var memberId = ""
        var generationId: Int32 = -1
        var protocolName: String?
        var rejoinNeeded = false
        /// The partition counts the leader assigned from; a change (`topics alter --partitions`)
        /// means a new assignment is due (Kafka's leader rejoins on a metadata change).
        var assignedPartitionCounts: [String: Int32] = [:]
        var lastMetadataCheckMs: Int64 = 0
        /// Owned partitions were taken away (session or poll timeout, fenced): revoke without committing.
        var ownedLost = false
        var fatal: GroupError?
        var lastPollMs: Int64 = 0
        var lastHeartbeatMs: Int64 = 0
        var woken = false
        var closed = false
    }

    init(
        log: LogManager, coordinator: GroupCoordinator, configuration: ConsumerConfiguration, heartbeats: EmbeddedBackend,
        wakeups: DataSignal? = nil
    ) throws {
        self.log = log
        signal = DataSignal(forwardingTo: wakeups)
        self.coordinator = coordinator
        self.configuration = configuration
        self.heartbeats = heartbeats
        let known: [any PartitionAssignor] = [RangeAssignor(), RoundRobinAssignor(), CooperativeStickyAssignor()]
        var assignors: [String: any PartitionAssignor] = [:]
        for name in configuration.partitionAssignmentStrategy {
            guard let assignor = known.first(where: { $0.name == name }) else {
                throw ConsumerError.invalidState(
                    "partition.assignment.strategy lists '\(name)'; known assignors are \(known.map(\.name).joined(separator: ", "))")
            }
            assignors[name] = assignor
        }
        guard !assignors.isEmpty else { throw ConsumerError.invalidState("partition.assignment.strategy is empty") }
        self.assignors = assignors
        // Kafka: cooperative only if every configured assignor supports it.
        rebalanceProtocol = assignors.values.allSatisfy { $0.rebalanceProtocol == .cooperative } ? .cooperative : .eager
        state.withLock { $0.lastPollMs = coordinator.configuration.clock() }
    }

    var now: Int64 { coordinator.configuration.clock() }

    // MARK: Subscription

    func subscribe(_ topics: [String], onRebalance: @escaping @Sendable (RebalanceEvent) throws -> Void) throws {
        guard configuration.groupId?.isEmpty == false else {
            throw ConsumerError.invalidState("subscribe needs a group id (ConsumerConfiguration.groupId, Kafka's group.id)")
        }
        guard !topics.isEmpty else { throw ConsumerError.invalidState("subscribe needs at least one topic") }
        for topic in topics {
            do { _ = try log.partitionCount(topic) } catch { throw ConsumerError.wrap(error) }
        }
        try state.withLock { s in
            guard !s.closed else { throw ConsumerError.closed }
            guard s.subscription == nil && s.owned.isEmpty else {
                throw ConsumerError.invalidState("the consumer already has a subscription or an assignment")
            }
            s.subscription = topics.sorted()
            s.onRebalance = onRebalance
        }
        heartbeats?.register(self)
    }

    /// Replaces the assignment (Kafka's `assign` is not incremental). Every partition is
    /// opened before anything changes, so a missing one leaves the assignment as it was.
    func assign(_ partitions: [TopicPartition]) throws {
        var target = Set<TopicPartition>()
        var opened: [(TopicPartition, Partition)] = []
        for tp in partitions where target.insert(tp).inserted {
            do { opened.append((tp, try log.partition(tp.topic, tp.partition))) } catch { throw ConsumerError.wrap(error) }
        }
        try state.withLock { s in
            guard !s.closed else { throw ConsumerError.closed }
            guard s.subscription == nil else { throw ConsumerError.invalidState("the consumer is subscribed; assign needs an unsubscribed consumer") }
            for tp in s.order where !target.contains(tp) {
                s.owned.removeValue(forKey: tp)?.partition.unwatch(signal)
                s.paused.remove(tp)
            }
            s.order.removeAll { !target.contains($0) }
            s.cursor = 0
            for (tp, partition) in opened where s.owned[tp] == nil {
                s.owned[tp] = Owned(partition: partition, position: nil)
                s.order.append(tp)
                partition.watch(signal)
            }
        }
    }

    var assignment: Set<TopicPartition> { state.withLock { Set($0.owned.keys) } }
    var paused: Set<TopicPartition> { state.withLock { $0.paused } }

    var groupMetadata: ConsumerGroupMetadata? {
        guard let groupId = configuration.groupId else { return nil }
        return state.withLock { s in
            ConsumerGroupMetadata(
                groupId: groupId, generationId: s.generationId, memberId: s.memberId, groupInstanceId: configuration.groupInstanceId)
        }
    }

    func pause(_ partitions: [TopicPartition]) {
        state.withLock { s in for tp in partitions where s.owned[tp] != nil { s.paused.insert(tp) } }
    }

    func resume(_ partitions: [TopicPartition]) {
        state.withLock { s in for tp in partitions { s.paused.remove(tp) } }
        signal.notify()
    }

    func wakeup() {
        state.withLock { $0.woken = true }
        signal.notify()
    }

    // MARK: Poll

    func poll(timeoutMs: Int) throws -> ConsumerRecords {
        let deadline = now + Int64(max(timeoutMs, 0))
        try state.withLock { s in
            guard !s.closed else { throw ConsumerError.closed }
            s.lastPollMs = now
        }
        while true {
            try driveGroup()
            let records = try fetch()
            if !records.isEmpty { return records }
            let remaining = deadline - now
            let woken = state.withLock { s in
                defer { s.woken = false }
                return s.woken
            }
            if remaining <= 0 || woken { return .empty }
            signal.wait(timeoutMs: Int(log.isReadOnly ? min(remaining, 50) : remaining))
            if log.isReadOnly {
                for partition in state.withLock({ $0.owned.values.map(\.partition) }) { try? partition.refresh() }
            }
        }
    }

    // MARK: Close

    func close() throws {
        let subscribed = state.withLock { s in s.subscription != nil && !s.closed }
        var failure: (any Error)?
        if subscribed {
            let owned = state.withLock { $0.order }
            let lost = state.withLock { $0.ownedLost }
            if !owned.isEmpty {
                do { try state.withLock { $0.onRebalance }?(lost ? .lost(owned) : .revoked(owned)) } catch { failure = error }
            }
            let id = state.withLock { $0.memberId }
            // Static members keep their place for the session timeout (KIP-345): no LeaveGroup.
            if !id.isEmpty && configuration.groupInstanceId == nil {
                try? coordinator.leaveGroup(groupId: configuration.groupId ?? "", memberId: id)
            }
        }
        heartbeats?.deregister(self)
        state.withLock { s in
            for owned in s.owned.values { owned.partition.unwatch(signal) }
            s.owned = [:]
            s.order = []
            s.closed = true
            s.attempt += 1
        }
        signal.notify()
        if let failure { throw failure }
    }
}
