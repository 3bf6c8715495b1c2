import Dispatch
import Foundation
import SluiceClient
import Synchronization
import SluiceGroups
import Testing

/// Many members joining, leaving and freezing in one process while records keep arriving.
@Suite("Rebalance storm", .serialized)
struct RebalanceStormTests {
    /// What every member processed, shared by all of them.
    final class Ledger: Sendable {
        let counts = Mutex<[String: Int]>([:])
        let owners = Mutex<[String: String]>([:])
        let conflicts = Mutex<[String]>([])
        let zombieRejections = Mutex<[Int16]>([])
        let zombieAccepted = Mutex<Int>(0)
        let coordinatorRejections = Mutex<[Int16]>([])

        func process(_ records: ConsumerRecords, generation: Int32, member: String) throws {
            for part in records.partitions {
                let key = "\(generation)/\(part.partition)"
                owners.withLock { owners in
                    if let other = owners[key], other != member {
                        conflicts.withLock { $0.append("\(key) owned by \(other) and \(member)") }
                    }
                    owners[key] = member
                }
            }
            try records.forEach { tp, record in counts.withLock { $0["\(tp.partition):\(record.offset)", default: 0] += 1 } }
        }

        var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    }

    /// A consumer on its own thread, running `runBatches` until told to stop or freeze.
    final class Member: Sendable {
        enum Ending: Int { case running, close, freeze }
        let consumer: Consumer
        let ending = Atomic<Int>(Ending.running.rawValue)
        let finished = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)

        init(cluster: TestCluster, ledger: Ledger, assignor: String, maxPollIntervalMs: Int32) throws {
            let coordinator = cluster.backend.coordinator
            consumer = try cluster.consumer(group: "storm") { configuration in
                configuration.partitionAssignmentStrategy = [assignor]
                configuration.maxPollIntervalMs = maxPollIntervalMs
            }
            let thread = Thread { [self] in
                do {
                    try consumer.subscribe(["storm"])
                    try consumer.runBatches(pollTimeoutMs: 10, until: { ending.load(ordering: .relaxed) != Ending.running.rawValue }) {
                        records, _ in
                        guard let group = consumer.groupMetadata else { return }
                        try ledger.process(records, generation: group.generationId, member: group.memberId)
                    }
                    if ending.load(ordering: .relaxed) == Ending.freeze.rawValue {
                        let identity = consumer.groupMetadata
                        let positions = try consumer.assignment.reduce(into: [TopicPartition: Int64]()) { $0[$1] = try consumer.position($1) }
                        // Stop polling past max.poll.interval.ms: the group moves on without us.
                        Thread.sleep(forTimeInterval: Double(maxPollIntervalMs) / 1000 + 0.4)
                        // The coordinator itself fences the old identity (not only the client).
                        if let identity, !positions.isEmpty {
                            do {
                                try coordinator.commitOffsets(
                                    groupId: "storm", identity: CommitIdentity(generationId: identity.generationId, memberId: identity.memberId),
                                    offsets: positions.mapValues { GroupCoordinator.OffsetAndMetadata(offset: $0) })
                                ledger.zombieAccepted.withLock { $0 += 1 }
                            } catch let error as GroupError {
                                ledger.coordinatorRejections.withLock { $0.append(error.code.rawValue) }
                            }
                        }
                        do {
                            try consumer.commit(positions)
                            if !positions.isEmpty { ledger.zombieAccepted.withLock { $0 += 1 } }
                        } catch let error as ConsumerError {
                            ledger.zombieRejections.withLock { $0.append(error.kafkaCode ?? -1) }
                        }
                    }
                    try consumer.close()
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                finished.signal()
            }
            thread.start()
        }

        func end(_ how: Ending) {
            ending.store(how.rawValue, ordering: .relaxed)
            consumer.wakeup()
        }
    }

