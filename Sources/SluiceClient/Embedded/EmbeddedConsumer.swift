import Foundation
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
final class EmbeddedConsumer: ConsumerBackend, @unchecked Sendable {  // mutable state lives in `state`
    let log: LogManager
    let coordinator: GroupCoordinator
    let configuration: ConsumerConfiguration
    let clientHost = "/127.0.0.1"
    private let signal = DataSignal()
    private let assignors: [String: any PartitionAssignor]
    private let rebalanceProtocol: RebalanceProtocol
    private let state = Mutex(State())
    private weak var heartbeats: EmbeddedBackend?

    private enum Phase {
        case unjoined
        case joining
        case joined(JoinGroupResponse)
        case syncing
        case synced(SyncGroupResponse)
        case stable
    }

    private struct Owned {
        var partition: Partition
        var position: Int64?
    }

    private struct State {
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

    init(log: LogManager, coordinator: GroupCoordinator, configuration: ConsumerConfiguration, heartbeats: EmbeddedBackend) throws {
        self.log = log
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

    private var now: Int64 { coordinator.configuration.clock() }

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

    func assign(_ partitions: [TopicPartition]) throws {
        var opened: [(TopicPartition, Partition)] = []
        for tp in partitions {
            do { opened.append((tp, try log.partition(tp.topic, tp.partition))) } catch { throw ConsumerError.wrap(error) }
        }
        try state.withLock { s in
            guard !s.closed else { throw ConsumerError.closed }
            guard s.subscription == nil else { throw ConsumerError.invalidState("the consumer is subscribed; assign needs an unsubscribed consumer") }
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

    /// Advances the group protocol as far as it can go without waiting.
    private func driveGroup() throws {
        while true {
            let step = try nextStep()
            switch step {
            case .none:
                return
            case .again:
                continue
            case .revoke(let partitions, let lost, let then):
                if !partitions.isEmpty {
                    try state.withLock { $0.onRebalance }?(lost ? .lost(partitions) : .revoked(partitions))
                    release(partitions)
                }
                if let then { sendJoin(then) }
            case .sync(let request):
                sendSync(request)
            case .apply(let assignment):
                try apply(assignment)
            }
        }
    }

    private enum Step {
        case none
        /// The state changed; look again.
        case again
        /// Give up partitions (calling the listener), then optionally send this JoinGroup.
        case revoke([TopicPartition], lost: Bool, then: JoinGroupRequest?)
        case sync(SyncGroupRequest)
        case apply([TopicPartition])
    }

    private func nextStep() throws -> Step {
        try state.withLock { s throws -> Step in
            guard s.subscription != nil, !s.closed else { return .none }
            if let fatal = s.fatal { throw ConsumerError.group(fatal) }
            if case .stable = s.phase, !s.assignedPartitionCounts.isEmpty, now - s.lastMetadataCheckMs >= 200 {
                s.lastMetadataCheckMs = now
                for (topic, count) in s.assignedPartitionCounts where (try? log.partitionCount(topic)).map(Int32.init) != count {
                    s.rejoinNeeded = true
                }
            }
            if case .stable = s.phase, s.rejoinNeeded { s.phase = .unjoined }
            switch s.phase {
            case .joining, .syncing:
                return .none
            case .stable:
                return .none
            case .unjoined:
                s.rejoinNeeded = false
                let owned = s.order
                if s.ownedLost && !owned.isEmpty {
                    s.ownedLost = false
                    return .revoke(owned, lost: true, then: nil)
                }
                s.ownedLost = false
                if rebalanceProtocol == .eager && !owned.isEmpty {
                    return .revoke(owned, lost: false, then: nil)
                }
                s.attempt += 1
                s.phase = .joining
                return .revoke([], lost: false, then: joinRequest(s))
            case .joined(let response):
                if let error = response.error {
                    s.phase = .unjoined
                    switch error.code {
                    case .memberIdRequired:
                        s.memberId = response.memberId
                    case .unknownMemberId:
                        s.memberId = ""
                        s.generationId = -1
                        s.ownedLost = true
                    case .rebalanceInProgress, .illegalGeneration:
                        break
                    case .fencedInstanceId:
                        s.fatal = error
                        throw ConsumerError.group(error)
                    default:
                        throw ConsumerError.group(error)
                    }
                    return .again
                }
                s.memberId = response.memberId
                s.generationId = response.generationId
                s.protocolName = response.protocolName
                var assignments: [String: [UInt8]] = [:]
                s.assignedPartitionCounts = [:]
                if response.isLeader && !response.skipAssignment {
                    (assignments, s.assignedPartitionCounts) = try assign(response)
                }
                s.phase = .syncing
                s.attempt += 1
                return .sync(
                    SyncGroupRequest(
                        groupId: configuration.groupId ?? "", generationId: response.generationId, memberId: response.memberId,
                        groupInstanceId: configuration.groupInstanceId, protocolType: SluiceGroups.consumerProtocolType,
                        protocolName: response.protocolName, assignments: assignments))
            case .synced(let response):
                if let error = response.error {
                    s.phase = .unjoined
                    switch error.code {
                    case .unknownMemberId:
                        s.memberId = ""
                        s.generationId = -1
                        s.ownedLost = true
                    case .rebalanceInProgress, .illegalGeneration:
                        break
                    case .fencedInstanceId:
                        s.fatal = error
                        throw ConsumerError.group(error)
                    default:
                        throw ConsumerError.group(error)
                    }
                    return .again
                }
                let assigned: [TopicPartition]
                do {
                    assigned = response.assignment.isEmpty ? [] : try ConsumerProtocol.Assignment(decoding: response.assignment).partitions
                } catch {
                    s.phase = .unjoined
                    throw ConsumerError.invalidState("the group leader sent an assignment that does not decode: \(error)")
                }
                s.phase = .stable
                s.lastHeartbeatMs = now
                return .apply(assigned)
            }
        }
    }

    private func joinRequest(_ s: State) -> JoinGroupRequest {
        let owned = rebalanceProtocol == .cooperative ? s.order.sorted() : []
        let subscription = ConsumerProtocol.Subscription(
            topics: s.subscription ?? [], ownedPartitions: ConsumerProtocol.TopicPartitions.grouping(owned), generationId: s.generationId)
        let metadata = (try? subscription.encoded()) ?? []
        return JoinGroupRequest(
            groupId: configuration.groupId ?? "", memberId: s.memberId, groupInstanceId: configuration.groupInstanceId,
            clientId: configuration.clientId, clientHost: clientHost, sessionTimeoutMs: configuration.sessionTimeoutMs,
            rebalanceTimeoutMs: configuration.maxPollIntervalMs, protocolType: SluiceGroups.consumerProtocolType,
            protocols: configuration.partitionAssignmentStrategy.map { GroupProtocol(name: $0, metadata: metadata) })
    }

    private func sendJoin(_ request: JoinGroupRequest) {
        let attempt = state.withLock { $0.attempt }
        coordinator.joinGroup(request) { [weak self] response in
            guard let self else { return }
            self.state.withLock { s in
                guard s.attempt == attempt, case .joining = s.phase else { return }
                s.phase = .joined(response)
            }
            self.signal.notify()
        }
    }

    private func sendSync(_ request: SyncGroupRequest) {
        let attempt = state.withLock { $0.attempt }
        coordinator.syncGroup(request) { [weak self] response in
            guard let self else { return }
            self.state.withLock { s in
                guard s.attempt == attempt, case .syncing = s.phase else { return }
                s.phase = .synced(response)
            }
            self.signal.notify()
        }
    }

    /// The leader's job: run the chosen assignor over every member's subscription.
    private func assign(_ response: JoinGroupResponse) throws -> (blobs: [String: [UInt8]], partitionCounts: [String: Int32]) {
        guard let name = response.protocolName, let assignor = assignors[name] else {
            throw ConsumerError.invalidState("the group chose assignor \(response.protocolName ?? "none"), which this consumer does not have")
        }
        var members: [AssignorMember] = []
        for member in response.members {
            do {
                let subscription = try ConsumerProtocol.Subscription(decoding: member.metadata)
                members.append(AssignorMember(memberId: member.memberId, groupInstanceId: member.groupInstanceId, subscription: subscription))
            } catch {
                // A member whose subscription does not decode gets nothing (and is listed, so it gets an empty assignment).
                members.append(AssignorMember(memberId: member.memberId, groupInstanceId: member.groupInstanceId, topics: []))
            }
        }
        var partitionsPerTopic: [String: Int32] = [:]
        for topic in Set(members.flatMap(\.topics)) {
            if let count = try? log.partitionCount(topic) { partitionsPerTopic[topic] = Int32(count) }
        }
        var blobs: [String: [UInt8]] = [:]
        for (member, partitions) in assignor.assign(members: members, partitionsPerTopic: partitionsPerTopic) {
            blobs[member] = (try? ConsumerProtocol.Assignment(partitions: partitions).encoded()) ?? []
        }
        return (blobs, partitionsPerTopic)
    }

    /// Takes a new assignment: cooperative members first give up what moved (and rejoin so the
    /// others can have it); everyone then starts on what is new.
    private func apply(_ assigned: [TopicPartition]) throws {
        let target = Set(assigned)
        let revoked = state.withLock { s in s.order.filter { !target.contains($0) } }
        if !revoked.isEmpty {
            try state.withLock { $0.onRebalance }?(.revoked(revoked))
            release(revoked)
            state.withLock { $0.rejoinNeeded = true }
        }
        var opened: [(TopicPartition, Partition)] = []
        for tp in assigned.sorted() where state.withLock({ $0.owned[tp] == nil }) {
            do { opened.append((tp, try log.partition(tp.topic, tp.partition))) } catch { continue }  // deleted since
        }
        state.withLock { s in
            for (tp, partition) in opened {
                s.owned[tp] = Owned(partition: partition, position: nil)
                s.order.append(tp)
                partition.watch(signal)
            }
        }
        try state.withLock { $0.onRebalance }?(.assigned(opened.map(\.0)))
    }

    private func release(_ partitions: [TopicPartition]) {
        state.withLock { s in
            for tp in partitions {
                s.owned.removeValue(forKey: tp)?.partition.unwatch(signal)
                s.paused.remove(tp)
            }
            let gone = Set(partitions)
            s.order.removeAll { gone.contains($0) }
            s.cursor = 0
        }
    }

    // MARK: Fetch

    private func fetch() throws -> ConsumerRecords {
        try initializePositions()
        let plan = state.withLock { s -> [(TopicPartition, Partition, Int64)] in
            guard !s.order.isEmpty else { return [] }
            var plan: [(TopicPartition, Partition, Int64)] = []
            for i in 0..<s.order.count {
                let tp = s.order[(s.cursor + i) % s.order.count]
                guard !s.paused.contains(tp), let owned = s.owned[tp], let position = owned.position else { continue }
                if owned.partition.highWatermark > position { plan.append((tp, owned.partition, position)) }
            }
            s.cursor = (s.cursor + 1) % s.order.count
            return plan
        }
        var result = ConsumerRecords()
        var bytesLeft = configuration.fetchMaxBytes
        var recordsLeft = configuration.maxPollRecords
        for (tp, partition, position) in plan {
            guard bytesLeft > 0, recordsLeft > 0 else { break }
            let fetched: FetchResult
            do {
                fetched = try partition.read(from: position, maxBytes: min(configuration.maxPartitionFetchBytes, bytesLeft))
            } catch let error as LogError where error.kind == .offsetOutOfRange {
                try resetPosition(tp, partition, because: error.message)
                continue
            } catch {
                throw ConsumerError.wrap(error)
            }
            guard !fetched.records.isEmpty else { continue }
            var batches = fetched.records
            let (count, next, kept) = try ConsumerRecords.scan(batches, from: position, maxRecords: recordsLeft)
            if kept < batches.count { batches.removeSubrange(kept...) }
            let advanced = state.withLock { s in
                guard s.owned[tp]?.position == position else { return false }  // seeked or revoked meanwhile
                s.owned[tp]?.position = next
                return true
            }
            guard advanced else { continue }
            result.partitions.append(
                ConsumerRecords.PartitionRecords(partition: tp, batches: batches, fromOffset: position, nextOffset: next, count: count))
            bytesLeft -= batches.count
            recordsLeft -= count
        }
        return result
    }

    /// Gives every newly owned partition its starting point: the committed offset, else
    /// `auto.offset.reset`. A committed offset outside the log is reset as Kafka does.
    private func initializePositions() throws {
        let pending = state.withLock { s in s.order.filter { s.owned[$0]?.position == nil } }
        guard !pending.isEmpty else { return }
        let committed = configuration.groupId.map { coordinator.committedOffsets(groupId: $0, partitions: pending) } ?? [:]
        for tp in pending {
            guard let partition = state.withLock({ $0.owned[tp]?.partition }) else { continue }
            if let offset = committed[tp]?.offset, offset >= partition.logStartOffset, offset <= partition.highWatermark {
                state.withLock { $0.owned[tp]?.position = offset }
            } else {
                try resetPosition(
                    tp, partition,
                    because: committed[tp].map { "committed offset \($0.offset) is outside the log" } ?? "the group has no committed offset")
            }
        }
    }

    private func resetPosition(_ tp: TopicPartition, _ partition: Partition, because reason: String) throws {
        let offset: Int64
        switch configuration.autoOffsetReset {
        case .earliest: offset = partition.logStartOffset
        case .latest: offset = partition.highWatermark
        case .none: throw ConsumerError.noOffset(tp, reason)
        }
        state.withLock { $0.owned[tp]?.position = offset }
    }

    // MARK: Positions and commits

    func seek(_ tp: TopicPartition, to target: SeekPosition) throws {
        guard let partition = state.withLock({ $0.owned[tp]?.partition }) else {
            throw ConsumerError.notAssigned(tp, "seek needs an owned partition")
        }
        let offset: Int64
        switch target {
        case .offset(let value):
            guard value >= 0 else { throw ConsumerError.log(LogError(.offsetOutOfRange, "cannot seek \(tp) to negative offset \(value)")) }
            offset = value
        case .beginning: offset = partition.logStartOffset
        case .end: offset = partition.highWatermark
        case .timestamp(let ms):
            do { offset = try partition.offset(forTimestamp: ms) ?? partition.highWatermark } catch { throw ConsumerError.wrap(error) }
        }
        state.withLock { $0.owned[tp]?.position = offset }
    }

    func position(_ tp: TopicPartition) throws -> Int64 {
        guard state.withLock({ $0.owned[tp] != nil }) else { throw ConsumerError.notAssigned(tp, "position needs an owned partition") }
        try initializePositions()
        guard let position = state.withLock({ $0.owned[tp]?.position }) else {
            throw ConsumerError.notAssigned(tp, "the partition was revoked")
        }
        return position
    }

    func committed(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        guard let groupId = configuration.groupId else { throw ConsumerError.invalidState("committed offsets need a group id") }
        return coordinator.committedOffsets(groupId: groupId, partitions: partitions).mapValues(\.offset)
    }

    func commit(_ offsets: [TopicPartition: Int64]) throws {
        guard !offsets.isEmpty else { return }
        guard let groupId = configuration.groupId, !groupId.isEmpty else {
            throw ConsumerError.invalidState("commits need a group id (ConsumerConfiguration.groupId)")
        }
        let identity = try state.withLock { s throws -> CommitIdentity in
            guard s.subscription != nil else { return .standalone }
            // Java's consumer refuses this client-side too: a member without a generation (it
            // timed out, was fenced, or never joined) must not commit as a standalone client.
            guard !s.memberId.isEmpty, s.generationId >= 0, !s.ownedLost else {
                throw ConsumerError.group(
                    GroupError(.unknownMemberId, "this consumer is not a current member of \(groupId) (it timed out or was fenced); rejoin by polling"))
            }
            for tp in offsets.keys where s.owned[tp] == nil {
                throw ConsumerError.notAssigned(tp, "a group member commits only partitions it owns (it owns \(s.order.sorted()))")
            }
            return CommitIdentity(generationId: s.generationId, memberId: s.memberId, groupInstanceId: configuration.groupInstanceId)
        }
        do {
            try coordinator.commitOffsets(
                groupId: groupId, identity: identity, offsets: offsets.mapValues { GroupCoordinator.OffsetAndMetadata(offset: $0) })
        } catch {
            if error.code.requiresRejoin {
                state.withLock { s in
                    s.rejoinNeeded = true
                    if error.code != .rebalanceInProgress { s.ownedLost = true }
                    if error.code == .unknownMemberId {
                        s.memberId = ""
                        s.generationId = -1
                    }
                }
            }
            throw ConsumerError.group(error)
        }
    }

    // MARK: Liveness

    /// Called by the backend's heartbeat thread: sends a heartbeat when due, and leaves the
    /// group when the application stopped polling for `max.poll.interval.ms`.
    func heartbeatIfDue() {
        enum Action { case none, heartbeat(String, Int32), leave(String) }
        let time = now
        let action = state.withLock { s -> Action in
            guard !s.closed, s.subscription != nil, case .stable = s.phase, !s.memberId.isEmpty else { return .none }
            if time - s.lastPollMs > Int64(configuration.maxPollIntervalMs) {
                let id = s.memberId
                s.memberId = ""
                s.generationId = -1
                s.ownedLost = true
                s.rejoinNeeded = true
                return .leave(id)
            }
            guard time - s.lastHeartbeatMs >= Int64(configuration.heartbeatIntervalMs) else { return .none }
            s.lastHeartbeatMs = time
            return .heartbeat(s.memberId, s.generationId)
        }
        switch action {
        case .none:
            return
        case .leave(let id):
            // Kafka: "consumer poll timeout has expired"; the partitions go to the others.
            try? coordinator.leaveGroup(groupId: configuration.groupId ?? "", memberId: id, groupInstanceId: configuration.groupInstanceId)
        case .heartbeat(let id, let generation):
            do {
                try coordinator.heartbeat(
                    groupId: configuration.groupId ?? "", memberId: id, groupInstanceId: configuration.groupInstanceId, generationId: generation)
            } catch {
                state.withLock { s in
                    guard s.memberId == id else { return }
                    switch error.code {
                    case .rebalanceInProgress:
                        s.rejoinNeeded = true
                    case .unknownMemberId, .illegalGeneration:
                        s.rejoinNeeded = true
                        s.ownedLost = true
                        if error.code == .unknownMemberId {
                            s.memberId = ""
                            s.generationId = -1
                        }
                    case .fencedInstanceId:
                        s.fatal = error
                    default:
                        break
                    }
                }
            }
        }
        signal.notify()
    }

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
