import SluiceLog
import Testing

@testable import SluiceGroups

@Suite("__consumer_offsets records")
struct OffsetsTopicRecordTests {
    @Test func offsetCommitKeyBytes() throws {
        let key = OffsetsTopicKey.offsetCommit(group: "g", topic: "orders", partition: 2)
        // version 1, "g", "orders", partition 2
        #expect(key.encoded() == [0, 1, 0, 1, 0x67, 0, 6] + Array("orders".utf8) + [0, 0, 0, 2])
        #expect(try OffsetsTopicKey(decoding: key.encoded()) == key)
        // Version 0 has the same layout.
        var v0 = key.encoded()
        v0[1] = 0
        #expect(try OffsetsTopicKey(decoding: v0) == key)
    }

    @Test func groupMetadataKeyBytes() throws {
        let key = OffsetsTopicKey.groupMetadata(group: "payment")
        #expect(key.encoded() == [0, 2, 0, 7] + Array("payment".utf8))
        #expect(try OffsetsTopicKey(decoding: key.encoded()) == key)
        #expect(key.group == "payment")
    }

    @Test func offsetCommitValueVersion3Bytes() throws {
        let value = OffsetCommitValue(offset: 42, leaderEpoch: 0, metadata: "m", commitTimestamp: 1_700_000_000_000)
        #expect(
            value.encoded()
                == [0, 3] + [0, 0, 0, 0, 0, 0, 0, 42] + [0, 0, 0, 0] + [0, 1, 0x6d] + [0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00])
        #expect(try OffsetCommitValue(decoding: value.encoded()) == value)
    }

    @Test func olderValueVersionsDecode() throws {
        // v1: offset, metadata, commit timestamp, expire timestamp
        let v1: [UInt8] = [0, 1] + [0, 0, 0, 0, 0, 0, 0, 7] + [0, 0] + [0, 0, 0, 0, 0, 0, 0, 9] + [0, 0, 0, 0, 0, 0, 0, 11]
        let decoded = try OffsetCommitValue(decoding: v1)
        #expect(decoded == OffsetCommitValue(offset: 7, leaderEpoch: -1, metadata: "", commitTimestamp: 9, expireTimestamp: 11))
        // v2: offset, metadata, commit timestamp
        let v2: [UInt8] = [0, 2] + [0, 0, 0, 0, 0, 0, 0, 7] + [0, 0] + [0, 0, 0, 0, 0, 0, 0, 9]
        #expect(try OffsetCommitValue(decoding: v2) == OffsetCommitValue(offset: 7, commitTimestamp: 9))
    }

    @Test(arguments: [
        [UInt8](),
        [0],
        [0, 1, 0, 5, 0x61],  // string longer than the record
        [0, 9, 0, 1, 0x61],  // unknown key version
        [0, 1, 0xff, 0xff, 0, 1, 0x61, 0, 0, 0, 1],  // null group
    ])
    func malformedKeysAreErrorsNotCrashes(bytes: [UInt8]) {
        #expect(throws: LogError.self) { try OffsetsTopicKey(decoding: bytes) }
    }

    @Test func malformedValuesAreErrors() {
        #expect(throws: LogError.self) { try OffsetCommitValue(decoding: [0, 3, 0, 0]) }
        #expect(throws: LogError.self) { try OffsetCommitValue(decoding: [0, 5] + Array(repeating: 0, count: 30)) }
    }

    /// Java's `"…".hashCode()` values, and Kafka's placement of groups on 50 partitions.
    @Test func groupsLandOnKafkasPartition() {
        #expect(OffsetsTopic.javaHashCode("") == 0)
        #expect(OffsetsTopic.javaHashCode("a") == 97)
        #expect(OffsetsTopic.javaHashCode("hello") == 99_162_322)
        #expect(OffsetsTopic.javaHashCode("polygenelubricants") == Int32.min)
        #expect(OffsetsTopic.partition(forGroup: "polygenelubricants") == 0)
        #expect(OffsetsTopic.partition(forGroup: "hello") == 99_162_322 % 50)
        // Negative hashes (values computed with Java's algorithm independently).
        #expect(OffsetsTopic.javaHashCode("payment") == -786_681_338)
        #expect(OffsetsTopic.partition(forGroup: "payment") == 38)
        #expect(OffsetsTopic.javaHashCode("shipping") == -516_235_858)
        #expect(OffsetsTopic.partition(forGroup: "shipping") == 8)
        #expect(OffsetsTopic.partition(forGroup: "stats") == 49)
    }
}
