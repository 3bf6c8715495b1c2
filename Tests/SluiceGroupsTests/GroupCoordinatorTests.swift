import Foundation
import SluiceLog
import Synchronization
import Testing

@testable import SluiceGroups

/// JoinGroup / SyncGroup / Heartbeat / LeaveGroup: the classic group state machine, checked
/// against Kafka's `GroupMetadataManager` (which requests park, which are answered after which
/// event, and with which error code).
@Suite("Group coordinator: join, sync, heartbeat, leave")
struct GroupCoordinatorTests {
    @Test func firstJoinFormsGenerationOneWithTheJoinerAsLeader() throws {
        let f = try CoordinatorFixture()
        let answer = f.join(client: "c1")
        let response = try #require(answer.value)
        #expect(response.error == nil)
        #expect(response.generationId == 1)
        #expect(response.memberId.hasPrefix("c1-"))
        #expect(response.isLeader)
        #expect(response.protocolType == "consumer")
        #expect(response.protocolName == "range")
        #expect(response.skipAssignment == false)
        // The leader gets every member's subscription for the chosen protocol.
        #expect(response.members.map(\.memberId) == [response.memberId])
        #expect(response.members.first?.metadata == CoordinatorFixture.protocols(client: "c1")[0].metadata)
        let description = f.coordinator.describeGroup("g")
        #expect(description.state == .completingRebalance)
        #expect(description.generationId == 1)
        #expect(description.protocolName == "")  // only shown once Stable, as in Kafka
        #expect(description.members.map(\.clientId) == ["c1"])
    }

    @Test func asyncJoinAndSyncReturnOnceAnswered() async throws {
        let f = try CoordinatorFixture()
        let join = await f.coordinator.joinGroup(
            JoinGroupRequest(
                groupId: "g", clientId: "c1", sessionTimeoutMs: 1_000, rebalanceTimeoutMs: 5_000,
                protocols: CoordinatorFixture.protocols(client: "c1")))
        #expect(join.error == nil && join.generationId == 1 && join.isLeader)
        let sync = await f.coordinator.syncGroup(
            SyncGroupRequest(groupId: "g", generationId: 1, memberId: join.memberId, assignments: [join.memberId: [7, 7]]))
        #expect(sync.error == nil)
        #expect(sync.assignment == [7, 7])
        #expect(sync.protocolName == "range")
        #expect(f.state() == .stable)
    }

    @Test func aSecondJoinParksUntilTheFirstMemberRejoins() throws {
        let f = try CoordinatorFixture()
        let c1 = try #require(f.joined(f.join(client: "c1"), client: "c1"))
        let second = f.join(client: "c2")
        #expect(second.isParked)
        #expect(f.state() == .preparingRebalance)
        // c1 learns about the rebalance from its heartbeat, then rejoins.
        #expect(f.heartbeat(c1) == .rebalanceInProgress)
        #expect(second.isParked)
        let again = f.rejoin(c1)
        let leader = try #require(again.value)
        let follower = try #require(second.value)
        #expect(leader.error == nil && follower.error == nil)
        #expect(leader.generationId == 2 && follower.generationId == 2)
        #expect(leader.memberId == c1.memberId)
        #expect(leader.leader == c1.memberId && follower.leader == c1.memberId)
        #expect(leader.isLeader && !follower.isLeader)
        #expect(leader.members.map(\.memberId) == [c1.memberId, follower.memberId])
        #expect(leader.members.map(\.metadata) == ["c1", "c2"].map { CoordinatorFixture.protocols(client: $0)[0].metadata })
        #expect(follower.members.isEmpty)  // followers never see the others' subscriptions
        #expect(f.state() == .completingRebalance)
        // The old generation is fenced now.
        #expect(f.heartbeat(memberId: c1.memberId, generation: 1) == .illegalGeneration)
    }

