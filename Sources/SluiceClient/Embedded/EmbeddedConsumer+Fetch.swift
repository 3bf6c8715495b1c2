import SluiceGroups
import SluiceLog
import Synchronization

/// Fetching from the owned partitions and the positions it reads from: where a newly owned
/// partition starts (committed offset or `auto.offset.reset`), seeks, and commits.
extension EmbeddedConsumer {
    /// One pass over the owned, unpaused partitions that have records past their position,
    /// starting one partition later each call (so none starves), within `fetch.max.bytes` and
    /// `max.poll.records`. A position moved by a seek or revoke meanwhile is left alone.
    ///
    /// Each read asks for about the bytes the records still wanted take (from the partition's
    /// last fetch, with a margin), within `max.partition.fetch.bytes`: reading, checking and
    /// copying a whole megabyte for the few batches a poll keeps would cost more than
    /// processing them. Batches are never split, and a read returns at least one.
    func fetch() throws -> ConsumerRecords {
        try initializePositions()
        let plan = state.withLock { s -> [(TopicPartition, Partition, Int64, Double)] in
            guard !s.order.isEmpty else { return [] }
            var plan: [(TopicPartition, Partition, Int64, Double)] = []
            for i in 0..<s.order.count {
                let tp = s.order[(s.cursor + i) % s.order.count]
                guard !s.paused.contains(tp), let owned = s.owned[tp], let position = owned.position else { continue }
                if owned.partition.highWatermark > position { plan.append((tp, owned.partition, position, owned.bytesPerRecord)) }
            }
            s.cursor = (s.cursor + 1) % s.order.count
            return plan
        }
        var result = ConsumerRecords()
        var bytesLeft = configuration.fetchMaxBytes
        var recordsLeft = configuration.maxPollRecords
        for (tp, partition, position, bytesPerRecord) in plan {
            guard bytesLeft > 0, recordsLeft > 0 else { break }
            var maxBytes = min(configuration.maxPartitionFetchBytes, bytesLeft)
            // In floating point: `max.poll.records` may be as large as `Int.max`.
            let wanted = bytesPerRecord * Double(recordsLeft) * 1.25
            if bytesPerRecord > 0, wanted < Double(maxBytes) {
                maxBytes = min(maxBytes, max(Self.minimumReadBytes, Int(wanted)))
            }
            let fetched: FetchResult
            do {
                fetched = try partition.read(from: position, maxBytes: maxBytes)
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
                if count > 0 { s.owned[tp]?.bytesPerRecord = Double(kept) / Double(count) }
                return true
            }
            guard advanced else { continue }
            result.partitions.append(
                // `Partition.read` checked every batch's CRC (it never serves a damaged one).
                ConsumerRecords.PartitionRecords(
                    partition: tp, batches: batches, fromOffset: position, nextOffset: next, count: count, crcChecked: true))
            bytesLeft -= batches.count
            recordsLeft -= count
        }
        return result
    }

    /// The smallest read `fetch` asks for once it knows a partition's record size.
    static var minimumReadBytes: Int { 64 << 10 }

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
}
