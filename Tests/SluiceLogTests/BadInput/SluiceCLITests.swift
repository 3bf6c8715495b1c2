import SluiceTestSupport
import Foundation
import Testing

@testable import SluiceLog

#if canImport(Glibc)
import Glibc
#endif

/// The real `sluice` binary (built next to the test bundle), run as a user would: exit codes,
/// exact standard output, error messages on standard error, and nothing changed by refused input.
@Suite("sluice command line")
struct SluiceCLITests {
    static func sluice(
        _ arguments: [String], dataDir: String?, stdin: String = "", environment: [String: String]? = nil
    ) throws -> ChildOutput {
        try ChildProcess.run(
            try SluiceBinary.path(), arguments + (dataDir.map { ["--data-dir", $0] } ?? []), stdin: Array(stdin.utf8),
            environment: environment ?? ChildProcess.cleanEnvironment, timeout: 60)
    }

    /// A closed data directory with topic `orders` (3 partitions, 3 records each).
    static func fixture() throws -> (TemporaryDirectory, String) {
        let dir = TemporaryDirectory("sluice-cli")
        let path = dir.path + "/data"
        let log = try LogManager(directory: path, options: noBackground)
        try log.createTopic("orders", partitions: 3)
        for p in 0..<Int32(3) { _ = try log.partition("orders", p).append(records: records(3, from: Int(p) * 3)) }
        try log.close()
        return (dir, path)
    }

    // MARK: Happy path

    /// Keyed lines go to the partition Kafka's murmur2 picks. The expected partitions below were
    /// computed with kafka-python's `kafka.partitioner.default.murmur2`, not with Sluice:
    /// 3 partitions: alice 0, bob 0, grace 0, dave 1, frank 1, heidi 1, carol 2, erin 2;
    /// 5 partitions: alice 4, bob 3.
    static let producedLines = """
        alice:a1
        bob:b1
        carol:c1
        dave:d1
        erin:e1
        frank:f1
        grace:g1
        heidi:h1
        alice:a2
        dave:d2
        carol:c2
        erin:NULL

        """

    static let consumedAll = """
        Partition:0\tOffset:0\talice\ta1
        Partition:0\tOffset:1\tbob\tb1
        Partition:0\tOffset:2\tgrace\tg1
        Partition:0\tOffset:3\talice\ta2
        Partition:1\tOffset:0\tdave\td1
        Partition:1\tOffset:1\tfrank\tf1
        Partition:1\tOffset:2\theidi\th1
        Partition:1\tOffset:3\tdave\td2
        Partition:2\tOffset:0\tcarol\tc1
        Partition:2\tOffset:1\terin\te1
        Partition:2\tOffset:2\tcarol\tc2
        Partition:2\tOffset:3\terin\tnull

        """