    @Test func followersParkUntilTheLeaderSyncsAndOmittedMembersGetEmptyBytes() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2", "c3"], sync: false)
        let (leader, c2, c3) = (members[0], members[1], members[2])
        #expect(f.state() == .completingRebalance)
        let c2Sync = f.sync(c2)
        #expect(c2Sync.isParked)
        #expect(f.heartbeat(c2) == nil)  // NONE in CompletingRebalance
        // The leader assigns c1 and c2 only; c3 was left out.
        let leaderSync = f.sync(leader, assignments: [leader.memberId: [1], c2.memberId: [2]])
        #expect(leaderSync.value?.error == nil)
        #expect(leaderSync.value?.assignment == [1])
        #expect(c2Sync.value?.error == nil)
        #expect(c2Sync.value?.assignment == [2])
        #expect(c2Sync.value?.protocolName == "range")
        #expect(c2Sync.value?.protocolType == "consumer")
        #expect(c2Sync.all.count == 1)
        #expect(f.state() == .stable)
        // c3 syncs after the leader: answered at once, with zero bytes.
        let c3Sync = f.sync(c3)
        #expect(c3Sync.value?.error == nil)
        #expect(c3Sync.value?.assignment == [])
        // A repeated sync in Stable returns the stored bytes again.
        #expect(f.sync(c2).value?.assignment == [2])
        let description = f.coordinator.describeGroup("g")
        #expect(description.state == .stable)
        #expect(description.protocolName == "range")
        #expect(description.generationId == 2)
        #expect(description.members.map(\.assignment) == [[1], [2], []])
        #expect(description.members.map(\.metadata) == ["c1", "c2", "c3"].map { CoordinatorFixture.protocols(client: $0)[0].metadata })
    }

    @Test func syncIsRejectedForStaleGenerationsUnknownMembersAndOtherProtocols() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"], sync: false)
        #expect(f.sync(memberId: members[1].memberId, generation: 1).value?.error?.code == .illegalGeneration)
        #expect(f.sync(memberId: "nobody", generation: 2).value?.error?.code == .unknownMemberId)
        #expect(f.sync(memberId: members[1].memberId, generation: 2, protocolName: "roundrobin").value?.error?.code == .inconsistentGroupProtocol)
        #expect(f.sync("no-such-group", memberId: "x", generation: 1).value?.error?.code == .unknownMemberId)
        // None of that disturbed the phase.
        #expect(f.state() == .completingRebalance)
        // During PreparingRebalance a sync is told to rejoin.
        f.join(client: "c3")
        #expect(f.sync(members[1]).value?.error?.code == .rebalanceInProgress)
    }

    @Test func aRepeatedSyncReplacesTheParkedOneWhichIsStillAnswered() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"], sync: false)
        let first = f.sync(members[1])
        let second = f.sync(members[1])
        #expect(first.value?.error?.code == .rebalanceInProgress)
        #expect(second.isParked)
        f.sync(members[0], assignments: [members[1].memberId: [9]])
        #expect(second.value?.assignment == [9])
        #expect(first.all.count == 1 && second.all.count == 1)
    }

    @Test func heartbeatCodesInEveryState() throws {
        let f = try CoordinatorFixture()
        #expect(f.heartbeat(memberId: "x", generation: 0) == .unknownMemberId)  // no such group
        let members = try f.formGroup(["c1", "c2"], sync: false)
        let (c1, c2) = (members[0], members[1])
        #expect(f.state() == .completingRebalance)
        #expect(f.heartbeat(c1) == nil)
        #expect(f.heartbeat(c2) == nil)
        f.sync(c1, assignments: [:])
        #expect(f.state() == .stable)
        #expect(f.heartbeat(c2) == nil)
        #expect(f.heartbeat(memberId: c2.memberId, generation: c2.generation - 1) == .illegalGeneration)
        #expect(f.heartbeat(memberId: c2.memberId, generation: c2.generation + 1) == .illegalGeneration)
        #expect(f.heartbeat(memberId: "stranger", generation: c2.generation) == .unknownMemberId)
        // An instance id the group does not know: UNKNOWN_MEMBER_ID, as Kafka's validateMember.
        #expect(f.heartbeat(memberId: c2.memberId, generation: c2.generation, instance: "ghost") == .unknownMemberId)
        let c3Join = f.join(client: "c3")
        #expect(c3Join.isParked)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(c1) == .rebalanceInProgress)
        #expect(f.heartbeat(c2) == .rebalanceInProgress)
        // c1 and c2 leave; c3 completes generation 3 alone, then leaves too: Empty.
        #expect(f.leave(memberId: c1.memberId) == nil)
        #expect(f.leave(memberId: c2.memberId) == nil)
        let c3 = try #require(f.joined(c3Join, client: "c3"))
        #expect(c3.generation == 3)
        #expect(f.heartbeat(c3) == nil)
        #expect(f.leave(memberId: c3.memberId) == nil)
        #expect(f.coordinator.describeGroup("g").state == .dead)  // Empty and no offsets: nothing left to show
        #expect(f.heartbeat(memberId: c3.memberId, generation: 4) == .unknownMemberId)
        #expect(f.heartbeat(c1) == .unknownMemberId)
    }

    @Test func requireKnownMemberIdHandsOutAnIdToRejoinWith() throws {
        let f = try CoordinatorFixture()
        let first = try #require(f.join(client: "c1", requireKnownMemberId: true).value)
        #expect(first.error?.code == .memberIdRequired)
        #expect(first.memberId.hasPrefix("c1-"))
        #expect(first.generationId == -1)
        #expect(f.coordinator.describeGroup("g").members.isEmpty)  // pending ids are not members
        let second = try #require(f.join(client: "c1", memberId: first.memberId, requireKnownMemberId: true).value)
        #expect(second.error == nil)
        #expect(second.memberId == first.memberId)
        #expect(second.generationId == 1)
        #expect(second.isLeader)
        // An id the coordinator never handed out is refused.
        #expect(f.join(client: "c9", memberId: "c9-made-up").value?.error?.code == .unknownMemberId)
        // A known member id for a group that does not exist: UNKNOWN_MEMBER_ID, and no group appears.
        #expect(f.join("other", client: "c1", memberId: first.memberId).value?.error?.code == .unknownMemberId)
        #expect(f.coordinator.describeGroup("other").state == .dead)
    }

    @Test func leaveGroupStartsARebalanceForTheOthers() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2", "c3"])
        let (c1, c2, c3) = (members[0], members[1], members[2])
        #expect(f.leave(memberId: c2.memberId) == nil)
        #expect(f.state() == .preparingRebalance)
        #expect(f.heartbeat(c2) == .unknownMemberId)
        #expect(f.leave(memberId: c2.memberId) == .unknownMemberId)
        #expect(f.heartbeat(c1) == .rebalanceInProgress)
        let c1Again = f.rejoin(c1)
        #expect(c1Again.isParked)
        // The last member to rejoin completes the phase.
        let c3Again = f.rejoin(c3)
        #expect(c1Again.value?.generationId == 3)
        #expect(c3Again.value?.generationId == 3)
        #expect(c1Again.value?.members.map(\.memberId) == [c1.memberId, c3.memberId])
        // A member leaving while the others wait in JoinGroup completes the phase too.
        let g3 = try #require(f.joined(c1Again, client: "c1"))
        f.sync(g3, assignments: [:])
        f.join(client: "c4")
        let c1Third = f.rejoin(g3)
        #expect(c1Third.isParked)
        #expect(f.leave(memberId: c3.memberId) == nil)
        #expect(c1Third.value?.generationId == 4)
    }

    @Test func theLastMemberLeavingEmptiesTheGroupAndBumpsTheGeneration() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        #expect(c1.generation == 1)
        #expect(f.commit(c1, [.orders(0): 5]) == nil)  // offsets keep the Empty group visible
        #expect(f.leave(memberId: c1.memberId) == nil)
        let description = f.coordinator.describeGroup("g")
        #expect(description.state == .empty)
        #expect(description.generationId == 2)
        #expect(description.members.isEmpty)
        #expect(f.heartbeat(c1) == .unknownMemberId)
        #expect(f.sync(c1).value?.error?.code == .unknownMemberId)
        // The next member starts the generation after that.
        #expect(f.join(client: "c2").value?.generationId == 3)
    }

    @Test func leaderRejoiningAStableGroupRebalancesAFollowerRepeatingItsJoinDoesNot() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        let (c1, c2) = (members[0], members[1])
        // A follower repeating its join with the same metadata gets the current generation.
        let repeated = try #require(f.rejoin(c2).value)
        #expect(repeated.error == nil && repeated.generationId == 2 && repeated.members.isEmpty)
        #expect(f.state() == .stable)
        // A follower with new metadata forces a rebalance.
        let changed = f.rejoin(c2, protocols: CoordinatorFixture.protocols(["range"], client: "c2-new-topics"))
        #expect(changed.isParked)
        #expect(f.state() == .preparingRebalance)
        f.rejoin(c1)
        #expect(changed.value?.generationId == 3)
        // In CompletingRebalance even the leader's repeated join just gets the current state.
        let leaderRepeat = try #require(f.join(client: "c1", memberId: c1.memberId).value)
        #expect(leaderRepeat.generationId == 3 && leaderRepeat.members.count == 2)
        #expect(f.state() == .completingRebalance)
        f.sync(memberId: c1.memberId, generation: 3)
        #expect(f.state() == .stable)
        // The leader rejoining a Stable group always rebalances (topic metadata may have changed).
        let leaderAgain = f.rejoin(c1)
        #expect(leaderAgain.isParked)
        #expect(f.state() == .preparingRebalance)
    }

    @Test func protocolSelectionVotesAmongTheAssignorsEveryMemberSupports() throws {
        let f = try CoordinatorFixture()
        let names: [String: [String]] = ["c1": ["roundrobin", "range"], "c2": ["roundrobin", "range"], "c3": ["range", "roundrobin"]]
        let protocols = Dictionary(uniqueKeysWithValues: names.map { ($0.key, CoordinatorFixture.protocols($0.value, client: $0.key)) })
        let members = try f.formGroup(["c1", "c2", "c3"], protocols: protocols, sync: false)
        #expect(members[0].response.protocolName == "roundrobin")  // two votes to one
        // The leader gets the metadata each member sent for the chosen protocol.
        #expect(members[0].response.members.map(\.metadata) == ["c1", "c2", "c3"].map { Array("roundrobin-subscription-of-\($0)".utf8) })

        // Only names every member lists are candidates.
        let g = try CoordinatorFixture()
        let only = try g.formGroup(
            ["a", "b"],
            protocols: [
                "a": CoordinatorFixture.protocols(["roundrobin", "range"], client: "a"),
                "b": CoordinatorFixture.protocols(["range"], client: "b"),
            ], sync: false)
        #expect(only[0].response.protocolName == "range")
    }

    @Test func inconsistentProtocolsAreRefusedWithoutDisturbingTheGroup() throws {
        let f = try CoordinatorFixture()
        let c1 = try f.formGroup(["c1"])[0]
        let disjoint = f.join(client: "c2", protocols: CoordinatorFixture.protocols(["roundrobin"], client: "c2"))
        #expect(disjoint.value?.error?.code == .inconsistentGroupProtocol)
        #expect(disjoint.value?.memberId == "")
        let otherType = f.join(client: "c3", protocolType: "connect")
        #expect(otherType.value?.error?.code == .inconsistentGroupProtocol)
        let none = f.join(client: "c4", protocols: [])
        #expect(none.value?.error?.code == .inconsistentGroupProtocol)
        let noType = f.join("fresh", client: "c5", protocolType: "")
        #expect(noType.value?.error?.code == .inconsistentGroupProtocol)
        #expect(f.state() == .stable)
        #expect(f.heartbeat(c1) == nil)
        // A sole member may not switch to assignors it did not list before (Kafka counts its own
        // old protocols too).
        let switched = f.rejoin(c1, protocols: CoordinatorFixture.protocols(["roundrobin"], client: "c1"))
        #expect(switched.value?.error?.code == .inconsistentGroupProtocol)
    }

    @Test func invalidSessionTimeoutsAndGroupIdsAreRefused() throws {
        let f = try CoordinatorFixture()
        #expect(f.join(client: "c1", session: 9).value?.error?.code == .invalidSessionTimeout)
        #expect(f.join(client: "c1", session: 1_800_001).value?.error?.code == .invalidSessionTimeout)
        #expect(f.join(client: "c1", session: 10).value?.error == nil)
        #expect(f.join("", client: "c1").value?.error?.code == .invalidGroupId)
        #expect(f.commit(in: "", .standalone, [.orders(0): .init(offset: 1)]) == .invalidGroupId)
        let g = try CoordinatorFixture { $0.minSessionTimeoutMs = 6_000 }
        #expect(g.join(client: "c1", session: 5_999).value?.error?.code == .invalidSessionTimeout)
        #expect(g.join(client: "c1", session: 6_000).value?.error == nil)
    }

    @Test func groupMaxSizeTurnsAwayTheMemberTooMany() throws {
        let f = try CoordinatorFixture { $0.maxGroupSize = 2 }
        let members = try f.formGroup(["c1", "c2"])
        let third = try #require(f.join(client: "c3").value)
        #expect(third.error?.code == .groupMaxSizeReached)
        #expect(third.memberId == "")
        #expect(f.join(client: "c3", requireKnownMemberId: true).value?.error?.code == .groupMaxSizeReached)
        #expect(f.state() == .stable)
        // Existing members still rejoin.
        #expect(f.rejoin(members[1]).value?.error == nil)
    }

    /// Kafka's `acceptJoiningMember`: while a join phase runs the limit counts members waiting
    /// in JoinGroup, so the members that rejoin last are the ones turned away (and removed).
    @Test func duringARebalanceTheLastRejoinersAreTurnedAway() throws {
        let f = try CoordinatorFixture { $0.maxGroupSize = 2 }
        let c1 = try f.formGroup(["c1"])[0]
        // Handed-out ids are checked when they join, not when handed out.
        let c2Id = try #require(f.join(client: "c2", requireKnownMemberId: true).value?.memberId)
        let c3Id = try #require(f.join(client: "c3", requireKnownMemberId: true).value?.memberId)
        let c2 = f.join(client: "c2", memberId: c2Id)
        #expect(f.state() == .preparingRebalance)
        let c3 = f.join(client: "c3", memberId: c3Id)
        #expect(c2.isParked && c3.isParked)
        let late = try #require(f.rejoin(c1).value)
        #expect(late.error?.code == .groupMaxSizeReached)
        #expect(c2.value?.generationId == 2 && c3.value?.generationId == 2)
        #expect(c2.value?.members.count == 2)
        #expect(f.heartbeat(memberId: c1.memberId, generation: 2) == .unknownMemberId)
    }

    @Test func aRepeatedJoinWhileParkedAnswersTheOlderRequest() throws {
        let f = try CoordinatorFixture()
        let members = try f.formGroup(["c1", "c2"])
        f.join(client: "c3")
        let first = f.rejoin(members[0])
        #expect(first.isParked)
        let second = f.rejoin(members[0])
        #expect(first.value?.error?.code == .rebalanceInProgress)
        #expect(second.isParked)
        f.rejoin(members[1])
        #expect(second.value?.error == nil)
        #expect(second.value?.generationId == 3)
        #expect(first.all.count == 1 && second.all.count == 1)
    }
}

