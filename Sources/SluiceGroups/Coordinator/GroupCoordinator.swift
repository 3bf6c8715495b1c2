public import SluiceLog
import Foundation
import Synchronization

/// The consumer-group coordinator: Kafka's classic group protocol (JoinGroup, SyncGroup,
/// Heartbeat, LeaveGroup), offset commits fenced by generation and member, and the admin views
/// (list, describe, lag, delete). Embedded consumers call it directly; the Kafka-protocol broker
/// maps network requests onto the same methods, so both see the same states and error codes.
///
/// Guarantees:
/// - A commit is validated and made durable under its group's lock: once a newer generation has
///   formed, a commit from an older one (a zombie) is rejected, never written.
/// - `commitOffsets` is all or nothing: one invalid partition rejects the whole request and
///   nothing is written.
/// - A committed offset never exceeds its partition's high watermark (clamped on recovery,
///   rejected on commit), so lag is never negative.
/// - Timeouts (session, rebalance, sync, initial delay, new-member join, pending member ids)
///   fire from `tick()`, which the coordinator's own timer thread calls (`startTimer`) or a test
///   calls with a manual clock.
///
/// Thread-safety: any threads. One lock per group; answers to parked JoinGroup/SyncGroup requests
/// are delivered after that lock is released, on the thread that completed the phase.
public final class GroupCoordinator: Sendable {
    public struct Configuration: Sendable {
        /// `group.initial.rebalance.delay.ms`. Kafka's broker default is 3000 so that a fleet of
        /// starting consumers lands in one generation; embedded members all live in one process
        /// and join within microseconds, so the embedded default is 0.
        public var initialRebalanceDelayMs: Int64 = 0
        /// How many members a group's first generation waits for: once that many wait in
        /// JoinGroup, the initial rebalance completes without waiting out
        /// `initialRebalanceDelayMs`. For a process that knows how many members it starts (a
        /// pipeline's stream threads each join every branch's group at once); nil leaves it to
        /// the delay, as in Kafka. Members beyond the count still join (with a rebalance).
        public var initialRebalanceMembers: Int?
        /// `group.min.session.timeout.ms` / `group.max.session.timeout.ms`.
        public var minSessionTimeoutMs: Int32 = 6_000
        public var maxSessionTimeoutMs: Int32 = 1_800_000
        /// `group.max.size`.
        public var maxGroupSize: Int = .max
        /// How long a new member may wait in its first JoinGroup before it is dropped (Kafka's
        /// `classicGroupNewMemberJoinTimeoutMs`, 5 minutes): such a member cannot heartbeat, and a
        /// client that timed out and retried would otherwise leave a defunct member behind.
        public var newMemberJoinTimeoutMs: Int64 = 300_000
        /// `offsets.retention.minutes` (7 days) in ms: offsets of a group without members expire
        /// this long after the group became empty (or after the commit, if later).
        public var offsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
        /// `offsets.retention.check.interval.ms`.
        public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
        /// `offset.metadata.max.bytes`.
        public var maxMetadataBytes: Int = 4096
        /// `offsets.topic.num.partitions`, used when `__consumer_offsets` is created. Kafka's 50
        /// spread coordinators over brokers; one embedded node only needs a few for parallel
        /// fsyncs, and creating 50 partitions makes the first start slow.
        public var offsetsTopicPartitions: Int32 = 8
        /// How often the timer thread (`startTimer`) fires: the resolution of the rebalance delay
        /// and of the session, join and sync deadlines.
        public var timerIntervalMs: Int = 50
        /// Milliseconds; injectable so tests drive timeouts deterministically.
        public var clock: @Sendable () -> Int64 = LogManager.systemClock

        public init() {}
    }

    public let configuration: Configuration
    public let offsetStore: OffsetStore
    private let log: LogManager
    private let groups = Mutex<[String: Group]>([:])
    private let lastExpiryCheck: Mutex<Int64>
    private let timer = Mutex<TimerThread?>(nil)