    @Test func topicsProduceAndConsumeEndToEnd() throws {
        let dir = TemporaryDirectory("sluice-cli")
        defer { withExtendedLifetime(dir) {} }
        let data = dir.path + "/data"
        func run(_ arguments: [String], stdin: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildOutput {
            let result = try Self.sluice(arguments, dataDir: data, stdin: stdin)
            #expect(result.succeeded, "sluice \(arguments.joined(separator: " ")) failed: \(result)", sourceLocation: sourceLocation)
            return result
        }
        func logSize(_ partition: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: data + "/\(partition)/00000000000000000000.log"))?[.size] as? NSNumber)?.intValue ?? -1
        }

        // topics create / list
        var out = try run(["topics", "create", "--topic", "orders", "--partitions", "3"])
        #expect(out.stdout == "Created topic orders.\n")
        #expect(out.stderr == "")
        out = try run(["topics", "create", "--topic", "audit-log", "--config", "compression.type=uncompressed", "--config", "retention.ms=86400000"])
        #expect(out.stdout == "Created topic audit-log.\n")
        out = try run(["topics", "create", "--topic", "orders", "--partitions", "3", "--if-not-exists"])
        #expect(out.stdout == "")
        out = try run(["topics", "list"])
        #expect(out.stdout == "audit-log\norders\n")
        var environment = ChildProcess.cleanEnvironment
        environment["SLUICE_DATA_DIR"] = data
        out = try Self.sluice(["topics", "list"], dataDir: nil, environment: environment)
        #expect(out.succeeded && out.stdout == "audit-log\norders\n", "\(out)")

        // produce with keys, consume everything with partition, offset and key
        out = try run(
            ["produce", "--topic", "orders", "--property", "parse.key=true", "--property", "key.separator=:", "--property", "null.marker=NULL"],
            stdin: Self.producedLines)
        #expect(out.stdout == "")
        out = try run([
            "consume", "--topic", "orders", "--from-beginning", "--property", "print.key=true", "--property", "print.partition=true",
            "--property", "print.offset=true", "--timeout-ms", "500",
        ])
        #expect(out.stdout == Self.consumedAll)
        #expect(out.stderr == "Processed a total of 12 messages\n")

        // --max-messages
        out = try run(["consume", "--topic", "orders", "--from-beginning", "--max-messages", "2", "--property", "print.offset=true"])
        #expect(out.stdout == "Offset:0\ta1\nOffset:1\tb1\n")
        #expect(out.stderr == "Processed a total of 2 messages\n")

        // --partition with --offset N | earliest | latest
        out = try run([
            "consume", "--topic", "orders", "--partition", "1", "--offset", "2", "--property", "print.offset=true", "--property", "print.key=true",
            "--timeout-ms", "300",
        ])
        #expect(out.stdout == "Offset:2\theidi\th1\nOffset:3\tdave\td2\n")
        out = try run(["consume", "--topic", "orders", "--partition", "2", "--offset", "earliest", "--max-messages", "1"])
        #expect(out.stdout == "c1\n")
        out = try run([
            "consume", "--topic", "orders", "--partition", "2", "--offset", "3", "--max-messages", "1", "--property", "print.key=true",
            "--property", "null.literal=<nil>", "--property", "key.separator=|",
        ])
        #expect(out.stdout == "erin|<nil>\n")
        let clock = ContinuousClock()
        var started = clock.now
        out = try run(["consume", "--topic", "orders", "--partition", "2", "--offset", "latest", "--timeout-ms", "300"])
        #expect(out.stdout == "")
        #expect(out.stderr == "Processed a total of 0 messages\n")
        #expect(clock.now - started >= .milliseconds(300))

        // --timeout-ms without --from-beginning starts at the end and gives up after the timeout
        started = clock.now
        out = try run(["consume", "--topic", "orders", "--timeout-ms", "400"])
        let waited = clock.now - started
        #expect(out.stdout == "")
        #expect(waited >= .milliseconds(400) && waited < .seconds(20), "\(waited)")
        out = try run(["consume", "--topic", "audit-log", "--from-beginning", "--timeout-ms", "200"])
        #expect(out.stdout == "" && out.stderr == "Processed a total of 0 messages\n")

        // describe
        out = try run(["topics", "describe", "--topic", "orders"])
        let describeOrders = "Topic: orders\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: \n"
            + (0..<3).map { p in
                "\tTopic: orders\tPartition: \(p)\tLeader: 0\tLogStartOffset: 0\tLogEndOffset: 4\tSegments: 1\tSize: \(logSize("orders-\(p)"))\n"
            }.joined()
        #expect(out.stdout == describeOrders)
        out = try run(["topics", "describe", "--topic", "audit-log"])
        #expect(
            out.stdout == "Topic: audit-log\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: compression.type=uncompressed,retention.ms=86400000\n"
                + "\tTopic: audit-log\tPartition: 0\tLeader: 0\tLogStartOffset: 0\tLogEndOffset: 0\tSegments: 1\tSize: 0\n")
        out = try run(["topics", "describe"])
        // `consume` without --group joined a console-consumer-NNNNN group, as Kafka's does, so
        // the internal offsets topic exists and is listed first, as in Kafka.
        #expect(out.stdout.hasPrefix("Topic: __consumer_offsets\t") && out.stdout.contains("Topic: audit-log\t") && out.stdout.contains(describeOrders), "\(out)")

        // alter: more partitions, then a config
        out = try run(["topics", "alter", "--topic", "orders", "--partitions", "5"])
        #expect(out.stdout == "Topic orders now has 5 partitions.\n")
        out = try run(["topics", "alter", "--topic", "orders", "--config", "retention.ms=3600000"])
        #expect(out.stdout == "Updated configs of topic orders.\n")
        out = try run(["topics", "describe", "--topic", "orders"])
        #expect(out.stdout.hasPrefix("Topic: orders\tPartitionCount: 5\tReplicationFactor: 1\tConfigs: retention.ms=3600000\n"), "\(out)")
        #expect(out.stdout.contains("\tTopic: orders\tPartition: 4\tLeader: 0\tLogStartOffset: 0\tLogEndOffset: 0\tSegments: 1\tSize: 0\n"))
        // With 5 partitions the same keys hash elsewhere (alice → 4, bob → 3).
        _ = try run(["produce", "--topic", "orders", "--property", "parse.key=true", "--property", "key.separator=:"], stdin: "alice:a3\nbob:b2\n")
        out = try run(["consume", "--topic", "orders", "--partition", "4", "--offset", "earliest", "--property", "print.key=true", "--timeout-ms", "200"])
        #expect(out.stdout == "alice\ta3\n")
        out = try run(["consume", "--topic", "orders", "--partition", "3", "--offset", "0", "--property", "print.key=true", "--timeout-ms", "200"])
        #expect(out.stdout == "bob\tb2\n")
        // Records already stored did not move.
        out = try run(["consume", "--topic", "orders", "--partition", "0", "--offset", "earliest", "--property", "print.key=true", "--timeout-ms", "200"])
        #expect(out.stdout == "alice\ta1\nbob\tb1\ngrace\tg1\nalice\ta2\n")

        // delete-records: partition 0 starts at offset 2 from now on
        out = try run(["topics", "delete-records", "--topic", "orders", "--partition", "0", "--offset", "2"])
        #expect(out.stdout == "Records delete operation completed:\npartition: orders-0\tlow_watermark: 2\n", "\(out)")
        out = try run(["consume", "--topic", "orders", "--partition", "0", "--offset", "earliest", "--property", "print.key=true", "--timeout-ms", "200"])
        #expect(out.stdout == "grace\tg1\nalice\ta2\n")
        out = try run(["topics", "delete-records", "--topic", "audit-log", "--offset", "-1"])
        #expect(out.stdout.hasPrefix("Records delete operation completed:\npartition: audit-log-0\tlow_watermark: "), "\(out)")
        out = try run(["topics", "describe", "--topic", "orders"])
        #expect(out.stdout.contains("\tTopic: orders\tPartition: 0\tLeader: 0\tLogStartOffset: 2\tLogEndOffset: 4\t"), "\(out)")

        // delete
        out = try run(["topics", "delete", "--topic", "audit-log"])
        #expect(out.stdout == "Deleted topic audit-log.\n")
        out = try run(["topics", "list"])
        #expect(out.stdout == "__consumer_offsets\norders\n")
        out = try run(["groups", "list"])
        #expect(out.stdout.hasPrefix("console-consumer-"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: data + "/audit-log-0"))
        #expect(!FileManager.default.fileExists(atPath: data + "/topics/audit-log.json"))
    }

    // MARK: Bad input

    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var stdin = ""
        /// Each must appear on standard error.
        var messages: [String]
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(
            name: "consume an unknown topic", arguments: ["consume", "--topic", "nope", "--from-beginning", "--timeout-ms", "100"],
            messages: ["topic 'nope' does not exist", "UNKNOWN_TOPIC_OR_PARTITION"]),
        BadCase(
            name: "produce to an unknown topic", arguments: ["produce", "--topic", "nope"], stdin: "hello\n",
            messages: ["topic 'nope' does not exist", "UNKNOWN_TOPIC_OR_PARTITION"]),
        BadCase(name: "describe an unknown topic", arguments: ["topics", "describe", "--topic", "nope"], messages: ["topic 'nope' does not exist"]),
        BadCase(name: "delete an unknown topic", arguments: ["topics", "delete", "--topic", "nope"], messages: ["topic 'nope' does not exist"]),
        BadCase(
            name: "alter an unknown topic", arguments: ["topics", "alter", "--topic", "nope", "--partitions", "4"],
            messages: ["topic 'nope' does not exist"]),
        BadCase(
            name: "delete records past a partition's end", arguments: ["topics", "delete-records", "--topic", "orders", "--offset", "4"],
            messages: ["cannot delete records of orders-", "it ends at", "OFFSET_OUT_OF_RANGE"]),
        BadCase(
            name: "delete records of a missing partition", arguments: ["topics", "delete-records", "--topic", "orders", "--partition", "9", "--offset", "0"],
            messages: ["there is no partition 9", "UNKNOWN_TOPIC_OR_PARTITION"]),
        BadCase(
            name: "delete records below -1", arguments: ["topics", "delete-records", "--topic", "orders", "--offset", "-2"],
            messages: ["--offset must be an offset (0 or more) or -1, not -2"]),
        BadCase(
            name: "--config with a bad value", arguments: ["topics", "create", "--topic", "fresh", "--config", "retention.ms=abc"],
            messages: ["invalid value 'abc' for topic config 'retention.ms'", "INVALID_CONFIG"]),
        BadCase(
            name: "--config without '='", arguments: ["topics", "create", "--topic", "fresh", "--config", "retention.ms"],
            messages: ["--config expects key=value, got 'retention.ms'"]),
        BadCase(
            name: "--config with an unknown key", arguments: ["topics", "create", "--topic", "fresh", "--config", "no.such.key=1"],
            messages: ["unknown topic config 'no.such.key'", "INVALID_CONFIG"]),
        BadCase(
            name: "--config compression.type=gzip", arguments: ["topics", "create", "--topic", "fresh", "--config", "compression.type=gzip"],
            messages: ["invalid value 'gzip' for topic config 'compression.type'"]),
        BadCase(
            name: "alter with a bad --config", arguments: ["topics", "alter", "--topic", "orders", "--config", "segment.bytes=12"],
            messages: ["invalid value '12' for topic config 'segment.bytes'", "INVALID_CONFIG"]),
        BadCase(
            name: "--partitions 0", arguments: ["topics", "create", "--topic", "fresh", "--partitions", "0"],
            messages: ["number of partitions must be at least 1", "INVALID_PARTITIONS"]),
        BadCase(
            name: "--partitions=-3", arguments: ["topics", "create", "--topic", "fresh", "--partitions=-3"],
            messages: ["got -3", "INVALID_PARTITIONS"]),
        BadCase(
            name: "--partitions abc", arguments: ["topics", "create", "--topic", "fresh", "--partitions", "abc"],
            messages: ["'abc' is invalid for '--partitions"]),
        BadCase(
            name: "--partitions 100001", arguments: ["topics", "create", "--topic", "fresh", "--partitions", "100001"],
            messages: ["INVALID_PARTITIONS"]),
        BadCase(
            name: "alter to fewer partitions", arguments: ["topics", "alter", "--topic", "orders", "--partitions", "2"],
            messages: ["has 3 partitions; the count can only be increased", "INVALID_PARTITIONS"]),
        BadCase(
            name: "create a duplicate topic", arguments: ["topics", "create", "--topic", "orders"],
            messages: ["topic 'orders' already exists", "TOPIC_ALREADY_EXISTS"]),
        BadCase(
            name: "create a topic with a space", arguments: ["topics", "create", "--topic", "bad name"],
            messages: ["contains a space", "INVALID_TOPIC_EXCEPTION"]),
        BadCase(
            name: "create a topic of 250 characters", arguments: ["topics", "create", "--topic", String(repeating: "a", count: 250)],
            messages: ["the maximum is 249"]),
        BadCase(
            name: "consume an unknown partition", arguments: ["consume", "--topic", "orders", "--partition", "9", "--timeout-ms", "100"],
            messages: ["there is no partition 9"]),
        BadCase(
            name: "consume at an offset out of range", arguments: ["consume", "--topic", "orders", "--partition", "0", "--offset", "999"],
            messages: ["offset 999 is out of range for orders-0", "OFFSET_OUT_OF_RANGE"]),
        BadCase(
            name: "consume at a bad offset", arguments: ["consume", "--topic", "orders", "--partition", "0", "--offset", "banana"],
            messages: ["--offset must be a number, earliest or latest"]),
        BadCase(
            name: "--offset without --partition", arguments: ["consume", "--topic", "orders", "--offset", "1"],
            messages: ["--offset needs --partition"]),
        BadCase(
            name: "--max-messages 0", arguments: ["consume", "--topic", "orders", "--from-beginning", "--max-messages", "0"],
            messages: ["--max-messages must be at least 1"]),
        BadCase(
            name: "a print property that is not a boolean", arguments: ["consume", "--topic", "orders", "--property", "print.key=yes"],
            messages: ["print.key expects true or false"]),
        BadCase(
            name: "an unknown producer property", arguments: ["produce", "--topic", "orders", "--property", "acks=all"], stdin: "x\n",
            messages: ["unknown --property 'acks'"]),
        BadCase(
            name: "an empty key separator",
            arguments: ["produce", "--topic", "orders", "--property", "parse.key=true", "--property", "key.separator="], stdin: "a:b\n",
            messages: ["key.separator must not be empty"]),
        BadCase(
            name: "produce to an unknown partition", arguments: ["produce", "--topic", "orders", "--partition", "3"], stdin: "x\n",
            messages: ["there is no partition 3"]),
    ]

    @Test(arguments: SluiceCLITests.badCases)
    func badInputFailsClearlyAndChangesNothing(_ badCase: BadCase) throws {
        let (dir, data) = try Self.fixture()
        defer { withExtendedLifetime(dir) {} }
        // `.lock` holds the pid of the last writer; a refused writer command still opens (and
        // so re-stamps) it. Everything else must be byte-identical.
        let before = DirectorySnapshot(data, ignoringContentsOf: [".lock"])
        let result = try Self.sluice(badCase.arguments, dataDir: data, stdin: badCase.stdin)
        #expect(!result.succeeded, "\(result)")
        #expect(!result.signaled, "\(result)")
        for message in badCase.messages {
            #expect(result.stderr.contains(message), "stderr should say \(message.debugDescription): \(result)")
        }
        #expect(result.stdout == "", "\(result)")
        let changes = before.differences(to: DirectorySnapshot(data, ignoringContentsOf: [".lock"]))
        #expect(changes.isEmpty, "\(changes.joined(separator: "; "))")
    }

    /// Bad input is refused before the data directory is opened, so a mistyped command does
    /// not create one (`topics create` says so in its source).
    @Test(arguments: [
        ["--partitions", "0"], ["--partitions=-3"], ["--config", "retention.ms=abc"], ["--config", "nokey"], ["--topic", "bad name"],
    ])
    func refusedCreateDoesNotCreateADataDirectory(_ extra: [String]) throws {
        let dir = TemporaryDirectory("sluice-cli")
        defer { withExtendedLifetime(dir) {} }
        let data = dir.path + "/never-created"
        var arguments = ["topics", "create"]
        if !extra.contains("--topic") { arguments += ["--topic", "fresh"] }
        let result = try Self.sluice(arguments + extra, dataDir: data)
        #expect(!result.succeeded && result.stderr.hasPrefix("Error: "), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: data), "refused `sluice topics create \(extra.joined(separator: " "))` created \(data): \(DirectorySnapshot(data).paths)")
    }

    @Test func readOnlyCommandsOnAMissingDataDirectoryFailWithoutCreatingIt() throws {
        let dir = TemporaryDirectory("sluice-cli")
        defer { withExtendedLifetime(dir) {} }
        let data = dir.path + "/missing"
        for arguments in [["topics", "list"], ["topics", "describe"], ["consume", "--topic", "t", "--from-beginning", "--timeout-ms", "100"]] {
            let result = try Self.sluice(arguments, dataDir: data)
            #expect(!result.succeeded && result.stderr.contains("no data directory at \(data)"), "\(arguments): \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test func lineWithoutKeySeparatorStopsProduceAfterTheLinesBeforeIt() throws {
        let (dir, data) = try Self.fixture()
        defer { withExtendedLifetime(dir) {} }
        let result = try Self.sluice(
            ["produce", "--topic", "orders", "--partition", "1", "--property", "parse.key=true", "--property", "key.separator=:"], dataDir: data,
            stdin: "k1:v1\nno separator here\nk3:v3\n")
        #expect(!result.succeeded, "\(result)")
        #expect(result.stderr.contains("no key separator found on line number 2: 'no separator here'"), "\(result)")
        // Documented: what was read before the bad line is written; nothing after it.
        let consumed = try Self.sluice(
            ["consume", "--topic", "orders", "--partition", "1", "--offset", "3", "--property", "print.key=true", "--timeout-ms", "300"],
            dataDir: data)
        #expect(consumed.succeeded && consumed.stdout == "k1\tv1\n", "\(consumed)")
    }

    @Test func newerFormatDirectoryIsRefusedByEveryCommand() throws {
        let (dir, data) = try Self.fixture()
        defer { withExtendedLifetime(dir) {} }
        try Data("version=99\n".utf8).write(to: URL(fileURLWithPath: data + "/meta.properties"))
        let before = DirectorySnapshot(data)
        for arguments in [
            ["topics", "list"], ["topics", "create", "--topic", "x"], ["consume", "--topic", "orders", "--from-beginning", "--timeout-ms", "100"],
            ["produce", "--topic", "orders"],
        ] {
            let result = try Self.sluice(arguments, dataDir: data, stdin: "x\n")
            #expect(!result.succeeded && result.stderr.contains("format version 99"), "\(arguments): \(result)")
        }
        #expect(before.differences(to: DirectorySnapshot(data)) == [])
    }

    /// While one `sluice produce` holds the directory, a second writer process is refused with a
    /// message naming the holder's pid and changes nothing (not even the pid in `.lock`); readers
    /// work alongside.
    @Test func secondWriterProcessIsToldWhoHoldsTheLock() throws {
        let (dir, data) = try Self.fixture()
        defer { withExtendedLifetime(dir) {} }
        let holder = try BackgroundChild(
            try SluiceBinary.path(), ["produce", "--topic", "orders", "--partition", "1", "--data-dir", data],
            environment: ChildProcess.cleanEnvironment)
        let pid = holder.pid
        // The holder has the lock once `.lock` names it and the clean-shutdown marker is gone.
        let deadline = Date().addingTimeInterval(30)
        while (try? String(contentsOfFile: data + "/.lock", encoding: .utf8)) != "\(pid)\n"
            || FileManager.default.fileExists(atPath: data + "/.sluice_cleanshutdown")
        {
            guard Date() < deadline, holder.isRunning else {
                let output = try holder.finish()
                Issue.record("sluice produce (pid \(pid)) did not take the lock: \(output)")
                return
            }
            usleep(20_000)
        }
        usleep(200_000)
        let before = DirectorySnapshot(data)
        let refused = try Self.sluice(["topics", "create", "--topic", "other"], dataDir: data)
        #expect(!refused.succeeded, "\(refused)")
        #expect(refused.stderr.contains("in use by process \(pid)"), "\(refused)")
        let refusedProducer = try Self.sluice(["produce", "--topic", "orders"], dataDir: data, stdin: "x\n")
        #expect(!refusedProducer.succeeded && refusedProducer.stderr.contains("process \(pid)"), "\(refusedProducer)")
        #expect(before.differences(to: DirectorySnapshot(data)) == [])

        let listed = try Self.sluice(["topics", "list"], dataDir: data)
        #expect(listed.succeeded && listed.stdout == "orders\n", "\(listed)")

        try holder.write("late\n")
        let finished = try holder.finish()
        #expect(finished.succeeded, "\(finished)")
        let consumed = try Self.sluice(["consume", "--topic", "orders", "--partition", "1", "--offset", "3", "--timeout-ms", "300"], dataDir: data)
        #expect(consumed.stdout == "late\n", "\(consumed)")
        // And the lock is free again.
        let created = try Self.sluice(["topics", "create", "--topic", "other"], dataDir: data)
        #expect(created.succeeded, "\(created)")
    }
}
