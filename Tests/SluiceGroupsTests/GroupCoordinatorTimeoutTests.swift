import Foundation
import SluiceLog
import Testing

@testable import SluiceGroups

/// Session, rebalance, sync and initial-delay timeouts, driven by a manual clock and `tick()`,
/// and static membership (KIP-345).
@Suite("Group coordinator: timeouts and static members")
struct GroupCoordinatorTimeoutTests {
    // MARK: Sessions

    @Test func aMemberThatStopsHeartbeatingIsRemovedAtItsSessionTimeout() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        let (c1, c2) = (members[0], members[1])
        f.advance(600)
        #expect(f.heartbeat(c1) == nil)
        f.advance(399)  // c2 silent for 999 ms of its 1000
        #expect(f.state() == .stable)
        #expect(f.heartbeat(c2) == nil)  // alive again
        f.advance(600)
        #expect(f.heartbeat(c1) == nil)
        f.advance(400)  // c2 silent for 1000 ms
        #expect(f.heartbeat(c2) == .unknownMemberId)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(c1) == .rebalanceInProgress)
        let again = try #require(f.rejoin(c1).value)
        #expect(again.generationId == 3)
        #expect(again.members.map(\.memberId) == [c1.memberId])
    }

    @Test func aValidCommitKeepsTheSessionAliveAsKafkaDoes() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        for _ in 0..<5 {
            f.advance(800)
            #expect(f.commit(c1, [.orders(0): 1]) == nil)
        }
        #expect(f.heartbeat(c1) == nil)
        // A rejected commit (stale generation) does not.
        f.advance(800)
        #expect(f.commit(CommitIdentity(generationId: 0, memberId: c1.memberId), [:]) == .illegalGeneration)
        f.advance(200)
        #expect(f.heartbeat(c1) == .unknownMemberId)
    }

    @Test func membersParkedInJoinOrSyncDoNotExpireAndTheirSessionRestartsWhenAnswered() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"], sync: false)
        let (c1, c2) = (members[0], members[1])
        let parked = f.sync(c2)
        // The leader takes 3 s (keeping its own session with heartbeats); c2 waits in SyncGroup.
        for _ in 0..<6 {
            f.advance(500)
            #expect(f.heartbeat(c1) == nil)
        }
        #expect(parked.isParked)
        f.sync(c1, assignments: [c2.memberId: [2]])
        #expect(parked.value?.assignment == [2])
        // Answered now: c2 has a full session from here, not from when it sent SyncGroup.
        f.advance(999)
        #expect(f.heartbeat(c2) == nil)
        #expect(f.state() == .stable)
    }

    @Test func heartbeatsWithAStaleGenerationDoNotKeepTheMemberAlive() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        for _ in 0..<2 {
            f.advance(400)
            #expect(f.heartbeat(memberId: c1.memberId, generation: 7) == .illegalGeneration)
        }
        f.advance(200)
        #expect(f.heartbeat(c1) == .unknownMemberId)
    }

    // MARK: Join and sync phases

    @Test func aMemberThatDoesNotRejoinIsDroppedAtTheRebalanceTimeout() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        let (c1, c2) = (members[0], members[1])
        let c3 = f.join(client: "c3")
        let c1Again = f.rejoin(c1)
        // c2 keeps heartbeating (so its session is fine) but never rejoins.
        for _ in 0..<9 {
            f.advance(500)
            #expect(f.heartbeat(c2) == .rebalanceInProgress)
        }
        #expect(c1Again.isParked && c3.isParked)
        f.advance(499)  // 4999 ms into the phase
        #expect(c1Again.isParked)
        f.advance(1)  // the rebalance timeout (5000 ms)
        #expect(c1Again.value?.generationId == 3)
        #expect(c3.value?.generationId == 3)
        #expect(c1Again.value?.members.map(\.memberId) == [c1.memberId, c3.value?.memberId ?? ""])
        #expect(f.heartbeat(c2) == .unknownMemberId)
        #expect(f.state() == .completingRebalance)
    }

    @Test func theRebalanceTimeoutIsTheLargestOfTheMembers() throws {
        let f = try CoordinatorFixture()
        let c1 = try #require(f.joined(f.join(client: "c1", rebalance: 20_000), client: "c1"))
        f.sync(c1)
        let c2 = f.join(client: "c2", rebalance: 1_000)
        for _ in 0..<10 {
            f.advance(500)
            #expect(f.heartbeat(c1) == .rebalanceInProgress)
        }
        #expect(c2.isParked)  // 5000 ms: past c2's own timeout, well within c1's
        for _ in 0..<30 { f.advance(500); _ = f.heartbeat(c1) }
        #expect(c2.value?.generationId == 2)  // 20 s: c1 dropped
        #expect(c2.value?.members.count == 1)
    }

    @Test func whenTheLeaderNeverSyncsTheMembersThatDidNotSyncAreRemoved() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"], sync: false)
        let (c1, c2) = (members[0], members[1])
        let parked = f.sync(c2)
        for _ in 0..<9 {
            f.advance(500)
            #expect(f.heartbeat(c1) == nil)
        }
        f.advance(499)
        #expect(parked.isParked)
        f.advance(1)  // the rebalance timeout since the join phase ended
        #expect(parked.value?.error?.code == .rebalanceInProgress)
        #expect(f.heartbeat(c1) == .unknownMemberId)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(c2) == .rebalanceInProgress)
        let again = try #require(f.rejoin(c2).value)
        #expect(again.generationId == 3 && again.isLeader)
    }

    /// Kafka's `expirePendingSync` also runs once Stable: a follower that got its JoinGroup
    /// answer but never sends SyncGroup is removed at the deadline even if it heartbeats.
    @Test func aFollowerThatNeverSyncsIsRemovedEvenAfterTheGroupIsStable() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2", "c3"], sync: false)
        let (c1, c2, c3) = (members[0], members[1], members[2])
        f.sync(c1, assignments: [:])
        f.sync(c3)
        #expect(f.state() == .stable)
        for _ in 0..<9 {
            f.advance(500)
            for member in members { #expect(f.heartbeat(member) == nil) }
        }
        #expect(f.state() == .stable)
        f.advance(500)  // the rebalance timeout since the join phase ended
        #expect(f.heartbeat(c2) == .unknownMemberId)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(c1) == .rebalanceInProgress)
        #expect(f.heartbeat(c3) == .rebalanceInProgress)
        // When everyone syncs in time nothing happens at the deadline.
        let g = try CoordinatorFixture()
        let synced = try g.formGroup(["c1", "c2"])
        for _ in 0..<12 {
            g.advance(500)
            for member in synced { #expect(g.heartbeat(member) == nil) }
        }
        #expect(g.state() == .stable)
    }

    @Test func theLastMembersSyncTimeoutEmptiesTheGroup() throws {
        let f = try CoordinatorFixture()
        let c1 = try #require(f.joined(f.join(client: "c1", session: 60_000), client: "c1"))
        #expect(c1.generation == 1)
        f.advance(5_000)
        #expect(f.heartbeat(c1) == .unknownMemberId)
        #expect(f.commit(.standalone, [.orders(0): .init(offset: 3)]) == nil)
        let description = f.coordinator.describeGroup("g")
        #expect(description.state == .empty)
        #expect(description.generationId == 2)
    }

    @Test func anExpiredMemberIdNoLongerHoldsUpTheJoinPhase() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        let pending = try #require(f.join(client: "c2", requireKnownMemberId: true).value)
        #expect(pending.error?.code == .memberIdRequired)
        let c3 = f.join(client: "c3")
        let c1Again = f.rejoin(c1)
        #expect(c1Again.isParked)  // waiting for the handed-out id, as Kafka's hasAllMembersJoined
        f.advance(999)
        #expect(c1Again.isParked)
        f.advance(1)  // c2's id expires with its session timeout
        #expect(c1Again.value?.generationId == 2)
        #expect(c3.value?.generationId == 2)
        #expect(f.join(client: "c2", memberId: pending.memberId).value?.error?.code == .unknownMemberId)
    }

    @Test func aHandedOutMemberIdOutlivesAJoinPhaseThatEndsWithoutIt() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        let pending = try #require(f.join(client: "c2", session: 60_000, requireKnownMemberId: true).value)
        f.join(client: "c3")
        let c1Again = f.rejoin(c1)
        for _ in 0..<10 { f.advance(500) }  // the rebalance timeout ends the phase without c2
        #expect(c1Again.value?.generationId == 2)
        #expect(c1Again.value?.members.count == 2)
        // c2 still joins with its id (Kafka keeps pending ids until they expire).
        let c2 = f.join(client: "c2", memberId: pending.memberId)
        #expect(c2.isParked)
        #expect(f.state() == .preparingRebalance)
    }

    @Test func aNewMemberStuckInJoinGroupIsDroppedAfterTheNewMemberTimeout() throws {
        let f = try CoordinatorFixture { $0.newMemberJoinTimeoutMs = 2_000 }
        let c1 = try #require(f.joined(f.join(client: "c1", rebalance: 100_000), client: "c1"))
        f.sync(c1)
        let c2 = f.join(client: "c2")
        for _ in 0..<3 {
            f.advance(500)
            #expect(f.heartbeat(c1) == .rebalanceInProgress)
        }
        #expect(c2.isParked)
        f.advance(500)
        #expect(c2.value?.error?.code == .unknownMemberId)
        #expect(f.state() == .preparingRebalance)  // still waiting for c1
        let again = try #require(f.rejoin(c1).value)
        #expect(again.generationId == 2 && again.members.count == 1)
    }

    // MARK: Initial rebalance delay

    @Test func theInitialRebalanceDelayHoldsTheFirstGenerationUntilATickAfterIt() throws {
        let f = try CoordinatorFixture { $0.initialRebalanceDelayMs = 100 }
        let c1 = f.join(client: "c1")
        #expect(c1.isParked)
        #expect(f.state() == .preparingRebalance)
        f.advance(99)
        #expect(c1.isParked)
        f.clock.advance(1)
        #expect(c1.isParked)  // only a tick completes it
        f.coordinator.tick()
        #expect(c1.value?.generationId == 1)
        #expect(c1.value?.isLeader == true)
        // Later rebalances do not wait for the delay.
        let member = try #require(f.joined(c1, client: "c1"))
        f.sync(member)
        let c2 = f.join(client: "c2")
        f.rejoin(member)
        #expect(c2.value?.generationId == 2)
    }

    @Test func newMembersExtendTheInitialDelayByWholeDelays() throws {
        let f = try CoordinatorFixture { $0.initialRebalanceDelayMs = 100 }
        let c1 = f.join(client: "c1")
        f.advance(50)
        let c2 = f.join(client: "c2")
        f.advance(50)  // 100: a member arrived during the delay, so wait another delay
        #expect(c1.isParked && c2.isParked)
        f.advance(99)
        #expect(c1.isParked && c2.isParked)
        f.advance(1)  // 200: nobody new since 100
        #expect(c1.value?.generationId == 1)
        #expect(c2.value?.generationId == 1)
        #expect(c1.value?.members.count == 2)
    }

    @Test func theInitialDelayNeverExtendsPastTheRebalanceTimeout() throws {
        let f = try CoordinatorFixture { $0.initialRebalanceDelayMs = 100 }
        var answers = [f.join(client: "c0", rebalance: 250)]
        for index in 1...5 {
            f.advance(50)
            if answers[0].isParked { answers.append(f.join(client: "c\(index)", rebalance: 250)) }
        }
        // Delays run 0-100, 100-200, then only the 50 ms left of the 250 ms rebalance timeout.
        #expect(answers.allSatisfy { $0.value?.generationId == 1 })
        #expect(answers.count == 5)  // joined at 0, 50, 100, 150, 200; the phase ended at 250
        #expect(answers[0].value?.members.count == 5)
    }

    /// A process that says how many members it starts (`initialRebalanceMembers`) gets its
    /// first generation as soon as they are all in, not after the delay; a member beyond the
    /// count still joins, through an ordinary rebalance.
    @Test func theInitialRebalanceCompletesOnceTheExpectedMembersJoined() throws {
        let f = try CoordinatorFixture {
            $0.initialRebalanceDelayMs = 100
            $0.initialRebalanceMembers = 3
        }
        let c1 = f.join(client: "c1")
        let c2 = f.join(client: "c2")
        f.advance(10)
        #expect(c1.isParked && c2.isParked)  // two of three: the delay still runs
        let c3 = f.join(client: "c3")
        #expect(c1.value?.generationId == 1 && c2.value?.generationId == 1 && c3.value?.generationId == 1)
        #expect(c1.value?.members.count == 3)
        for (answer, client) in [(c1, "c1"), (c2, "c2"), (c3, "c3")] {
            if let member = f.joined(answer, client: client) { f.sync(member) }
        }
        #expect(f.state() == .stable)
        let c4 = f.join(client: "c4")
        #expect(c4.isParked)
        #expect(f.state() == .preparingRebalance)
    }

    // MARK: Timer thread

    /// The coordinator's own timer thread fires timeouts; a callback it runs (here the answer to
    /// a join completed by the initial-delay timer) may stop the timer without deadlocking on
    /// itself.
    @Test func theTimerThreadFiresTimeoutsAndMayBeStoppedFromACallback() throws {
        let f = try CoordinatorFixture { $0.initialRebalanceDelayMs = 100 }
        let coordinator = f.coordinator
        let answered = DispatchSemaphore(value: 0)
        let answer = CoordinatorAnswer<JoinGroupResponse>()
        coordinator.startTimer(intervalMs: 1)
        coordinator.startTimer(intervalMs: 1)  // idempotent
        coordinator.joinGroup(
            JoinGroupRequest(
                groupId: "g", clientId: "c1", sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 5_000,
                protocols: CoordinatorFixture.protocols(client: "c1"))
        ) { response in
            coordinator.stopTimer()
            answer.callback(response)
            answered.signal()
        }
        #expect(answer.isParked)
        f.clock.advance(100)  // no tick() here: the timer thread notices
        #expect(answered.wait(timeout: .now() + 10) == .success)
        #expect(answer.value?.generationId == 1)
        coordinator.stopTimer()
    }

    // MARK: Static membership

    @Test func aRestartedStaticMemberTakesOverWithoutARebalance() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "s2"], instances: [nil, "instance-2"])
        let (c1, old) = (members[0], members[1])
        #expect(old.memberId.hasPrefix("instance-2-"))
        // s2 restarts: empty member id, same instance id, changed subscription bytes but the
        // same assignor, so the chosen protocol would not change: no rebalance (Kafka).
        let restarted = f.join(
            client: "s2", instance: "instance-2", protocols: [GroupProtocol(name: "range", metadata: [42])])
        let response = try #require(restarted.value)
        #expect(response.error == nil)
        #expect(response.memberId != old.memberId)
        #expect(response.memberId.hasPrefix("instance-2-"))
        #expect(response.generationId == 2)
        #expect(response.leader == c1.memberId)
        #expect(response.members.isEmpty)
        #expect(response.skipAssignment == false)
        #expect(f.state() == .stable)
        #expect(f.heartbeat(c1) == nil)
        // It gets its old assignment back.
        let new = JoinedMember(memberId: response.memberId, generation: 2, instance: "instance-2", response: response, client: "s2")
        #expect(f.sync(new).value?.assignment == CoordinatorFixture.assignment("s2"))
        #expect(f.heartbeat(new) == nil)
        #expect(f.coordinator.describeGroup("g").members.map(\.metadata) == [CoordinatorFixture.protocols(client: "c1")[0].metadata, [42]])
        // The old incarnation is fenced everywhere.
        #expect(f.heartbeat(old) == .fencedInstanceId)
        #expect(f.sync(old).value?.error?.code == .fencedInstanceId)
        #expect(f.rejoin(old).value?.error?.code == .fencedInstanceId)
        #expect(f.commit(old, [.orders(0): 1]) == .fencedInstanceId)
        #expect(f.leave(memberId: old.memberId, instance: "instance-2") == .fencedInstanceId)
        // Without its instance id it is simply unknown.
        #expect(f.heartbeat(memberId: old.memberId, generation: 2) == .unknownMemberId)
        #expect(f.committed().isEmpty)
    }

    @Test func aRestartedStaticLeaderIsToldToSkipTheAssignment() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["s1", "c2"], instances: ["instance-1", nil])
        let response = try #require(f.join(client: "s1", instance: "instance-1").value)
        #expect(response.error == nil)
        #expect(response.isLeader)
        #expect(response.skipAssignment)
        #expect(response.members.map(\.memberId) == [response.memberId, members[1].memberId])
        #expect(f.state() == .stable)
        #expect(f.heartbeat(members[1]) == nil)
    }

    @Test func aStaticMemberRestartingWithAnotherAssignorRebalances() throws {
        let f = try CoordinatorFixture()
        let both = ["range", "roundrobin"]
        let members = try f.formGroup(
            ["c1", "s2"], instances: [nil, "instance-2"],
            protocols: ["c1": CoordinatorFixture.protocols(both, client: "c1"), "s2": CoordinatorFixture.protocols(both, client: "s2")])
        #expect(members[0].response.protocolName == "range")
        let restarted = f.join(client: "s2", instance: "instance-2", protocols: CoordinatorFixture.protocols(["roundrobin"], client: "s2"))
        #expect(restarted.isParked)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(members[0]) == .rebalanceInProgress)
        let c1 = f.rejoin(members[0], protocols: CoordinatorFixture.protocols(both, client: "c1"))
        #expect(c1.value?.protocolName == "roundrobin")
        #expect(restarted.value?.generationId == 3)
    }

    @Test func aStaticMemberRestartingDuringARebalanceFencesItsParkedJoin() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "s2"], instances: [nil, "instance-2"])
        f.join(client: "c3")
        let oldJoin = f.rejoin(members[1])
        #expect(oldJoin.isParked)
        let newJoin = f.join(client: "s2", instance: "instance-2")
        #expect(oldJoin.value?.error?.code == .fencedInstanceId)
        #expect(newJoin.isParked)
        f.rejoin(members[0])
        #expect(newJoin.value?.generationId == 3)
        #expect(newJoin.value?.memberId != members[1].memberId)
    }

    @Test func aStaticMemberRestartingDuringCompletingRebalanceRebalances() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "s2"], instances: [nil, "instance-2"], sync: false)
        let parked = f.sync(members[1])
        let restarted = f.join(client: "s2", instance: "instance-2")
        #expect(parked.value?.error?.code == .fencedInstanceId)
        #expect(restarted.isParked)
        #expect(f.state() == .preparingRebalance)
    }

    @Test func staticMembersThatDoNotRejoinAreKeptAtTheEndOfTheJoinPhase() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "s2"], instances: [nil, "instance-2"])
        let (c1, s2) = (members[0], members[1])
        let c3 = f.join(client: "c3")
        let c1Again = f.rejoin(c1)
        for _ in 0..<9 {
            f.advance(500)
            #expect(f.heartbeat(s2) == .rebalanceInProgress)
        }
        f.advance(500)
        // Generation 3 includes s2, which never rejoined; the leader sees it.
        let leader = try #require(c1Again.value)
        #expect(leader.generationId == 3)
        #expect(leader.members.map(\.memberId) == [c1.memberId, s2.memberId, c3.value?.memberId ?? ""])
        #expect(f.heartbeat(s2) == .illegalGeneration)
        let s2Again = try #require(f.rejoin(s2).value)
        #expect(s2Again.error == nil && s2Again.generationId == 3)
    }

    /// Kafka's completeClassicGroupJoin: if nobody rejoined but static members remain, the
    /// group does not advance (and must not go Empty with members in it); it waits another
    /// rebalance timeout while their sessions run.
    @Test func aJoinPhaseWithOnlyAbsentStaticMembersWaitsForThem() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["s1", "c2"], instances: ["instance-1", nil])
        let (s1, c2) = (members[0], members[1])
        #expect(f.leave(memberId: c2.memberId) == nil)
        for _ in 0..<12 {
            f.advance(500)
            #expect(f.heartbeat(s1) == .rebalanceInProgress)
        }
        let description = f.coordinator.describeGroup("g")
        #expect(description.state == .preparingRebalance)
        #expect(description.generationId == 2)
        #expect(description.members.map(\.memberId) == [s1.memberId])
        let again = try #require(f.rejoin(s1).value)
        #expect(again.generationId == 3 && again.isLeader)
        // And if it stops heartbeating too, its session ends the group.
        let g = try CoordinatorFixture()
        let pair = try g.formGroup(["s1", "c2"], instances: ["instance-1", nil])
        #expect(g.leave(memberId: pair[1].memberId) == nil)
        g.advance(1_000)
        #expect(g.heartbeat(pair[0]) == .unknownMemberId)
        #expect(g.commit(.standalone, [.orders(0): .init(offset: 1)]) == nil)
        #expect(g.coordinator.describeGroup("g").state == .empty)
        #expect(g.coordinator.describeGroup("g").generationId == 3)
    }

    @Test func anAdminCanRemoveAStaticMemberByInstanceId() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "s2"], instances: [nil, "instance-2"])
        #expect(f.leave(memberId: "", instance: "instance-9") == .unknownMemberId)
        #expect(f.leave(memberId: "", instance: "instance-2") == nil)
        #expect(f.heartbeat(members[1]) == .unknownMemberId)  // the instance is gone
        #expect(f.state() == .preparingRebalance)
        // The instance can come back as a brand-new member.
        let back = f.join(client: "s2", instance: "instance-2")
        #expect(back.isParked)
        f.rejoin(members[0])
        #expect(back.value?.generationId == 3)
    }
}