    /// One group and its lock.
    private final class Group: Sendable {
        let state: Mutex<ClassicGroup>
        init(_ group: ClassicGroup) { state = Mutex(group) }
    }

    /// Opens the coordinator over `log`, replaying `__consumer_offsets` (created when missing,
    /// unless the log is read-only).
    public init(log: LogManager, configuration: Configuration = Configuration()) throws {
        self.log = log
        self.configuration = configuration
        self.offsetStore = try OffsetStore(log: log, partitionCount: configuration.offsetsTopicPartitions)
        self.lastExpiryCheck = Mutex(configuration.clock())
    }

    private var now: Int64 { configuration.clock() }

    private func group(_ id: String, create: Bool) -> Group? {
        groups.withLock { groups in
            if let group = groups[id] { return group }
            guard create else { return nil }
            let group = Group(
                ClassicGroup(
                    groupId: id, initialRebalanceDelayMs: configuration.initialRebalanceDelayMs,
                    initialRebalanceMembers: configuration.initialRebalanceMembers, newMemberJoinTimeoutMs: configuration.newMemberJoinTimeoutMs))
            groups[id] = group
            return group
        }
    }

    private func withGroup<T, E: Error>(_ group: Group, _ body: (inout ClassicGroup, inout Outbox) throws(E) -> T) throws(E) -> T {
        var outbox: Outbox = []
        defer { for deliver in outbox { deliver() } }
        return try group.state.withLock { (state: inout ClassicGroup) throws(E) -> T in try body(&state, &outbox) }
    }

    // MARK: Membership

    /// JoinGroup. `respond` is called exactly once: at once for errors and repeated joins, or
    /// when the join phase completes (every member rejoined, or the rebalance timeout passed).
    public func joinGroup(_ request: JoinGroupRequest, respond: @escaping @Sendable (JoinGroupResponse) -> Void) {
        if let error = validateGroupId(request.groupId) ?? validateSessionTimeout(request.sessionTimeoutMs) {
            return respond(.failure(error, memberId: request.memberId))
        }
        // Only a member without an id creates the group (Kafka: a known member id for a group
        // that does not exist is UNKNOWN_MEMBER_ID).
        guard let group = group(request.groupId, create: request.memberId.isEmpty) else {
            let error = GroupError(.unknownMemberId, "group \(request.groupId) does not exist; rejoin without a member id")
            return respond(.failure(error, memberId: request.memberId))
        }
        let time = now
        withGroup(group) { state, outbox in state.join(request, now: time, config: configuration, outbox: &outbox, respond: respond) }
    }

    /// JoinGroup, awaiting the end of the join phase.
    public func joinGroup(_ request: JoinGroupRequest) async -> JoinGroupResponse {
        await withCheckedContinuation { continuation in joinGroup(request) { continuation.resume(returning: $0) } }
    }

    /// SyncGroup. Followers are answered when the leader's assignment arrives; the leader at once.
    public func syncGroup(_ request: SyncGroupRequest, respond: @escaping @Sendable (SyncGroupResponse) -> Void) {
        guard let group = group(request.groupId, create: false) else {
            return respond(
                SyncGroupResponse(
                    error: GroupError(.unknownMemberId, "group \(request.groupId) does not exist"), protocolType: nil, protocolName: nil,
                    assignment: []))
        }
        let time = now
        withGroup(group) { state, outbox in state.sync(request, now: time, outbox: &outbox, respond: respond) }
    }

    public func syncGroup(_ request: SyncGroupRequest) async -> SyncGroupResponse {
        await withCheckedContinuation { continuation in syncGroup(request) { continuation.resume(returning: $0) } }
    }

