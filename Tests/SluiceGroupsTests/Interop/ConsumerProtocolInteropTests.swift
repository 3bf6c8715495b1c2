import SluiceTestSupport
import Testing

@testable import SluiceGroups

/// Third-party proof of the consumer-protocol bytes: kafka-python 3.0.12's own
/// `ConsumerProtocolSubscription` / `ConsumerProtocolAssignment` (generated from Kafka's JSON
/// schemas) encode the same values to the same bytes, and each side decodes the other's.
@Suite("Consumer protocol vs kafka-python")
struct ConsumerProtocolInteropTests {
    static func item(_ value: ConsumerProtocol.Subscription) -> OracleItem {
        OracleItem(
            kind: "subscription", version: value.version, topics: value.topics, userData: value.userData.map(hexString),
            ownedPartitions: value.ownedPartitions.map { OracleTopicPartitions(topic: $0.topic, partitions: $0.partitions) },
            generationId: value.generationId, rackId: value.rackId)
    }

    static func item(_ value: ConsumerProtocol.Assignment) -> OracleItem {
        OracleItem(
            kind: "assignment", version: value.version, userData: value.userData.map(hexString),
            assignedPartitions: value.assignedPartitions.map { OracleTopicPartitions(topic: $0.topic, partitions: $0.partitions) })
    }

    /// What kafka-python reports after decoding `value`'s bytes: the fields the version carries,
    /// defaults for the rest.
    static func expectedDecode(_ value: ConsumerProtocol.Subscription) -> OracleItem {
        var copy = value
        if value.version < 1 { copy.ownedPartitions = [] }
        if value.version < 2 { copy.generationId = -1 }
        if value.version < 3 { copy.rackId = nil }
        return item(copy)
    }

    @Test func byteIdenticalEncodingsAndCrossDecoding() throws {
        var random = SplitMix64(seed: 0x5EED_C0DE)
        let subscriptions = ConsumerProtocolSamples.subscriptions(count: 150, random: &random)
        let assignments = ConsumerProtocolSamples.assignments(count: 150, random: &random)
        let items = subscriptions.map(Self.item) + assignments.map(Self.item)
        let swiftBytes = try subscriptions.map { try $0.encoded() } + assignments.map { try $0.encoded() }

        // 1. kafka-python encodes the same values: the bytes must be identical.
        let pythonHex = try KafkaPythonOracle.ask(OracleCodecRequest(op: "encode", items: items), as: [String].self)
        try #require(pythonHex.count == items.count)
        for (index, hex) in pythonHex.enumerated() {
            #expect(hex == hexString(swiftBytes[index]), "item \(index) (\(items[index].kind ?? "?") v\(items[index].version ?? -1)) differs")
        }

        // 2. Swift decodes kafka-python's bytes back to the values.
        for (index, hex) in pythonHex.enumerated() {
            let blob = try #require(bytes(fromHex: hex))
            if index < subscriptions.count {
                #expect(try ConsumerProtocol.Subscription(decoding: blob) == subscriptions[index].versionNormalised)
            } else {
                #expect(try ConsumerProtocol.Assignment(decoding: blob) == assignments[index - subscriptions.count])
            }
        }

        // 3. kafka-python decodes Swift's bytes to the same fields.
        let decodeItems = swiftBytes.enumerated().map { OracleDecodeItem(kind: $0.offset < subscriptions.count ? "subscription" : "assignment", hex: hexString($0.element)) }
        let decoded = try KafkaPythonOracle.ask(OracleDecodeRequest(items: decodeItems), as: [OracleItem].self)
        try #require(decoded.count == items.count)
        for (index, got) in decoded.enumerated() {
            let expected = index < subscriptions.count ? Self.expectedDecode(subscriptions[index]) : items[index]
            #expect(got == expected, "item \(index)")
        }
    }

    /// A future version (fields appended) and trailing bytes: both sides read the fields they
    /// know; truncated blobs: both sides refuse.
    @Test func newerVersionsAndDamagedBlobsAreTreatedAlike() throws {
        let value = ConsumerProtocol.Subscription(
            version: 3, topics: ["orders", "payments"], userData: [],
            ownedPartitions: [.init(topic: "orders", partitions: [0, 2])], generationId: 12, rackId: "rack-1")
        var future = try value.encoded()
        future[1] = 5
        future += [0x00, 0x00, 0x00, 0x2a, 0x00, 0x01, 0x7a]  // a made-up v5 int32 and string
        let assignment = try ConsumerProtocol.Assignment(partitions: [TopicPartition("orders", 1)], userData: nil).encoded()
        let truncatedSubscription = Array(try value.encoded().dropLast(3))
        let truncatedAssignment = Array(assignment.dropLast(1))

        let answers = try KafkaPythonOracle.ask(
            OracleDecodeRequest(items: [
                OracleDecodeItem(kind: "subscription", hex: hexString(future)),
                OracleDecodeItem(kind: "subscription", hex: hexString(truncatedSubscription)),
                OracleDecodeItem(kind: "assignment", hex: hexString(truncatedAssignment)),
                OracleDecodeItem(kind: "assignment", hex: ""),
            ]), as: [OracleItem].self)
        try #require(answers.count == 4)

        // kafka-python reports the version it read with (3); Swift keeps the one written (5).
        let swiftFuture = try ConsumerProtocol.Subscription(decoding: future)
        #expect(swiftFuture.version == 5)
        #expect(answers[0] == Self.item(value))
        #expect(Self.item(swiftFuture.versionNormalised) == Self.item(value))

        #expect(answers[1].error != nil, "kafka-python accepted a truncated subscription: \(answers[1])")
        #expect(throws: ConsumerProtocolError.self) { try ConsumerProtocol.Subscription(decoding: truncatedSubscription) }
        #expect(answers[2].error != nil, "kafka-python accepted a truncated assignment: \(answers[2])")
        #expect(throws: ConsumerProtocolError.self) { try ConsumerProtocol.Assignment(decoding: truncatedAssignment) }
        #expect(answers[3].error != nil, "kafka-python accepted an empty assignment: \(answers[3])")
        #expect(throws: ConsumerProtocolError.self) { try ConsumerProtocol.Assignment(decoding: []) }
    }
}

extension ConsumerProtocol.Subscription {
    /// This value as written and read back: the fields its version lacks at their defaults, and
    /// a version above 3 read as 3.
    var versionNormalised: Self {
        var copy = self
        copy.version = Swift.min(version, Self.latestVersion)
        if version < 1 { copy.ownedPartitions = [] }
        if version < 2 { copy.generationId = -1 }
        if version < 3 { copy.rackId = nil }
        return copy
    }
}
