import Foundation
import SluiceLog
import Testing

@testable import SluiceGroups

/// Offset commits fenced like Kafka's `ClassicGroup.validateOffsetCommit`, per-partition
/// validation (all or nothing), durability, lag, and the admin views (list, describe, delete,
/// offset expiry).
@Suite("Group coordinator: commits and admin")
struct GroupCoordinatorCommitTests {
    typealias Offset = GroupCoordinator.OffsetAndMetadata

    // MARK: Fencing

    @Test func standaloneCommitsAreAcceptedForUnknownAndEmptyGroups() throws {
        let f = try CoordinatorFixture()
        #expect(f.commit(in: "tool", .standalone, [.orders(0): Offset(offset: 7, metadata: "reset")]) == nil)
        #expect(f.committed("tool") == [.orders(0): 7])
        let value = try #require(f.coordinator.committedOffsets(groupId: "tool")[.orders(0)])
        #expect(value.metadata == "reset")
        #expect(value.commitTimestamp == f.clock.now)
        // An Empty group (its only member left) takes them too.
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.leave(memberId: c1.memberId) == nil)
        #expect(f.commit(.standalone, [.orders(1): Offset(offset: 9)]) == nil)
        #expect(f.committed() == [.orders(1): 9])
    }

    @Test func standaloneCommitsAreRefusedWhileTheGroupHasMembers() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: 1)]) == .unknownMemberId)
        // A member id with generation -1 is checked as a member: wrong generation.
        #expect(f.commit(CommitIdentity(generationId: -1, memberId: c1.memberId), [.orders(0): Offset(offset: 1)]) == .illegalGeneration)
        #expect(f.commit(CommitIdentity(generationId: 1, memberId: "stranger"), [.orders(0): Offset(offset: 1)]) == .unknownMemberId)
        // A member commit for a group that does not exist: ILLEGAL_GENERATION, and no group appears.
        #expect(f.commit(in: "nope", CommitIdentity(generationId: 3, memberId: "x"), [.orders(0): Offset(offset: 1)]) == .illegalGeneration)
        #expect(f.coordinator.describeGroup("nope").state == .dead)
        #expect(f.committed().isEmpty)
        #expect(f.committed("nope").isEmpty)
    }

    @Test func aZombieCommitFromAnOlderGenerationWritesNothing() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        #expect(f.commit(members[1], [.orders(0): 10]) == nil)
        // c3 joins; c2 is stuck processing and stops heartbeating: its session ends and
        // generation 3 forms without it.
        let c3 = f.join(client: "c3")
        let c1 = f.rejoin(members[0])
        f.advance(1_000)
        #expect(c1.value?.generationId == 3 && c3.value?.generationId == 3)
        // The zombie c2 commits with generation 2: rejected, nothing written.
        #expect(f.commit(members[1], [.orders(0): 50, .orders(1): 50]) == .unknownMemberId)
        // A live member of generation 2 that has not learnt of 3 yet: ILLEGAL_GENERATION.
        #expect(f.commit(members[0], [.orders(0): 60]) == .illegalGeneration)
        #expect(f.committed() == [.orders(0): 10])
    }

    @Test func commitsInCompletingRebalanceAreToldToWait() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"], sync: false)
        #expect(f.commit(members[1], [.orders(0): 5]) == .rebalanceInProgress)
        #expect(f.committed().isEmpty)
        f.sync(members[0], assignments: [:])
        #expect(f.commit(members[1], [.orders(0): 5]) == nil)
        #expect(f.committed() == [.orders(0): 5])
    }

    /// Commit-on-revoke: while the group prepares a rebalance the old generation is still
    /// current, so a member's final commit before rejoining must succeed.
    @Test func commitsDuringPreparingRebalanceWithTheCurrentGenerationAreAccepted() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        f.join(client: "c3")
        #expect(f.state() == .preparingRebalance)
        #expect(f.commit(members[1], [.orders(1): 33]) == nil)
        #expect(f.commit(members[0], [.orders(0): 44]) == nil)
        #expect(f.committed() == [.orders(0): 44, .orders(1): 33])
    }

    // MARK: Validation

    @Test func unknownTopicsAndPartitionsAreRefused() throws {
        let f = try CoordinatorFixture()
        #expect(f.commit(.standalone, [TopicPartition("missing", 0): Offset(offset: 0)]) == .unknownTopicOrPartition)
        #expect(f.commit(.standalone, [.orders(3): Offset(offset: 0)]) == .unknownTopicOrPartition)
        #expect(f.commit(.standalone, [.orders(-1): Offset(offset: 0)]) == .unknownTopicOrPartition)
        #expect(f.committed().isEmpty)
    }

    @Test func offsetsMustLieBetweenZeroAndTheLogEnd() throws {
        let f = try CoordinatorFixture()
        let end = Int64(CoordinatorFixture.recordsPerPartition)
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: end + 1)]) == .offsetOutOfRange)
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: -1)]) == .offsetOutOfRange)
        #expect(f.committed().isEmpty)
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: end), .orders(1): Offset(offset: 0)]) == nil)
        #expect(f.committed() == [.orders(0): end, .orders(1): 0])
    }

    @Test func metadataLongerThanTheLimitIsRefused() throws {
        let f = try CoordinatorFixture()
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: 1, metadata: String(repeating: "m", count: 4097))]) == .offsetMetadataTooLarge)
        #expect(f.committed().isEmpty)
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: 1, metadata: String(repeating: "m", count: 4096))]) == nil)
        #expect(f.coordinator.committedOffsets(groupId: "g")[.orders(0)]?.metadata.count == 4096)
        let g = try CoordinatorFixture { $0.maxMetadataBytes = 3 }
        #expect(g.commit(.standalone, [.orders(0): Offset(offset: 1, metadata: "ééé")]) == .offsetMetadataTooLarge)  // 6 UTF-8 bytes
    }

    @Test func oneBadPartitionRejectsTheWholeCommit() throws {
        let f = try CoordinatorFixture()
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: 10), .orders(1): Offset(offset: 10)]) == nil)
        let bad: [[TopicPartition: Offset]] = [
            [.orders(0): Offset(offset: 20), .orders(1): Offset(offset: 20), .orders(2): Offset(offset: 101)],
            [.orders(0): Offset(offset: 20), TopicPartition("missing", 0): Offset(offset: 1)],
            [.orders(0): Offset(offset: 20), .orders(2): Offset(offset: 1, metadata: String(repeating: "x", count: 5000))],
        ]
        for offsets in bad { #expect(f.commit(.standalone, offsets) != nil) }
        #expect(f.committed() == [.orders(0): 10, .orders(1): 10])
        // A fenced member's otherwise valid commit writes nothing either.
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(CommitIdentity(generationId: c1.generation + 1, memberId: c1.memberId), [.orders(0): Offset(offset: 90)]) == .illegalGeneration)
        #expect(f.committed() == [.orders(0): 10, .orders(1): 10])
    }

    // MARK: Durability and lag

    @Test func commitsSurviveReopeningTheLog() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(in: "g", CommitIdentity(generationId: 1, memberId: c1.memberId), [.orders(0): Offset(offset: 12, metadata: "m", leaderEpoch: 4)]) == nil)
        #expect(f.commit(c1, [.orders(1): 30]) == nil)
        #expect(f.commit(c1, [.orders(0): 13]) == nil)
        #expect(f.commit(in: "other", .standalone, [.orders(2): Offset(offset: 99)]) == nil)
        let before = f.coordinator.committedOffsets(groupId: "g")
        try f.reopen()
        #expect(f.coordinator.committedOffsets(groupId: "g") == before)
        #expect(f.committed() == [.orders(0): 13, .orders(1): 30])
        #expect(f.committed("other") == [.orders(2): 99])
        #expect(f.coordinator.offsetStore.report.isEmpty)
        // The members are gone with the old coordinator; the offsets are what is left.
        #expect(f.coordinator.describeGroup("g").state == .empty)
        #expect(f.heartbeat(c1) == .unknownMemberId)
        #expect(f.coordinator.committedOffsets(groupId: "g", partitions: [.orders(1), .orders(2)]).mapValues(\.offset) == [.orders(1): 30])
    }

    @Test func lagIsTheLogEndMinusTheCommittedOffset() throws {
        let f = try CoordinatorFixture()
        #expect(f.commit(.standalone, [.orders(0): Offset(offset: 40), .orders(1): Offset(offset: 100)]) == nil)
        let lag = f.coordinator.lag(groupId: "g", including: [.orders(2), TopicPartition("missing", 0)])
        #expect(lag.map(\.partition) == [.orders(0), .orders(1), .orders(2)])
        #expect(lag.map(\.lag) == [60, 0, nil])
        #expect(lag.map(\.committedOffset) == [40, 100, nil])
        #expect(lag.allSatisfy { $0.logEndOffset == 100 })
        // More records raise the lag.
        _ = try f.log.partition("orders", 0).append(records: [Record(key: [1], value: [1], timestamp: 1)])
        #expect(f.coordinator.lag(groupId: "g").first?.lag == 61)
        #expect(f.coordinator.lag(groupId: "unknown").isEmpty)
    }

    // MARK: Admin

    @Test func listGroupsShowsLiveGroupsAndOffsetOnlyGroupsFilteredByState() throws {
        let f = try CoordinatorFixture()
        _ = try f.formGroup(in: "steady", ["a"])
        _ = try f.formGroup(in: "moving", ["b", "c"])
        f.join("moving", client: "d")
        _ = try f.formGroup(in: "forming", ["e"], sync: false)
        #expect(f.commit(in: "offsets-only", .standalone, [.orders(0): Offset(offset: 1)]) == nil)
        let gone = try f.formGroup(in: "gone", ["x"])[0]
        #expect(f.leave("gone", memberId: gone.memberId) == nil)  // Empty, nothing committed

        let all = f.coordinator.listGroups()
        #expect(all.map(\.groupId) == ["forming", "moving", "offsets-only", "steady"])
        #expect(all.map(\.state) == [.completingRebalance, .preparingRebalance, .empty, .stable])
        #expect(all.allSatisfy { $0.protocolType == "consumer" })
        #expect(f.coordinator.listGroups(states: [.stable]).map(\.groupId) == ["steady"])
        #expect(f.coordinator.listGroups(states: [.empty]).map(\.groupId) == ["offsets-only"])
        #expect(f.coordinator.listGroups(states: [.stable, .preparingRebalance]).map(\.groupId) == ["moving", "steady"])
        #expect(f.coordinator.listGroups(states: [.dead]).isEmpty)
        #expect(GroupState(kafkaName: "stable") == .stable)
        #expect(GroupState(kafkaName: "PreparingRebalance") == .preparingRebalance)
        #expect(GroupState(kafkaName: "busy") == nil)
    }

    @Test func describeGroupOfAnUnknownGroupIsDead() throws {
        let f = try CoordinatorFixture()
        let unknown = f.coordinator.describeGroup("who")
        #expect(unknown.state == .dead)
        #expect(unknown.members.isEmpty)
        #expect(unknown.protocolType == "")
        #expect(f.commit(in: "who", .standalone, [.orders(0): Offset(offset: 1)]) == nil)
        let offsetsOnly = f.coordinator.describeGroup("who")
        #expect(offsetsOnly.state == .empty)
        #expect(offsetsOnly.protocolType == "consumer")
        #expect(offsetsOnly.members.isEmpty)
        // During a rebalance the members show their last assignment but no metadata (Kafka's
        // describeNoMetadata).
        let members = try f.formGroup(["c1", "c2"])
        f.join(client: "c3")
        let rebalancing = f.coordinator.describeGroup("g")
        #expect(rebalancing.state == .preparingRebalance)
        #expect(rebalancing.protocolName == "")
        #expect(Array(rebalancing.members.map(\.memberId).prefix(2)) == [members[0].memberId, members[1].memberId])
        #expect(rebalancing.members.map(\.assignment) == [CoordinatorFixture.assignment("c1"), CoordinatorFixture.assignment("c2"), []])
        #expect(rebalancing.members.allSatisfy { $0.metadata.isEmpty })
    }

    @Test func deleteGroupRefusesLiveGroupsAndRemovesOffsetsForGood() throws {
        let f = try CoordinatorFixture()
        #expect(errorCode { () throws(GroupError) in try f.coordinator.deleteGroup("never") } == .groupIdNotFound)
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(c1, [.orders(0): 8]) == nil)
        #expect(errorCode { () throws(GroupError) in try f.coordinator.deleteGroup("g") } == .nonEmptyGroup)
        #expect(f.committed() == [.orders(0): 8])
        #expect(f.heartbeat(c1) == nil)
        #expect(f.leave(memberId: c1.memberId) == nil)
        #expect(errorCode { () throws(GroupError) in try f.coordinator.deleteGroup("g") } == nil)
        #expect(f.committed().isEmpty)
        #expect(f.coordinator.describeGroup("g").state == .dead)
        #expect(f.coordinator.listGroups().isEmpty)
        #expect(errorCode { () throws(GroupError) in try f.coordinator.deleteGroup("g") } == .groupIdNotFound)
        // An offsets-only group (say, after a restart) is deleted the same way.
        #expect(f.commit(in: "tool", .standalone, [.orders(1): Offset(offset: 2)]) == nil)
        try f.reopen()
        #expect(errorCode { () throws(GroupError) in try f.coordinator.deleteGroup("tool") } == nil)
        try f.reopen()
        #expect(f.committed("g").isEmpty)
        #expect(f.committed("tool").isEmpty)
        #expect(f.coordinator.listGroups().isEmpty)
        // The id can be used again, from scratch.
        #expect(f.join(client: "c9").value?.generationId == 1)
    }

    @Test func offsetsOfAnEmptyGroupExpireAfterTheRetentionCountedFromBecomingEmpty() throws {
        let f = try CoordinatorFixture { $0.offsetsRetentionMs = 10_000 }
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(c1, [.orders(0): 5, .orders(1): 6]) == nil)
        // Never while the group has members, however old the commit.
        for _ in 0..<30 {
            f.advance(500)
            #expect(f.heartbeat(c1) == nil)
        }
        #expect(try f.coordinator.expireOffsets() == 0)
        #expect(f.leave(memberId: c1.memberId) == nil)  // Empty from now
        f.clock.advance(9_999)
        #expect(try f.coordinator.expireOffsets() == 0)
        f.clock.advance(1)
        #expect(try f.coordinator.expireOffsets() == 2)
        #expect(f.committed().isEmpty)
        #expect(f.coordinator.listGroups().isEmpty)
        // Nothing is left of the group, so it is forgotten (Kafka's cleanupGroupMetadata): the
        // next member starts a new group at generation 1.
        #expect(f.join(client: "c2").value?.generationId == 1)
        try f.reopen()
        #expect(f.committed().isEmpty)  // tombstones: gone for good
    }

    @Test func emptyGroupsWithoutOffsetsAreForgottenButNotWhileAMemberIdIsHandedOut() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.leave(memberId: c1.memberId) == nil)
        let pending = try #require(f.join("other", client: "p", requireKnownMemberId: true).value)
        #expect(try f.coordinator.expireOffsets() == 0)
        #expect(f.join(client: "c2").value?.generationId == 1)  // "g" was forgotten
        // "other" was kept for the member id it handed out.
        #expect(f.join("other", client: "p", memberId: pending.memberId).value?.generationId == 1)
        // A group with offsets is kept, with its generation.
        let c3 = try f.formGroup(in: "kept", ["c3"])[0]
        #expect(f.commit(in: "kept", c3, [.orders(0): 1]) == nil)
        #expect(f.leave("kept", memberId: c3.memberId) == nil)
        #expect(try f.coordinator.expireOffsets() == 0)
        #expect(f.join("kept", client: "c4").value?.generationId == 3)
    }

    @Test func standaloneOffsetsExpireFromTheCommitAndTheTimerExpiresThem() throws {
        let f = try CoordinatorFixture {
            $0.offsetsRetentionMs = 10_000
            $0.offsetsRetentionCheckIntervalMs = 1_000
        }
        #expect(f.commit(in: "tool", .standalone, [.orders(0): Offset(offset: 1)]) == nil)
        f.advance(5_000)
        #expect(f.commit(in: "tool", .standalone, [.orders(1): Offset(offset: 2)]) == nil)  // younger
        f.advance(4_999)
        #expect(f.committed("tool").count == 2)
        f.advance(1_000)  // the first commit is 10_999 ms old; the check runs every second
        #expect(f.committed("tool") == [.orders(1): 2])
        f.advance(5_000)
        #expect(f.committed("tool").isEmpty)
        // After a restart (no in-memory group) the commit time counts too.
        #expect(f.commit(in: "later", .standalone, [.orders(2): Offset(offset: 3)]) == nil)
        try f.reopen()
        #expect(try f.coordinator.expireOffsets() == 0)
        f.clock.advance(10_000)
        #expect(try f.coordinator.expireOffsets() == 1)
    }

    @Test func aGroupThatBecameEmptyAfterACommitCountsFromBecomingEmpty() throws {
        let f = try CoordinatorFixture { $0.offsetsRetentionMs = 10_000 }
        let c1 = try f.formGroup(["c1"])[0]
        #expect(f.commit(c1, [.orders(0): 5]) == nil)
        for _ in 0..<8 {
            f.advance(500)
            #expect(f.heartbeat(c1) == nil)
        }
        #expect(f.leave(memberId: c1.memberId) == nil)  // empty 4000 ms after the commit
        f.clock.advance(6_000)  // commit + 10_000, but empty for only 6_000
        #expect(try f.coordinator.expireOffsets() == 0)
        f.clock.advance(4_000)
        #expect(try f.coordinator.expireOffsets() == 1)
    }
}
