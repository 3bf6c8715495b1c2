import SluiceGroups
import SluiceLog
import Synchronization

/// The client side of the classic group protocol: JoinGroup and SyncGroup as steps of a state
/// machine advanced from `poll`, the leader's assignment, taking and giving up partitions, and
/// the heartbeats (and poll-timeout leave) sent from the backend's heartbeat thread.
extension EmbeddedConsumer {
    /// Advances the group protocol as far as it can go without waiting.
    func driveGroup() throws {
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
                    if error.code == .memberIdRequired { s.memberId = response.memberId }
                    try Self.restartJoin(after: error, &s)
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
                    try Self.restartJoin(after: error, &s)
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

    /// A failed JoinGroup or SyncGroup: back to `unjoined` to try again, as Kafka's consumer
    /// does for the retriable codes (25 also forgets the member id and its partitions); any
    /// other code is the application's to see, and FENCED_INSTANCE_ID for good.
    private static func restartJoin(after error: GroupError, _ s: inout State) throws {
        s.phase = .unjoined
        switch error.code {
        case .memberIdRequired, .rebalanceInProgress, .illegalGeneration:
            return
        case .unknownMemberId:
            s.memberId = ""
            s.generationId = -1
            s.ownedLost = true
        case .fencedInstanceId:
            s.fatal = error
            throw ConsumerError.group(error)
        default:
            throw ConsumerError.group(error)
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
}