    /// Heartbeat: keeps the member's session alive. Throws REBALANCE_IN_PROGRESS when the member
    /// must rejoin, ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID when it was fenced.
    public func heartbeat(groupId: String, memberId: String, groupInstanceId: String? = nil, generationId: Int32) throws(GroupError) {
        guard let group = group(groupId, create: false) else {
            throw GroupError(.unknownMemberId, "group \(groupId) does not exist")
        }
        let time = now
        if let error = withGroup(group, { state, _ in state.heartbeat(memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, now: time) }) {
            throw error
        }
    }

    /// LeaveGroup: removes the member at once, starting a rebalance for the others.
    public func leaveGroup(groupId: String, memberId: String, groupInstanceId: String? = nil) throws(GroupError) {
        guard let group = group(groupId, create: false) else {
            throw GroupError(.unknownMemberId, "group \(groupId) does not exist")
        }
        let time = now
        if let error = withGroup(group, { state, outbox in
            state.leave(memberId: memberId, groupInstanceId: groupInstanceId, now: time, outbox: &outbox)
        }) {
            throw error
        }
    }

    // MARK: Offsets

    /// An offset to commit: the next offset to read, with optional metadata.
    public struct OffsetAndMetadata: Sendable, Hashable {
        public var offset: Int64
        public var metadata: String
        public var leaderEpoch: Int32

        public init(offset: Int64, metadata: String = "", leaderEpoch: Int32 = -1) {
            self.offset = offset
            self.metadata = metadata
            self.leaderEpoch = leaderEpoch
        }
    }

    /// OffsetCommit: validates the committer (Kafka's fencing rules), every partition and
    /// offset, then writes all offsets as one durable batch. Nothing is written on any error.
    public func commitOffsets(
        groupId: String, identity: CommitIdentity, offsets: [TopicPartition: OffsetAndMetadata]
    ) throws(GroupError) {
        if let error = validateGroupId(groupId) { throw error }
        let time = now
        var values: [TopicPartition: OffsetCommitValue] = [:]
        for (tp, offset) in offsets {
            let end: Int64
            do {
                end = try log.partition(tp.topic, tp.partition).highWatermark
            } catch {
                throw GroupError(.unknownTopicOrPartition, "cannot commit for \(tp): the partition does not exist")
            }
            guard offset.offset >= 0, offset.offset <= end else {
                throw GroupError(.offsetOutOfRange, "cannot commit offset \(offset.offset) for \(tp): valid offsets are 0...\(end) (the log end)")
            }
            let metadataLimit = min(configuration.maxMetadataBytes, Int(Int16.max))  // an int16-length string on disk
            guard offset.metadata.utf8.count <= metadataLimit else {
                throw GroupError(
                    .offsetMetadataTooLarge,
                    "commit metadata for \(tp) is \(offset.metadata.utf8.count) bytes; the limit is \(metadataLimit)")
            }
            values[tp] = OffsetCommitValue(offset: offset.offset, leaderEpoch: offset.leaderEpoch, metadata: offset.metadata, commitTimestamp: time)
        }
        guard let group = group(groupId, create: identity.generationId < 0) else {
            throw GroupError(.illegalGeneration, "group \(groupId) does not exist, so generation \(identity.generationId) is not current")
        }
        let store = offsetStore
        try withGroup(group) { (state, _) throws(GroupError) in
            if let error = state.validateCommit(identity, now: time) { throw error }
            do {
                try store.commit(group: groupId, offsets: values)
            } catch {
                throw GroupError(.kafkaStorageError, "could not write the commit of \(groupId) to \(OffsetsTopic.name): \(error)")
            }
        }
    }

    /// OffsetFetch: committed offsets of `partitions` (all of the group's when nil). Works for
    /// every group, live or not, and for unknown groups (empty).
    public func committedOffsets(groupId: String, partitions: [TopicPartition]? = nil) -> [TopicPartition: OffsetCommitValue] {
        let all = offsetStore.committedOffsets(group: groupId)
        guard let partitions else { return all }
        return all.filter { partitions.contains($0.key) }
    }

