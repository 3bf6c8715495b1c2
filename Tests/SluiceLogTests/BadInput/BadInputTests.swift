import SluiceTestSupport
import Foundation
import Testing

@testable import SluiceLog

#if canImport(Glibc)
import Glibc
#endif

/// Bad input is refused with a clear error of the right kind (the Kafka code a client would
/// see) and leaves the data directory exactly as it was, byte for byte.
@Suite("Bad input: clear errors, nothing changed on disk")
struct BadInputTests {
    /// A data directory with topic `existing` (3 partitions, a config, 30 records), open for writing.
    struct Fixture {
        let dir = TemporaryDirectory("sluice-bad-input")
        let log: LogManager
        var path: String { dir.path + "/data" }

        init(configs: [String: String] = ["retention.ms": "86400000"]) throws {
            log = try LogManager(directory: dir.path + "/data", options: noBackground)
            try log.createTopic("existing", partitions: 3, configs: configs)
            for p in 0..<Int32(3) { _ = try log.partition("existing", p).append(records: records(10, from: Int(p) * 10)) }
        }

        func close() throws { try log.close() }
    }

    // MARK: Topic names

    static let invalidTopicNames: [String] = [
        "", ".", "..", String(repeating: "a", count: 250), String(repeating: "a", count: 1_000),
        "a b", " a", "a ", "a/b", "/a", "a/", "../x", "../../etc/passwd", "a\\b", "a\u{0}b", "\u{0}", "ü", "topic-ü", "a:b",
        "a*", "a?", "a\tb", "\t", "a\nb", "a\n", "a\rb", "a,b", "a;b", "a#b", "a@b", "a+b", "a=b", "a|b", "a'b", "a\"b", "$x", "~x",
        "a%2Fb", "a\u{7F}b", "a\u{200B}b", "Ａ", "名前", "😀", "e\u{301}", "(a)", "[a]", "{a}", "a<b", "a>b", "a!b", "a&b",
        String(repeating: "é", count: 125), String(repeating: "a", count: 249) + "ü",
    ]

