import SluiceTestSupport
import Testing

@testable import SluiceGroups

fileprivate typealias Subscription = ConsumerProtocol.Subscription
fileprivate typealias Assignment = ConsumerProtocol.Assignment
fileprivate typealias TopicPartitions = ConsumerProtocol.TopicPartitions

/// The consumer-protocol codec on its own: hand-built bytes, every version, and malformed input.
@Suite("Consumer protocol codec")
struct ConsumerProtocolTests {
    /// A v3 subscription, byte by byte from ConsumerProtocolSubscription.json.
    static let subscriptionV3: [UInt8] = [
        0x00, 0x03,  // version 3
        0x00, 0x00, 0x00, 0x02,  // topics: 2
        0x00, 0x01, 0x61,  // "a"
        0x00, 0x01, 0x62,  // "b"
        0x00, 0x00, 0x00, 0x02, 0x78, 0x79,  // user_data "xy"
        0x00, 0x00, 0x00, 0x01,  // owned_partitions: 1
        0x00, 0x01, 0x61,  // topic "a"
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // partitions [0, 1]
        0x00, 0x00, 0x00, 0x07,  // generation_id 7
        0x00, 0x02, 0x72, 0x31,  // rack_id "r1"
    ]

    fileprivate static let subscriptionV3Value = Subscription(
        version: 3, topics: ["a", "b"], userData: Array("xy".utf8),
        ownedPartitions: [TopicPartitions(topic: "a", partitions: [0, 1])], generationId: 7, rackId: "r1")

    @Test func subscriptionV3MatchesTheSchemaByteForByte() throws {
        #expect(try Self.subscriptionV3Value.encoded() == Self.subscriptionV3)
        #expect(try Subscription(decoding: Self.subscriptionV3) == Self.subscriptionV3Value)
    }