    /// One partition's position for a group: `lag = logEndOffset − committedOffset`.
    public struct PartitionLag: Sendable, Hashable {
        public var partition: TopicPartition
        public var committedOffset: Int64?
        public var logEndOffset: Int64
        /// nil when nothing is committed (Kafka prints `-`).
        public var lag: Int64? { committedOffset.map { max(0, logEndOffset - $0) } }
    }

    /// Lag of every partition the group has committed for, plus `partitions` (for members'
    /// assignments without commits yet). Partitions of deleted topics are skipped.
    public func lag(groupId: String, including partitions: [TopicPartition] = []) -> [PartitionLag] {
        let committed = offsetStore.committedOffsets(group: groupId)
        let all = Set(committed.keys).union(partitions).sorted()
        return all.compactMap { tp in
            guard let partition = try? log.partition(tp.topic, tp.partition) else { return nil }
            try? partition.refresh()
            return PartitionLag(partition: tp, committedOffset: committed[tp]?.offset, logEndOffset: partition.highWatermark)
        }
    }

    // MARK: Admin

    /// ListGroups: live groups and groups that only have committed offsets (listed Empty), sorted
    /// by id, optionally only those in `states`.
    public func listGroups(states: Set<GroupState> = []) -> [GroupListing] {
        var listings: [String: GroupListing] = [:]
        for id in offsetStore.groups {
            listings[id] = GroupListing(groupId: id, protocolType: SluiceGroups.consumerProtocolType, state: .empty)
        }
        let live = groups.withLock { Array($0) }
        for (id, group) in live {
            let (state, type) = group.state.withLock { ($0.state, $0.protocolType) }
            if state == .dead { continue }
            if state == .empty && listings[id] == nil { continue }  // nothing left of it
            listings[id] = GroupListing(groupId: id, protocolType: type ?? SluiceGroups.consumerProtocolType, state: state)
        }
        return listings.values.filter { states.isEmpty || states.contains($0.state) }.sorted { $0.groupId < $1.groupId }
    }

    /// DescribeGroups. An unknown group is described as `Dead` with no members, as Kafka does.
    /// A group with only committed offsets is `Empty` with the consumer protocol type, whether or
    /// not this process has seen it live (the same answer before and after a restart).
    public func describeGroup(_ groupId: String) -> GroupDescription {
        if let group = group(groupId, create: false) {
            var description = group.state.withLock { $0.describe() }
            if description.protocolType.isEmpty && description.state == .empty {
                description.protocolType = SluiceGroups.consumerProtocolType
            }
            if description.state != .empty || !offsetStore.committedOffsets(group: groupId).isEmpty { return description }
        } else if !offsetStore.committedOffsets(group: groupId).isEmpty {
            return GroupDescription(
                groupId: groupId, state: .empty, protocolType: SluiceGroups.consumerProtocolType, protocolName: "", generationId: 0, members: [])
        }
        return GroupDescription(groupId: groupId, state: .dead, protocolType: "", protocolName: "", generationId: 0, members: [])
    }

    /// DeleteGroups: removes a group without members and all its committed offsets.
    /// - Throws: NON_EMPTY_GROUP while it has members; GROUP_ID_NOT_FOUND if it does not exist.
    public func deleteGroup(_ groupId: String) throws(GroupError) {
        let description = describeGroup(groupId)
        if description.state == .dead { throw GroupError(.groupIdNotFound, "group \(groupId) does not exist") }
        let group = self.group(groupId, create: true)
        let store = offsetStore
        let time = now
        try group.map { group throws(GroupError) in
            try withGroup(group) { (state, outbox) throws(GroupError) in
                guard state.state == .empty else {
                    throw GroupError(.nonEmptyGroup, "group \(groupId) has \(state.members.count) live member(s); stop them first")
                }
                do {
                    try store.delete(group: groupId)
                } catch {
                    throw GroupError(.kafkaStorageError, "could not delete the offsets of \(groupId): \(error)")
                }
                state.markDead(now: time, outbox: &outbox)
            }
        }
        groups.withLock { $0[groupId] = nil }
    }

