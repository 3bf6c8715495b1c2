import SluiceClient
import SluiceGroups
import Testing

/// KIP-345 through the client: a static member (`groupInstanceId`) that restarts within its
/// session timeout gets its partitions back without a rebalance.
@Suite("Static membership")
struct StaticMembershipTests {
    @Test func aRestartedStaticMemberKeepsItsPartitionsWithoutARebalance() throws {
        let cluster = try TestCluster()
        func member(_ instance: String) throws -> Consumer {
            let consumer = try cluster.consumer(group: "g") { $0.groupInstanceId = instance }
            try consumer.subscribe(["orders"])
            return consumer
        }
        let a = try member("a")
        let b = try member("b")
        try pollUntil([a, b]) { a.assignment.count + b.assignment.count == 3 && !a.assignment.isEmpty && !b.assignment.isEmpty }
        try pollFor([a, b], seconds: 0.2)
        let generation = cluster.backend.coordinator.describeGroup("g").generationId
        let before = b.assignment
        try b.close()  // a static member does not leave the group
        #expect(cluster.backend.coordinator.describeGroup("g").members.count == 2)

        let restarted = try member("b")
        try pollUntil([a, restarted]) { restarted.assignment == before }
        #expect(cluster.backend.coordinator.describeGroup("g").generationId == generation, "no rebalance happened")
        #expect(cluster.backend.coordinator.describeGroup("g").state == .stable)
        try a.close()
        try restarted.close()
    }
}