// MARK: - Test support (shared by the GroupCoordinator*Tests suites)

/// A clock the test moves by hand, so every timeout fires exactly when the test says.
final class CoordinatorClock: Sendable {
    private let ms = Atomic<Int64>(1_700_000_000_000)
    var now: Int64 { ms.load(ordering: .relaxed) }
    func advance(_ delta: Int64) { ms.add(delta, ordering: .relaxed) }
}

/// The answers one callback-style request got: empty while the request is parked.
final class CoordinatorAnswer<Response: Sendable>: Sendable {
    private let responses = Mutex<[Response]>([])

    var all: [Response] { responses.withLock { $0 } }
    var isParked: Bool { all.isEmpty }
    /// The first answer (the coordinator answers each request exactly once).
    var value: Response? { all.first }

    var callback: @Sendable (Response) -> Void {
        { [self] response in responses.withLock { $0.append(response) } }
    }
}

/// One member's view after its JoinGroup was answered.
struct JoinedMember {
    var memberId: String
    var generation: Int32
    var instance: String?
    var response: JoinGroupResponse
    var client: String
}

/// A coordinator over a fresh log in a temporary directory, a manual clock, and helpers that
/// send requests and collect their answers.
final class CoordinatorFixture {
    let path: String
    let clock: CoordinatorClock
    let configuration: GroupCoordinator.Configuration
    private(set) var log: LogManager
    private(set) var coordinator: GroupCoordinator