    func storm(assignor: String) throws {
        let cluster = try TestCluster(topics: ["storm": 6])
        let ledger = Ledger()
        let producing = Atomic<Bool>(true)
        let produced = Atomic<Int>(0)
        let producerDone = DispatchSemaphore(value: 0)
        let producer = try Producer(backend: cluster.backend)
        Thread {
            var i = 0
            while producing.load(ordering: .relaxed) {
                for _ in 0..<50 {
                    _ = try? producer.send(topic: "storm", key: Array("k\(i % 31)".utf8), value: Array("\(i)".utf8))
                    i += 1
                }
                try? producer.flush()
                produced.store(i, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.005)
            }
            producerDone.signal()
        }.start()

        var random = SplitMix64(seed: 42)
        var members: [Member] = []
        var everyone: [Member] = []
        var freezes = 0
        var step = 0
        let deadline = Date().addingTimeInterval(ProcessInfo.processInfo.environment["SLUICE_FULL_TESTS"] == "1" ? 30 : 4)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: Double(Int.random(in: 100...350, using: &random)) / 1000)
            step += 1
            let roll = step % 5 == 4 ? 9 : Int.random(in: 0..<9, using: &random)  // every fifth step freezes one
            if members.count < 2 || (roll < 5 && members.count < 6) {
                members.append(try Member(cluster: cluster, ledger: ledger, assignor: assignor, maxPollIntervalMs: 400))
                everyone.append(members[members.count - 1])
            } else if roll < 9 {
                members.remove(at: Int.random(in: 0..<members.count, using: &random)).end(.close)
            } else if let owner = members.indices.first(where: { !members[$0].consumer.assignment.isEmpty }) {
                members.remove(at: owner).end(.freeze)  // one with partitions, so its zombie commit means something
                freezes += 1
            }
        }
        producing.store(false, ordering: .relaxed)
        producerDone.wait()
        try producer.close()
        let total = produced.load(ordering: .relaxed)

        // Let the remaining members catch up, then stop them all.
        let catchUp = Date().addingTimeInterval(20)
        while Set(ledger.counts.withLock { Array($0.keys) }).count < total && Date() < catchUp {
            Thread.sleep(forTimeInterval: 0.05)
        }
        for member in members { member.end(.close) }
        for member in everyone { member.finished.wait() }
        let failures = everyone.compactMap { $0.failure.withLock { $0 } }
        #expect(failures.isEmpty, "members failed: \(failures.prefix(3))")

        let distinct = ledger.counts.withLock { $0.count }
        #expect(distinct == total, "\(total - distinct) of \(total) records were never processed (skipped)")
        #expect(ledger.conflicts.withLock { $0 }.isEmpty, "partitions with two owners in one generation: \(ledger.conflicts.withLock { $0.prefix(5) })")
        #expect(ledger.zombieAccepted.withLock { $0 } == 0, "a frozen member's commit was accepted")
        let rejections = ledger.zombieRejections.withLock { $0 }
        let fenced = ledger.coordinatorRejections.withLock { $0 }
        #expect(fenced.count == freezes && fenced.allSatisfy { [22, 25].contains($0) }, "coordinator answers to zombie commits: \(fenced)")
        #expect(rejections.count == freezes && rejections.allSatisfy { [22, 25, 27].contains($0) }, "zombie commits rejected with \(rejections)")
        print(
            "rebalance storm (\(assignor)): \(total) records, \(ledger.total - distinct) duplicates, \(freezes) frozen members, "
                + "zombie commits rejected by the client with \(rejections) and by the coordinator with \(fenced), final generation \(cluster.backend.coordinator.describeGroup("storm").generationId)")
    }

    @Test func cooperativeStickyStorm() throws { try storm(assignor: "cooperative-sticky") }

    @Test func eagerRangeStorm() throws { try storm(assignor: "range") }

    /// Members restarted one at a time (close, then a new one) while records flow: thanks to
    /// commit-on-revoke and commit-on-close, no record is processed twice.
    func rollingRestart(assignor: String) throws {
        let cluster = try TestCluster(topics: ["storm": 6])
        let ledger = Ledger()
        try cluster.produce("storm", count: 3_000)
        var members = try (0..<3).map { _ in try Member(cluster: cluster, ledger: ledger, assignor: assignor, maxPollIntervalMs: 10_000) }
        for round in 0..<6 {
            Thread.sleep(forTimeInterval: 0.2)
            try cluster.produce("storm", count: 500, from: 3_000 + round * 500)
            let leaving = members.removeFirst()
            leaving.end(.close)
            leaving.finished.wait()
            #expect(leaving.failure.withLock { $0 } == nil)
            members.append(try Member(cluster: cluster, ledger: ledger, assignor: assignor, maxPollIntervalMs: 10_000))
        }
        let total = 6_000
        let deadline = Date().addingTimeInterval(20)
        while ledger.counts.withLock({ $0.count }) < total && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        for member in members { member.end(.close) }
        for member in members { member.finished.wait() }
        let distinct = ledger.counts.withLock { $0.count }
        #expect(distinct == total, "skipped \(total - distinct)")
        #expect(ledger.total - distinct == 0, "\(ledger.total - distinct) records were processed twice")
    }

    @Test func rollingRestartCooperativeHasNoDuplicates() throws { try rollingRestart(assignor: "cooperative-sticky") }

    @Test func rollingRestartEagerHasNoDuplicates() throws { try rollingRestart(assignor: "range") }
}