    @Test func subscriptionV0HasOnlyTopicsAndUserData() throws {
        // version 0, topics ["t"], user_data null
        let bytes: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]
        let value = Subscription(version: 0, topics: ["t"])
        #expect(try value.encoded() == bytes)
        let decoded = try Subscription(decoding: bytes)
        #expect(decoded == value)
        #expect(decoded.ownedPartitions.isEmpty && decoded.generationId == -1 && decoded.rackId == nil)
    }

    @Test func olderVersionsDropTheFieldsTheyLack() throws {
        var value = Self.subscriptionV3Value
        for version: Int16 in 0...3 {
            value.version = version
            let decoded = try Subscription(decoding: value.encoded())
            #expect(decoded.version == version)
            #expect(decoded.topics == value.topics && decoded.userData == value.userData)
            #expect(decoded.ownedPartitions == (version >= 1 ? value.ownedPartitions : []))
            #expect(decoded.generationId == (version >= 2 ? 7 : -1))
            #expect(decoded.rackId == (version >= 3 ? "r1" : nil))
        }
    }

    @Test func assignmentMatchesTheSchemaByteForByte() throws {
        let bytes: [UInt8] = [
            0x00, 0x01,  // version 1
            0x00, 0x00, 0x00, 0x01,  // assigned_partitions: 1
            0x00, 0x02, 0x74, 0x30,  // "t0"
            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05,  // [2, 5]
            0x00, 0x00, 0x00, 0x00,  // user_data: empty (not null)
        ]
        let value = Assignment(version: 1, assignedPartitions: [TopicPartitions(topic: "t0", partitions: [2, 5])], userData: [])
        #expect(try value.encoded() == bytes)
        #expect(try Assignment(decoding: bytes) == value)
        #expect(value.partitions == [TopicPartition("t0", 2), TopicPartition("t0", 5)])
    }

    @Test func assignmentGroupsPartitionsByTopicInTopicOrder() {
        let value = Assignment(partitions: [TopicPartition("b", 1), TopicPartition("a", 3), TopicPartition("b", 0), TopicPartition("a", 1)])
        #expect(value.assignedPartitions == [TopicPartitions(topic: "a", partitions: [3, 1]), TopicPartitions(topic: "b", partitions: [1, 0])])
        #expect(value.version == 3 && value.userData == nil)
    }

    @Test func newerVersionsAreReadWithTheNewestLayoutAndTrailingBytesIgnored() throws {
        // Kafka's rule: a future version may only append fields.
        var bytes = Self.subscriptionV3
        bytes[1] = 9
        bytes += [0xde, 0xad, 0xbe, 0xef]
        let decoded = try Subscription(decoding: bytes)
        var expected = Self.subscriptionV3Value
        expected.version = 9
        #expect(decoded == expected)
        // ...but it cannot be written back as version 9.
        #expect(throws: ConsumerProtocolError.self) { try decoded.encoded() }

        let assignment: [UInt8] = [0x00, 0x07, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]
        #expect(try Assignment(decoding: assignment) == Assignment(version: 7, assignedPartitions: [], userData: nil))
    }

    @Test func negativeVersionsAreRejected() {
        expectConsumerProtocolError(.unsupportedVersion) { try Subscription(decoding: [0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) }
        expectConsumerProtocolError(.unsupportedVersion) { try Assignment(decoding: [0x80, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) }
        expectConsumerProtocolError(.unsupportedVersion) { try Subscription(version: -1, topics: []).encoded() }
        expectConsumerProtocolError(.unsupportedVersion) { try Assignment(version: 4, assignedPartitions: []).encoded() }
    }

    @Test func everyStrictPrefixIsTruncated() throws {
        let blobs: [(String, [UInt8])] = [
            ("subscription", Self.subscriptionV3),
            ("assignment", try Assignment(partitions: [TopicPartition("orders", 0), TopicPartition("orders", 3)], userData: [1, 2]).encoded()),
        ]
        for (kind, blob) in blobs {
            for length in 0..<blob.count {
                let prefix = Array(blob[..<length])
                do {
                    if kind == "subscription" { _ = try Subscription(decoding: prefix) } else { _ = try Assignment(decoding: prefix) }
                    Issue.record("\(kind) prefix of \(length) bytes decoded")
                } catch {
                    #expect(error.kind == .truncated || error.kind == .invalidLength, "\(kind) prefix \(length): \(error)")
                }
            }
        }
    }

    @Test func nullWhereTheSchemaHasNoneIsRejected() {
        // topics array count -1
        expectConsumerProtocolError(.invalidLength) { try Subscription(decoding: [0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }
        // a topic name of length -1
        expectConsumerProtocolError(.invalidLength) { try Subscription(decoding: [0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }
        // assigned partitions count -1
        expectConsumerProtocolError(.invalidLength) { try Assignment(decoding: [0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }
    }

    @Test func anyNegativeLengthOfANullableFieldIsNull() throws {
        // user_data length -2: Kafka's generated reader treats every negative length as null.
        let decoded = try Subscription(decoding: [0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe])
        #expect(decoded.userData == nil)
    }

    @Test func forgedCountsFailBeforeAllocating() {
        // 2^31-1 topics in a 10-byte blob, and a user_data claiming 2 GiB.
        expectConsumerProtocolError(.invalidLength) { try Subscription(decoding: [0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 0x61, 0]) }
        expectConsumerProtocolError(.truncated) { try Subscription(decoding: [0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2]) }
        // 1,000 partitions announced, 8 bytes present.
        expectConsumerProtocolError(.invalidLength) {
            try Assignment(decoding: [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0, 0, 0, 2])
        }
    }

    @Test func invalidUTF8IsRejected() {
        expectConsumerProtocolError(.invalidString) { try Subscription(decoding: [0, 0, 0, 0, 0, 1, 0, 2, 0xc3, 0x28, 0xff, 0xff, 0xff, 0xff]) }
    }

    @Test func oversizedValuesThrowOnEncode() {
        let long = String(repeating: "x", count: 32_768)
        expectConsumerProtocolError(.valueTooLarge) { try Subscription(topics: [long]).encoded() }
        expectConsumerProtocolError(.valueTooLarge) { try Subscription(topics: [], rackId: long).encoded() }
        #expect(throws: Never.self) { try Subscription(topics: [String(repeating: "x", count: 32_767)]).encoded() }
    }

    @Test func unicodeTopicNamesRoundTrip() throws {
        let value = Subscription(version: 3, topics: ["zählung", "注文", "🚚"], rackId: "rack-ß")
        #expect(try Subscription(decoding: value.encoded()) == value)
    }

    /// Random mutations of valid blobs (seeded): decoding never traps, and whatever decodes
    /// re-encodes to bytes that decode to the same value.
    @Test func randomMutationsNeverTrapAndDecodedValuesAreStable() throws {
        var random = SplitMix64(seed: 0xC0_25_0001)
        let seeds: [[UInt8]] = [
            Self.subscriptionV3, try Subscription(version: 1, topics: ["a", "bb"], ownedPartitions: [TopicPartitions(topic: "a", partitions: [0])]).encoded(),
            try Assignment(version: 0, partitions: [TopicPartition("x", 1), TopicPartition("y", 2)], userData: [9]).encoded(),
        ]
        var decodedCount = 0
        for _ in 0..<20_000 {
            var blob = random.pick(seeds)
            for _ in 0..<random.int(1...4) {
                switch random.int(0...3) {
                case 0 where !blob.isEmpty: blob[random.int(0...blob.count - 1)] = UInt8.random(in: 0...255, using: &random)
                case 1 where !blob.isEmpty: blob.removeSubrange(random.int(0...blob.count - 1)...)
                case 2: blob.insert(contentsOf: random.bytes(random.int(1...6)), at: random.int(0...blob.count))
                default: blob = random.bytes(random.int(0...24))
                }
            }
            if let value = try? Subscription(decoding: blob), value.version <= 3 {
                decodedCount += 1
                #expect(try Subscription(decoding: value.encoded()) == value)
            }
            if let value = try? Assignment(decoding: blob), value.version <= 3 {
                decodedCount += 1
                #expect(try Assignment(decoding: value.encoded()) == value)
            }
        }
        #expect(decodedCount > 100, "the mutations should leave some blobs decodable")
    }

    @Test func errorsCarryKafkaCodes() {
        #expect(ConsumerProtocolError.Kind.unsupportedVersion.kafkaCode == 35)
        #expect(ConsumerProtocolError.Kind.truncated.kafkaCode == 42)
        let error = ConsumerProtocolError(.truncated, "x")
        #expect(error.description == "x (INVALID_REQUEST, Kafka error 42)")
    }
}

func expectConsumerProtocolError(
    _ kind: ConsumerProtocolError.Kind, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any
) {
    do {
        _ = try body()
        Issue.record("expected a \(kind) error, got none", sourceLocation: sourceLocation)
    } catch let error as ConsumerProtocolError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ConsumerProtocolError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Subscriptions and assignments with edge cases (null vs empty user data, empty lists, unicode
/// names, negative generations) at every version, from a seed.
enum ConsumerProtocolSamples {
    static func subscriptions(count: Int, random: inout SplitMix64) -> [ConsumerProtocol.Subscription] {
        (0..<count).map { _ in
            Subscription(
                version: Int16(random.int(0...3)), topics: names(&random),
                userData: random.chance(0.3) ? nil : random.bytes(random.int(0...3) == 0 ? 0 : random.int(1...40)),
                ownedPartitions: topicPartitions(&random), generationId: random.chance(0.2) ? -1 : Int32(random.int(0...5000)),
                rackId: random.chance(0.4) ? nil : random.pick(["", "rack-a", "eu-west-1c", "ラック"]))
        }
    }

    static func assignments(count: Int, random: inout SplitMix64) -> [ConsumerProtocol.Assignment] {
        (0..<count).map { _ in
            Assignment(
                version: Int16(random.int(0...3)), assignedPartitions: topicPartitions(&random),
                userData: random.chance(0.4) ? nil : random.bytes(random.int(0...16)))
        }
    }

    private static func names(_ random: inout SplitMix64) -> [String] {
        (0..<random.int(0...4)).map { _ in random.pick(["orders", "payments", "a", "", "topic.with-dots_and_underscores", "zählung", "t\(random.int(0...99))"]) }
    }

    private static func topicPartitions(_ random: inout SplitMix64) -> [ConsumerProtocol.TopicPartitions] {
        (0..<random.int(0...3)).map { _ in
            TopicPartitions(topic: random.pick(["orders", "x", "t\(random.int(0...9))"]), partitions: (0..<random.int(0...5)).map { _ in Int32(random.int(0...63)) })
        }
    }
}