    static let sessionMs: Int32 = 1_000
    static let rebalanceMs: Int32 = 5_000
    static let recordsPerPartition = 100

    init(topics: [String: Int] = ["orders": 3], configure: (inout GroupCoordinator.Configuration) -> Void = { _ in }) throws {
        path = NSTemporaryDirectory() + "/sluice-coordinator-\(UUID().uuidString)"
        let clock = CoordinatorClock()
        self.clock = clock
        var config = GroupCoordinator.Configuration()
        config.clock = { clock.now }
        config.minSessionTimeoutMs = 10
        configure(&config)
        configuration = config
        log = try LogManager(directory: path, options: Self.options)
        for (topic, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            try log.createTopic(topic, partitions: partitions)
            for p in 0..<Int32(partitions) {
                _ = try log.partition(topic, p).append(
                    records: (0..<Self.recordsPerPartition).map { Record(key: [UInt8($0 % 256)], value: [1], timestamp: 1) })
            }
        }
        coordinator = try GroupCoordinator(log: log, configuration: config)
    }

    deinit {
        try? log.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    static var options: LogManager.Options {
        var options = LogManager.Options()
        options.backgroundTasks = false
        return options
    }

    /// Closes the log and opens it again with a new coordinator (a broker restart).
    func reopen() throws {
        try log.close()
        log = try LogManager(directory: path, options: Self.options)
        coordinator = try GroupCoordinator(log: log, configuration: configuration)
    }

    /// Moves the clock and fires whatever timed out.
    func advance(_ ms: Int64) {
        clock.advance(ms)
        coordinator.tick()
    }

    // MARK: Requests

    static func protocols(_ names: [String] = ["range"], client: String) -> [GroupProtocol] {
        names.map { GroupProtocol(name: $0, metadata: Array("\($0)-subscription-of-\(client)".utf8)) }
    }

    @discardableResult
    func join(
        _ group: String = "g", client: String, memberId: String = "", instance: String? = nil, session: Int32 = sessionMs,
        rebalance: Int32 = rebalanceMs, protocolType: String = SluiceGroups.consumerProtocolType, protocols: [GroupProtocol]? = nil,
        requireKnownMemberId: Bool = false
    ) -> CoordinatorAnswer<JoinGroupResponse> {
        let answer = CoordinatorAnswer<JoinGroupResponse>()
        let request = JoinGroupRequest(
            groupId: group, memberId: memberId, groupInstanceId: instance, clientId: client, sessionTimeoutMs: session,
            rebalanceTimeoutMs: rebalance, protocolType: protocolType, protocols: protocols ?? Self.protocols(client: client),
            requireKnownMemberId: requireKnownMemberId)
        coordinator.joinGroup(request, respond: answer.callback)
        return answer
    }

    /// Rejoins with the member's id (and its instance id), as after REBALANCE_IN_PROGRESS.
    @discardableResult
    func rejoin(in group: String = "g", _ member: JoinedMember, protocols: [GroupProtocol]? = nil) -> CoordinatorAnswer<JoinGroupResponse> {
        join(group, client: member.client, memberId: member.memberId, instance: member.instance, protocols: protocols)
    }

    @discardableResult
    func sync(
        _ group: String = "g", memberId: String, generation: Int32, instance: String? = nil, protocolName: String? = nil,
        assignments: [String: [UInt8]] = [:]
    ) -> CoordinatorAnswer<SyncGroupResponse> {
        let answer = CoordinatorAnswer<SyncGroupResponse>()
        let request = SyncGroupRequest(
            groupId: group, generationId: generation, memberId: memberId, groupInstanceId: instance, protocolName: protocolName,
            assignments: assignments)
        coordinator.syncGroup(request, respond: answer.callback)
        return answer
    }

    @discardableResult
    func sync(in group: String = "g", _ member: JoinedMember, assignments: [String: [UInt8]] = [:]) -> CoordinatorAnswer<SyncGroupResponse> {
        sync(group, memberId: member.memberId, generation: member.generation, instance: member.instance, assignments: assignments)
    }

    /// The error code of a heartbeat, nil when it succeeded.
    func heartbeat(_ group: String = "g", memberId: String, generation: Int32, instance: String? = nil) -> GroupError.Code? {
        errorCode { () throws(GroupError) in
            try coordinator.heartbeat(groupId: group, memberId: memberId, groupInstanceId: instance, generationId: generation)
        }
    }

    func heartbeat(in group: String = "g", _ member: JoinedMember) -> GroupError.Code? {
        heartbeat(group, memberId: member.memberId, generation: member.generation, instance: member.instance)
    }

    func leave(_ group: String = "g", memberId: String, instance: String? = nil) -> GroupError.Code? {
        errorCode { () throws(GroupError) in try coordinator.leaveGroup(groupId: group, memberId: memberId, groupInstanceId: instance) }
    }

    func commit(
        in group: String = "g", _ identity: CommitIdentity, _ offsets: [TopicPartition: GroupCoordinator.OffsetAndMetadata]
    ) -> GroupError.Code? {
        errorCode { () throws(GroupError) in try coordinator.commitOffsets(groupId: group, identity: identity, offsets: offsets) }
    }

    func commit(in group: String = "g", _ member: JoinedMember, _ offsets: [TopicPartition: Int64]) -> GroupError.Code? {
        commit(
            in: group, CommitIdentity(generationId: member.generation, memberId: member.memberId, groupInstanceId: member.instance),
            offsets.mapValues { GroupCoordinator.OffsetAndMetadata(offset: $0) })
    }

    /// Committed offsets of `group`, offset values only.
    func committed(_ group: String = "g") -> [TopicPartition: Int64] {
        coordinator.committedOffsets(groupId: group).mapValues(\.offset)
    }

    func state(_ group: String = "g") -> GroupState { coordinator.describeGroup(group).state }

    // MARK: Whole flows

    /// A member from an answered JoinGroup (nil if it failed or is still parked).
    func joined(_ answer: CoordinatorAnswer<JoinGroupResponse>, client: String, instance: String? = nil) -> JoinedMember? {
        guard let response = answer.value, response.error == nil else { return nil }
        return JoinedMember(
            memberId: response.memberId, generation: response.generationId, instance: instance, response: response, client: client)
    }

    /// Forms a Stable group of `clients` (the first one leads) in one generation: the first
    /// joins alone, the others park, the first rejoins, then everyone syncs and the leader hands
    /// out `assignment(client)`. Returns the members in `clients` order.
    func formGroup(
        in group: String = "g", _ clients: [String], instances: [String?]? = nil, protocols: [String: [GroupProtocol]] = [:],
        sync doSync: Bool = true
    ) throws -> [JoinedMember] {
        let instances = instances ?? clients.map { _ in nil }
        let first = join(group, client: clients[0], instance: instances[0], protocols: protocols[clients[0]])
        var leader = try #require(joined(first, client: clients[0], instance: instances[0]))
        var answers: [CoordinatorAnswer<JoinGroupResponse>] = [first]
        if clients.count > 1 {
            let parked = zip(clients, instances).dropFirst().map { client, instance in
                join(group, client: client, instance: instance, protocols: protocols[client])
            }
            #expect(parked.allSatisfy { $0.isParked })
            let again = rejoin(in: group, leader, protocols: protocols[clients[0]])
            answers = [again] + parked
            leader = try #require(joined(again, client: clients[0], instance: instances[0]))
        }
        var members: [JoinedMember] = []
        for (index, answer) in answers.enumerated() {
            members.append(try #require(joined(answer, client: clients[index], instance: instances[index])))
        }
        #expect(members.allSatisfy { $0.generation == leader.generation && $0.response.leader == leader.memberId })
        if doSync {
            let assignments = Dictionary(uniqueKeysWithValues: members.map { ($0.memberId, Self.assignment($0.client)) })
            let leaderSync = sync(in: group, members[0], assignments: assignments)
            #expect(leaderSync.value?.error == nil)
            for member in members.dropFirst() { #expect(sync(in: group, member).value?.assignment == Self.assignment(member.client)) }
            #expect(state(group) == .stable)
        }
        return members
    }

    static func assignment(_ client: String) -> [UInt8] { Array("assignment-of-\(client)".utf8) }
}

/// The error code `body` threw, nil when it succeeded.
func errorCode(_ body: () throws(GroupError) -> Void) -> GroupError.Code? {
    do {
        try body()
        return nil
    } catch {
        return error.code
    }
}

extension TopicPartition {
    static func orders(_ partition: Int32) -> TopicPartition { TopicPartition("orders", partition) }
}