    @Test(arguments: BadInputTests.invalidTopicNames)
    func invalidTopicNameIsRefused(_ name: String) throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let error = expectUnchanged(fixture.path, "createTopic(\(TopicName.quoted(name)))") {
            expectLogError(.invalidTopic, code: 17) { try fixture.log.createTopic(name, partitions: 1) }
        }
        if let error {
            // The message shows the name safely: no raw C0 control characters or NULs.
            #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 }, "\(error.message.debugDescription)")
            #expect(error.message.contains("topic name"), "\(error.message)")
        }
        #expect(throws: LogError.self) { try TopicName.validate(name) }
        #expect(fixture.log.topicNames(includeInternal: true) == ["existing"])
        try fixture.close()
    }

    /// DEL (U+007F) and ESC are control characters too: an error message must show them escaped,
    /// not raw (a raw ESC sequence would recolour the operator's terminal).
    @Test(arguments: ["a\u{7F}b", "\u{1B}[31mred", "a\u{85}b"])
    func controlCharactersInARefusedNameAreEscaped(_ name: String) throws {
        let error = expectLogError(.invalidTopic, code: 17) { try TopicName.validate(name) }
        let raw = error?.message.unicodeScalars.filter { $0.properties.generalCategory == .control } ?? []
        #expect(raw.isEmpty, "raw control characters \(raw.map { "U+" + String($0.value, radix: 16, uppercase: true) }) in \(error?.message.debugDescription ?? "")")
    }

    /// Kafka's limit is 249 characters; every legal name up to it must work end to end
    /// (create, append, read, close, reopen).
    @Test(arguments: [1, 200, 246, 247, 248, 249])
    func legalNameOfLengthWorks(_ length: Int) throws {
        try checkLegalName(String(repeating: "a", count: length))
    }

    @Test(arguments: ["Az09._-", "__internal", "-", "_", "...", "a..b", "0", "UPPER", "with.dots", "with_underscores", "x-y-1"])
    func legalNameWorks(_ name: String) throws {
        try checkLegalName(name)
    }

    private func checkLegalName(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let before = DirectorySnapshot(fixture.path)
        do {
            try fixture.log.createTopic(name, partitions: 2)
        } catch {
            Issue.record("the legal \(name.count)-character topic name was refused: \(error)", sourceLocation: sourceLocation)
            // Even a refusal must leave nothing behind.
            let changes = before.differences(to: DirectorySnapshot(fixture.path))
            #expect(changes.isEmpty, "the failed create left: \(changes.joined(separator: "; "))", sourceLocation: sourceLocation)
            try? fixture.close()
            return
        }
        let partition = try fixture.log.partition(name, 1)
        #expect(try partition.append(records: records(5)).baseOffset == 0, sourceLocation: sourceLocation)
        try fixture.close()
        let reopened = try LogManager(directory: fixture.path, options: noBackground)
        #expect(reopened.topicNames(includeInternal: true).contains(name), sourceLocation: sourceLocation)
        #expect(reopened.recoveryReport.isEmpty, "\(reopened.recoveryReport)", sourceLocation: sourceLocation)
        #expect(try readAll(try reopened.partition(name, 1)).map(\.record) == records(5), sourceLocation: sourceLocation)
        try reopened.close()
    }

    @Test func namesThatCollideInMetricNamesAreRefused() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.createTopic("orders_eu", partitions: 1)
        try fixture.log.createTopic("a.b.c", partitions: 1)
        for name in ["orders.eu", "a_b_c", "a.b_c", "a_b.c"] {
            expectUnchanged(fixture.path, "createTopic(\(name))") {
                expectLogError(.invalidTopic, code: 17, mentioning: ["collides"]) { try fixture.log.createTopic(name, partitions: 1) }
            }
        }
        try fixture.close()
    }

    // MARK: Partitions

    @Test(arguments: [0, -1, -100, Int.min, 100_001, Int.max])
    func badPartitionCountIsRefused(_ partitions: Int) throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectUnchanged(fixture.path, "createTopic(partitions: \(partitions))") {
            expectLogError(.invalidPartitions, code: 37, mentioning: ["\(partitions)"]) {
                try fixture.log.createTopic("fresh", partitions: partitions)
            }
        }
        #expect(fixture.log.topicNames() == ["existing"])
        try fixture.close()
    }

    @Test(arguments: [2, 1, 0, -1, Int.min, 100_001])
    func alterCannotDecreaseOrOverflowPartitions(_ partitions: Int) throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectUnchanged(fixture.path, "alterTopic(partitions: \(partitions))") {
            expectLogError(.invalidPartitions, code: 37) { try fixture.log.alterTopic("existing", partitions: partitions) }
        }
        #expect(try fixture.log.partitionCount("existing") == 3)
        // All or nothing: a valid config change alongside is not applied either.
        expectUnchanged(fixture.path, "alterTopic(partitions: \(partitions), configs:)") {
            expectLogError(.invalidPartitions, code: 37) {
                try fixture.log.alterTopic("existing", partitions: partitions, configs: ["retention.ms": "1000"])
            }
        }
        #expect(try fixture.log.describeTopic("existing").config.retentionMs == 86_400_000)
        try fixture.close()
    }

    @Test func alterToTheSameCountChangesNothing() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.alterTopic("existing", partitions: 3)
        #expect(try fixture.log.partitionCount("existing") == 3)
        #expect(try readAll(try fixture.log.partition("existing", 2)).map(\.record) == records(10, from: 20))
        try fixture.close()
    }

    // MARK: Configs

    static let unknownConfigKeys = [
        "retention.msx", "Retention.ms", "RETENTION.MS", "", " ", "retention.ms ", " retention.ms", "compression", "foo", "segment.byte",
        "log.retention.ms", "message.timestamp.difference.max.ms", "unclean.leader.election.enable", "min.insync.replicas",
    ]

    @Test(arguments: BadInputTests.unknownConfigKeys)
    func unknownConfigKeyIsRefused(_ key: String) throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectUnchanged(fixture.path, "createTopic(configs: [\(key.debugDescription): 1])") {
            expectLogError(.invalidConfig, code: 40, mentioning: ["unknown topic config '\(key)'"]) {
                try fixture.log.createTopic("fresh", partitions: 1, configs: [key: "1"])
            }
        }
        expectUnchanged(fixture.path, "alterTopic(configs: [\(key.debugDescription): 1])") {
            expectLogError(.invalidConfig, code: 40) { try fixture.log.alterTopic("existing", configs: [key: "1"]) }
        }
        #expect(fixture.log.topicNames() == ["existing"])
        try fixture.close()
    }

    /// Per documented key: a value that must be accepted, and values that must be refused.
    static let configValues: [String: (good: String, bad: [String])] = [
        "cleanup.policy": ("compact,delete", ["", "deleted", "compact,foo", "none", ","]),
        "compression.type": ("uncompressed", ["gzip", "snappy", "lz4", "ZSTD", "", "none", "zstd1"]),
        "compression.zstd.level": ("22", ["-8", "23", "abc", "1.5", "", "0x3"]),
        "durability": ("interval", ["", "STRICT", "fsync", "async", "strict x"]),
        "flush.messages": ("1", ["0", "-1", "x", "1e3", "9223372036854775808"]),
        "flush.ms": ("0", ["-1", "x", "9223372036854775808", "1.5"]),
        "segment.bytes": ("1024", ["1023", "0", "-1", "2147483648", "1GB", ""]),
        "segment.ms": ("1", ["0", "-1", "x"]),
        "index.interval.bytes": ("0", ["-1", "2147483648", "x"]),
        "retention.ms": ("-1", ["-2", "x", "1.5", "7d"]),
        "retention.bytes": ("-1", ["-2", "x", "1G"]),
        "max.message.bytes": ("0", ["-1", "2147483648", "x", "1MB"]),
        "message.timestamp.type": ("LogAppendTime", ["createtime", "LogAppend", "", "CreateTime2", "logappendtime"]),
        "min.cleanable.dirty.ratio": ("1", ["-0.1", "1.01", "x", "nan", "inf", ""]),
        "delete.retention.ms": ("0", ["-1", "x"]),
        "min.compaction.lag.ms": ("0", ["-1", "x"]),
    ]

    struct ConfigCase: Sendable, CustomTestStringConvertible {
        var key: String
        var value: String
        var testDescription: String { "\(key)=\(value.debugDescription)" }
    }

    static let badConfigValues: [ConfigCase] = configValues.keys.sorted().flatMap { key in
        configValues[key]!.bad.map { ConfigCase(key: key, value: $0) }
    }

    @Test func everyDocumentedKeyHasBadValueCasesAndAcceptsItsGoodValue() throws {
        #expect(Set(TopicConfig.documentation.map(\.key)) == Set(Self.configValues.keys))
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        for key in Self.configValues.keys.sorted() {
            let good = Self.configValues[key]!.good
            #expect(throws: Never.self, "\(key)=\(good)") { _ = try TopicConfig([key: good]) }
        }
        // Each good value works on a real topic too (so the bad-value cases fail for their value).
        try fixture.log.createTopic("all-good", partitions: 1, configs: Self.configValues.mapValues(\.good))
        try fixture.close()
    }

    @Test(arguments: BadInputTests.badConfigValues)
    func badConfigValueIsRefused(_ configCase: ConfigCase) throws {
        let (key, value) = (configCase.key, configCase.value)
        let companion = key == "flush.ms" ? "segment.ms" : "flush.ms"
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectLogError(.invalidConfig, code: 40, mentioning: [key, "'\(value)'"]) { _ = try TopicConfig([key: value]) }
        expectUnchanged(fixture.path, "createTopic(\(key)=\(value))") {
            expectLogError(.invalidConfig, code: 40, mentioning: [key]) {
                try fixture.log.createTopic("fresh", partitions: 1, configs: [key: value])
            }
        }
        let configBefore = try fixture.log.describeTopic("existing").config
        expectUnchanged(fixture.path, "alterTopic(\(key)=\(value))") {
            expectLogError(.invalidConfig, code: 40, mentioning: [key]) { try fixture.log.alterTopic("existing", configs: [key: value]) }
            // All or nothing: with a good change and a partition increase alongside.
            expectLogError(.invalidConfig, code: 40) {
                try fixture.log.alterTopic("existing", partitions: 5, configs: [key: value, companion: "5"])
            }
        }
        #expect(try fixture.log.describeTopic("existing").config == configBefore)
        #expect(try fixture.log.partitionCount("existing") == 3)
        #expect(fixture.log.topicNames() == ["existing"])
        try fixture.close()
    }

    // MARK: Records too large

    @Test func batchAboveMaxMessageBytesIsRefused() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.createTopic("small", partitions: 1, configs: ["max.message.bytes": "1024", "compression.type": "uncompressed"])
        let partition = try fixture.log.partition("small", 0)
        let encoder = try RecordBatchEncoder(compression: .none)
        func batch(valueLength: Int) throws -> [UInt8] {
            var builder = RecordBatchBuilder()
            builder.append(Record(key: Array("k".utf8), value: Array(repeating: 7, count: valueLength), timestamp: 1))
            return try encoder.encode(builder)
        }
        var exact: [UInt8]?
        var over: [UInt8]?
        for length in 900..<1100 {
            let bytes = try batch(valueLength: length)
            if bytes.count == 1024 { exact = bytes }
            if bytes.count == 1025 { over = bytes }
        }
        let atLimit = try #require(exact)
        let overLimit = try #require(over)
        let huge = try batch(valueLength: 5_000)
        for (bytes, size) in [(overLimit, 1025), (huge, huge.count), (atLimit + overLimit, 1025)] {
            expectUnchanged(fixture.path, "append of \(bytes.count) bytes") {
                expectLogError(.messageTooLarge, code: 10, mentioning: ["\(size) bytes", "max.message.bytes=1024", "small"]) {
                    try partition.append(bytes)
                }
            }
        }
        expectUnchanged(fixture.path, "append(records:) of 2000 bytes") {
            expectLogError(.messageTooLarge, code: 10) { try partition.append(records: [Record(value: Array(repeating: 1, count: 2000), timestamp: 1)]) }
        }
        #expect(partition.logEndOffset == 0)
        // Exactly at the limit is fine, and offsets continue without a gap.
        #expect(try partition.append(atLimit).baseOffset == 0)
        #expect(try partition.append(records: records(1)).baseOffset == 1)
        try fixture.close()
    }

    @Test func compressedSizeCountsForMaxMessageBytes() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.createTopic("z", partitions: 1, configs: ["max.message.bytes": "1024", "compression.type": "zstd"])
        let partition = try fixture.log.partition("z", 0)
        var random = SplitMix64(seed: 7)
        expectUnchanged(fixture.path, "append of 4000 incompressible bytes") {
            expectLogError(.messageTooLarge, code: 10) { try partition.append(records: [Record(value: random.bytes(4_000), timestamp: 1)]) }
        }
        // 100 KB of zeros compresses far below the limit: accepted.
        #expect(try partition.append(records: [Record(value: Array(repeating: 0, count: 100_000), timestamp: 1)]).baseOffset == 0)
        try fixture.close()
    }

    @Test func producerReportsMessageTooLargeAndWritesNothing() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.createTopic("small", partitions: 1, configs: ["max.message.bytes": "1024", "compression.type": "uncompressed"])
        let producer = LogProducer(log: fixture.log)
        expectUnchanged(fixture.path, "producer send of 3000 bytes") {
            // Refused at `send` (the record alone exceeds the limit) or, at the latest, by `flush`.
            expectLogError(.messageTooLarge, code: 10, mentioning: ["max.message.bytes=1024"]) {
                try producer.send(topic: "small", record: Record(value: Array(repeating: 9, count: 3_000), timestamp: 1))
                try producer.flush()
            }
        }
        #expect(try fixture.log.partition("small", 0).logEndOffset == 0)
        // The producer still works for records that fit.
        try producer.send(topic: "small", record: Record(value: Array(repeating: 9, count: 100), timestamp: 2))
        try producer.flush()
        #expect(try fixture.log.partition("small", 0).logEndOffset == 1)
        try producer.close()
        try fixture.close()
    }

    // MARK: Malformed batches

    static func validBatch(_ count: Int = 3, compression: CompressionCodec = .none) throws -> [UInt8] {
        var builder = RecordBatchBuilder()
        for record in records(count) { builder.append(record) }
        return try RecordBatchEncoder(compression: compression).encode(builder)
    }

    /// Rewrites a field and recomputes the CRC, so only the field is wrong.
    static func patched(_ bytes: [UInt8], _ body: (inout [UInt8]) -> Void) -> [UInt8] {
        var out = bytes
        body(&out)
        let crc = CRC32C.checksum(Array(out[21...]))
        withUnsafeBytes(of: crc.bigEndian) { out.replaceSubrange(17..<21, with: $0) }
        return out
    }

    @Test func malformedBatchesAreRefused() throws {
        let fixture = try Fixture(configs: ["compression.type": "zstd"])
        defer { withExtendedLifetime(fixture) {} }
        let partition = try fixture.log.partition("existing", 0)
        let good = try Self.validBatch()
        var flipped = good
        flipped[flipped.count - 2] ^= 0x40
        let cases: [(String, [UInt8], LogError.Kind, Int16)] = [
            ("no bytes", [], .invalidRecord, 87),
            ("a CRC mismatch", flipped, .corruptMessage, 2),
            ("a truncated batch", Array(good.dropLast(5)), .corruptMessage, 2),
            ("half a header", Array(good.prefix(30)), .corruptMessage, 2),
            ("magic 1", Self.patched(good) { $0[16] = 1 }, .corruptMessage, 2),
            ("magic 3", Self.patched(good) { $0[16] = 3 }, .corruptMessage, 2),
            ("codec 5", Self.patched(good) { $0[22] = ($0[22] & ~0x07) | 5 }, .corruptMessage, 2),
            ("reserved attribute bits", Self.patched(good) { $0[21] = 0x80 }, .corruptMessage, 2),
            ("a control batch", Self.patched(good) { $0[22] |= 0x20 }, .invalidRecord, 87),
            ("a count that disagrees with the last offset delta", Self.patched(good) { $0[60] = 5 }, .invalidRecord, 87),
            ("zero records", Self.patched(good) { $0[60] = 0; $0[26] = 0xFF; $0[25] = 0xFF; $0[24] = 0xFF; $0[23] = 0xFF }, .corruptMessage, 2),
            ("a length below a header", Self.patched(good) { $0[8] = 0; $0[9] = 0; $0[10] = 0; $0[11] = 10 }, .corruptMessage, 2),
            ("a gzip batch (not converted)", Self.patched(good) { $0[22] = ($0[22] & ~0x07) | 1 }, .unsupportedCompressionType, 76),
            ("a good batch, then a damaged one", good + flipped, .corruptMessage, 2),
            ("a good batch, then garbage", good + [1, 2, 3], .corruptMessage, 2),
        ]
        for (what, bytes, kind, code) in cases {
            expectUnchanged(fixture.path, "append of \(what)") {
                expectLogError(kind, code: code) { try partition.append(bytes) }
            }
            #expect(partition.logEndOffset == 10, "after \(what)")
        }
        // The partition still works, with no offset gap.
        #expect(try partition.append(good).baseOffset == 10)
        #expect(try readAll(partition).map(\.offset) == Array(0..<13))
        try fixture.close()
    }

    // MARK: Offsets out of range

    @Test func readsOutsideTheLogAreOffsetOutOfRange() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let partition = try fixture.log.partition("existing", 1)
        #expect(partition.highWatermark == 10)
        try expectUnchanged(fixture.path, "reads out of range") { () throws -> Void in
            for offset: Int64 in [-1, -100, 11, 12, 1_000, Int64.max, Int64.min] {
                expectLogError(.offsetOutOfRange, code: 1, mentioning: ["\(offset)", "0..<10"]) { try partition.read(from: offset, maxBytes: 1 << 20) }
            }
            // At the high watermark: nothing yet, not an error (a consumer waits there).
            #expect(try partition.read(from: 10, maxBytes: 1 << 20).records.isEmpty)
            #expect(try partition.read(from: 9, maxBytes: 1).records.isEmpty == false)
        }
        try fixture.close()
    }

    @Test func readsBelowTheLogStartAfterRetentionAreOffsetOutOfRange() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.log.createTopic(
            "short", partitions: 1,
            configs: ["segment.bytes": "2048", "retention.bytes": "4096", "retention.ms": "-1", "compression.type": "uncompressed"])
        let partition = try fixture.log.partition("short", 0)
        for i in 0..<60 { _ = try partition.append(records: records(2, from: i * 2)) }
        #expect(try partition.enforceRetention() > 0)
        let start = partition.logStartOffset
        #expect(start > 0)
        expectUnchanged(fixture.path, "reads below the log start") {
            for offset in [0, start - 1] {
                expectLogError(.offsetOutOfRange, code: 1, mentioning: ["\(start)..<120"]) { try partition.read(from: offset, maxBytes: 1 << 20) }
            }
        }
        #expect(try readAll(partition).first?.offset == start)
        try fixture.close()
    }

    @Test func unknownTopicsAndPartitionsAreRefused() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectUnchanged(fixture.path, "lookups of unknown topics and partitions") {
            expectLogError(.unknownTopicOrPartition, code: 3, mentioning: ["nope"]) { try fixture.log.partition("nope", 0) }
            expectLogError(.unknownTopicOrPartition, code: 3, mentioning: ["no partition 3"]) { try fixture.log.partition("existing", 3) }
            expectLogError(.unknownTopicOrPartition, code: 3, mentioning: ["no partition -1"]) { try fixture.log.partition("existing", -1) }
            expectLogError(.unknownTopicOrPartition, code: 3) { try fixture.log.describeTopic("nope") }
            expectLogError(.unknownTopicOrPartition, code: 3) { try fixture.log.partitionCount("nope") }
            expectLogError(.unknownTopicOrPartition, code: 3) { try fixture.log.alterTopic("nope", partitions: 9) }
            expectLogError(.unknownTopicOrPartition, code: 3) { try fixture.log.deleteTopic("nope") }
            expectLogError(.unknownTopicOrPartition, code: 3) { try fixture.log.deleteTopic("Existing") }
        }
        try fixture.close()
    }

    // MARK: Duplicate topics

    @Test func duplicateTopicIsRefused() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        expectUnchanged(fixture.path, "duplicate createTopic") {
            expectLogError(.topicAlreadyExists, code: 36, mentioning: ["existing"]) { try fixture.log.createTopic("existing", partitions: 3) }
            expectLogError(.topicAlreadyExists, code: 36) {
                try fixture.log.createTopic("existing", partitions: 7, configs: ["compression.type": "uncompressed"])
            }
        }
        #expect(try fixture.log.partitionCount("existing") == 3)
        try fixture.close()
        // Still refused after a restart (the metadata is on disk).
        let reopened = try LogManager(directory: fixture.path, options: noBackground)
        expectUnchanged(fixture.path, "duplicate createTopic after reopening") {
            expectLogError(.topicAlreadyExists, code: 36) { try reopened.createTopic("existing", partitions: 1) }
        }
        #expect(try readAll(try reopened.partition("existing", 0)).map(\.record) == records(10))
        try reopened.close()
    }

    // MARK: Data directories

    @Test func dataDirectoryThatIsARegularFileIsRefused() throws {
        let dir = TemporaryDirectory("sluice-bad-input")
        let path = dir.path + "/data"
        try Data("not a directory\n".utf8).write(to: URL(fileURLWithPath: path))
        expectUnchanged(dir.path, "opening a regular file") {
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: [path, "is a file"]) { try LogManager(directory: path) }
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: ["is a file"]) { try LogManager(directory: path, readOnly: true) }
        }
    }

    @Test func nonEmptyDirectoryThatIsNotSluiceIsRefused() throws {
        let dir = TemporaryDirectory("sluice-bad-input")
        let path = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: path + "/photos-0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/topics", withIntermediateDirectories: true)
        try Data("holiday".utf8).write(to: URL(fileURLWithPath: path + "/photos-0/00000000000000000000.log"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path + "/topics/x.json"))
        expectUnchanged(dir.path, "opening a foreign directory") {
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: [path, "not a Sluice data directory"]) { try LogManager(directory: path) }
            expectLogError(.incompatibleDataDirectory, code: -1) { try LogManager(directory: path, readOnly: true) }
        }
    }

    /// A directory from a newer Sluice (format version 99) is refused, read-only too, and not
    /// touched at all: no lock file taken, no marker removed, no orphan cleanup, no recovery.
    @Test func newerFormatVersionIsRefusedAndLeftUntouched() throws {
        let dir = TemporaryDirectory("sluice-bad-input")
        defer { withExtendedLifetime(dir) {} }
        let path = dir.path + "/data"
        do {
            let log = try LogManager(directory: path, options: noBackground)
            try log.createTopic("future", partitions: 2)
            _ = try log.partition("future", 0).append(records: records(5))
            try log.close()
        }
        try Data("version=99\nnew.feature=on\n".utf8).write(to: URL(fileURLWithPath: path + "/meta.properties"))
        try FileManager.default.removeItem(atPath: path + "/.lock")
        // Things an older version must not "clean up": an unclaimed partition dir and a torn tail.
        try FileManager.default.createDirectory(atPath: path + "/future-7", withIntermediateDirectories: true)
        let handle = try #require(FileHandle(forWritingAtPath: path + "/future-0/00000000000000000000.log"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 0]))
        try handle.close()
        expectUnchanged(dir.path, "opening a version 99 directory") {
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: ["format version 99", "newer"]) { try LogManager(directory: path) }
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: ["format version 99"]) { try LogManager(directory: path, readOnly: true) }
        }
        #expect(!FileManager.default.fileExists(atPath: path + "/.lock"))
    }

    @Test func metaPropertiesWithoutAVersionIsRefused() throws {
        let dir = TemporaryDirectory("sluice-bad-input")
        let path = dir.path + "/data"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for text in ["", "hello\n", "version=\n", "version=abc\n", "Version=1\n"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/meta.properties"))
            expectUnchanged(dir.path, "opening with meta.properties \(text.debugDescription)") {
                expectLogError(.incompatibleDataDirectory, code: -1, mentioning: ["no version"]) { try LogManager(directory: path) }
            }
        }
    }

    @Test func secondWriterIsRefusedWithTheHoldersPid() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let pid = getpid()
        let error = expectUnchanged(fixture.path, "a second writer") {
            expectLogError(.dataDirectoryLocked, code: -1, mentioning: ["process \(pid)", fixture.path, "read-only"]) {
                try LogManager(directory: fixture.path, options: noBackground)
            }
        }
        #expect(error != nil)
        // Readers are welcome meanwhile, and see the data.
        let reader = try LogManager(directory: fixture.path, readOnly: true)
        #expect(try readAll(try reader.partition("existing", 2)).map(\.record) == records(10, from: 20))
        try reader.close()
        try fixture.close()
        // Once the writer is gone the lock is free.
        let next = try LogManager(directory: fixture.path, options: noBackground)
        try next.close()
    }

    @Test func readOnlyOpenOfAMissingDirectoryIsRefusedAndCreatesNothing() throws {
        let dir = TemporaryDirectory("sluice-bad-input")
        let path = dir.path + "/does/not/exist"
        expectUnchanged(dir.path, "read-only open of a missing directory") {
            expectLogError(.incompatibleDataDirectory, code: -1, mentioning: ["no data directory", path]) {
                try LogManager(directory: path, readOnly: true)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/does"))
    }

    @Test func writesThroughAReadOnlyOpenAreRefused() throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try fixture.close()
        let reader = try LogManager(directory: fixture.path, readOnly: true)
        expectUnchanged(fixture.path, "writes through a read-only open") {
            expectLogError(.storage, code: 56, mentioning: ["read-only"]) { try reader.createTopic("fresh", partitions: 1) }
            expectLogError(.storage, code: 56, mentioning: ["read-only"]) { try reader.alterTopic("existing", partitions: 5) }
            expectLogError(.storage, code: 56, mentioning: ["read-only"]) { try reader.deleteTopic("existing") }
            expectLogError(.storage, code: 56, mentioning: ["read-only"]) { try reader.partition("existing", 0).append(records: records(1)) }
        }
        try reader.close()
    }
}

/// Runs `body`, expecting a `LogError` of `kind` whose Kafka code is `code` and whose message
/// mentions each of `needles`. Returns the error.
@discardableResult
func expectLogError<R>(
    _ kind: LogError.Kind, code: Int16, mentioning needles: [String] = [], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) -> LogError? {
    do {
        let value = try body()
        Issue.record("expected \(kind.kafkaName) (\(kind)), but the call succeeded: \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as LogError {
        #expect(error.kind == kind, "expected \(kind), got \(error.kind): \(error)", sourceLocation: sourceLocation)
        #expect(error.kind.kafkaCode == code, "\(error.kind) maps to Kafka code \(error.kind.kafkaCode), expected \(code)", sourceLocation: sourceLocation)
        #expect(error.message.count >= 10, "message too terse: \(error.message.debugDescription)", sourceLocation: sourceLocation)
        for needle in needles {
            #expect(error.message.contains(needle), "message \(error.message.debugDescription) should mention \(needle.debugDescription)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected LogError \(kind), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