    // MARK: Timers

    /// Fires every timeout that has passed: member sessions, join and sync phases, pending
    /// member ids, and (every `offsetsRetentionCheckIntervalMs`) offset expiry.
    public func tick() {
        let time = now
        for group in groups.withLock({ Array($0.values) }) {
            withGroup(group) { state, outbox in state.tick(now: time, outbox: &outbox) }
        }
        let due = lastExpiryCheck.withLock { last in
            guard time - last >= configuration.offsetsRetentionCheckIntervalMs else { return false }
            last = time
            return true
        }
        if due { _ = try? expireOffsets() }
    }

    /// Deletes (with tombstones) the offsets of groups without members that are older than
    /// `offsetsRetentionMs`, counted from the later of the commit and the group becoming empty.
    /// Then forgets Empty groups with no offsets left (Kafka's `cleanupGroupMetadata`), so groups
    /// that come and go (console consumers with random ids) do not accumulate in memory.
    /// - Returns: how many offsets expired.
    @discardableResult
    public func expireOffsets() throws -> Int {
        let time = now
        let store = offsetStore
        let retention = configuration.offsetsRetentionMs
        var expired = 0
        for id in store.groups {
            guard let group = group(id, create: true) else { continue }
            // Decided and deleted under the group's lock: a member that joins and commits
            // meanwhile either sees its commit kept (group no longer Empty) or commits after.
            expired += try withGroup(group) { (state, _) throws(any Error) -> Int in
                guard state.state == .empty else { return 0 }
                let doomed = store.committedOffsets(group: id).filter { _, value in
                    max(value.commitTimestamp, state.emptySinceMs ?? .min) + retention <= time
                }
                guard !doomed.isEmpty else { return 0 }
                try store.delete(group: id, partitions: Array(doomed.keys))
                return doomed.count
            }
        }
        for (id, group) in groups.withLock({ Array($0) }) {
            let forget = withGroup(group) { state, outbox in
                guard state.isIdle, store.committedOffsets(group: id).isEmpty else { return false }
                state.markDead(now: time, outbox: &outbox)  // a racing request is told to retry
                return true
            }
            if forget { groups.withLock { if $0[id] === group { $0[id] = nil } } }
        }
        return expired
    }

    /// Starts the thread that calls `tick()` every `intervalMs` (default:
    /// `configuration.timerIntervalMs`). Idempotent.
    public func startTimer(intervalMs: Int? = nil) {
        timer.withLock { timer in
            guard timer == nil else { return }
            timer = TimerThread(intervalMs: intervalMs ?? configuration.timerIntervalMs) { [weak self] in self?.tick() }
        }
    }

    /// Stops the timer thread (waiting for a tick in progress).
    public func stopTimer() {
        let thread = timer.withLock { timer in
            defer { timer = nil }
            return timer
        }
        thread?.stop()
    }

    deinit { timer.withLock { $0?.stop() } }

    // MARK: Validation

    /// `__consumer_offsets` keys hold the group id as an int16-length string.
    static let maxGroupIdBytes = Int(Int16.max)

    private func validateGroupId(_ id: String) -> GroupError? {
        if id.isEmpty { return GroupError(.invalidGroupId, "the group id must not be empty") }
        if id.utf8.count > Self.maxGroupIdBytes {
            return GroupError(.invalidGroupId, "the group id is \(id.utf8.count) bytes; at most \(Self.maxGroupIdBytes) fit Kafka's encoding")
        }
        return nil
    }

    private func validateSessionTimeout(_ ms: Int32) -> GroupError? {
        guard ms < configuration.minSessionTimeoutMs || ms > configuration.maxSessionTimeoutMs else { return nil }
        return GroupError(
            .invalidSessionTimeout,
            "session.timeout.ms \(ms) is outside the coordinator's \(configuration.minSessionTimeoutMs)...\(configuration.maxSessionTimeoutMs)")
    }
}
