import Foundation
import SluiceLog
import SluiceTestSupport
import Testing

@testable import SluiceGroups

/// `sluice groups ...` run as a user would: the real binary built next to the test bundle, exact
/// standard output (Kafka's columns), messages on standard error, exit codes, and refused input
/// changing nothing on disk.
///
/// Fixture (closed before the binary runs): topic `orders` with 3 partitions holding 10, 5 and 3
/// records, topic `audit` with 4; record `i` of each partition is stamped `base + i s`. Group
/// `payments` committed orders-0 → 4 and orders-1 → 5; group `shipping` orders-0 → 10 and audit-0 → 1.
@Suite("sluice groups command line")
struct GroupsCLITests {
    static let base: Int64 = 1_700_000_000_000  // 2023-11-14T22:13:20.000Z

    // MARK: Running the binary

    /// Runs the `sluice` built with the tests (`SluiceBinary`) on `dataDir`.
    static func sluice(_ arguments: [String], dataDir: String) throws -> ChildOutput {
        let path = try SluiceBinary.path()
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_DATA_DIR"] = nil
        return try ChildProcess.run(path, arguments + ["--data-dir", dataDir], environment: environment, timeout: 60)
    }

    /// Runs a command that must succeed.
    @discardableResult
    static func ok(_ arguments: [String], dataDir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ChildOutput {
        let out = try sluice(arguments, dataDir: dataDir)
        #expect(out.succeeded, "sluice \(arguments.joined(separator: " ")) failed: \(out)", sourceLocation: sourceLocation)
        return out
    }

    // MARK: Fixture

    /// A fresh temporary directory, removed when the value is released.
    final class Scratch {
        let path = NSTemporaryDirectory() + "/sluice-groups-cli-\(UUID().uuidString)"
        var data: String { path + "/data" }
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static var options: LogManager.Options {
        var options = LogManager.Options()
        options.backgroundTasks = false
        return options
    }

    static func records(_ count: Int) -> [Record] {
        (0..<count).map { i in Record(key: Array("k\(i)".utf8), value: Array("v\(i)".utf8), timestamp: base + Int64(i) * 1000) }
    }

    static func fixture() throws -> Scratch {
        let scratch = Scratch()
        let log = try LogManager(directory: scratch.data, options: options)
        try log.createTopic("orders", partitions: 3)
        try log.createTopic("audit", partitions: 1)
        for (partition, count) in [(Int32(0), 10), (1, 5), (2, 3)] {
            _ = try log.partition("orders", partition).append(records: records(count))
        }
        _ = try log.partition("audit", 0).append(records: records(4))
        let coordinator = try GroupCoordinator(log: log)
        try coordinator.commitOffsets(
            groupId: "payments", identity: .standalone,
            offsets: [TopicPartition("orders", 0): .init(offset: 4), TopicPartition("orders", 1): .init(offset: 5)])
        try coordinator.commitOffsets(
            groupId: "shipping", identity: .standalone,
            offsets: [TopicPartition("orders", 0): .init(offset: 10), TopicPartition("audit", 0): .init(offset: 1)])
        try log.close()
        return scratch
    }

    /// The committed offsets of `group`, read in this process from the closed directory.
    static func committed(_ group: String, in data: String) throws -> [String: Int64] {
        let log = try LogManager(directory: data, readOnly: true, options: options)
        let offsets = try GroupCoordinator(log: log).committedOffsets(groupId: group)
        return Dictionary(uniqueKeysWithValues: offsets.map { ($0.key.description, $0.value.offset) })
    }

    /// Everything under `root` with file contents, the lock file's contents excepted (its
    /// existence still counts): compare two with `differences(to:)`.
    static func snapshot(_ root: String) -> DirectorySnapshot {
        DirectorySnapshot(root, ignoringContentsOf: [".lock"])
    }

    // MARK: list

    @Test func listPrintsGroupIdsAndStates() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        var out = try Self.ok(["groups", "list"], dataDir: data)
        #expect(out.stdout == "payments\nshipping\n")
        #expect(out.stderr == "")

        out = try Self.ok(["groups", "list", "--state"], dataDir: data)
        #expect(out.stdout == "GROUP    STATE\npayments Empty\nshipping Empty\n")
        // --state before another option is still a flag; a value filters, in any case.
        out = try Self.ok(["groups", "list", "--state", "--data-dir", data], dataDir: data)
        #expect(out.stdout == "GROUP    STATE\npayments Empty\nshipping Empty\n")
        out = try Self.ok(["groups", "list", "--state", "eMpTy"], dataDir: data)
        #expect(out.stdout == "GROUP    STATE\npayments Empty\nshipping Empty\n")
        out = try Self.ok(["groups", "list", "--state", "Stable,PreparingRebalance"], dataDir: data)
        #expect(out.stdout == "GROUP STATE\n")

        out = try Self.sluice(["groups", "list", "--state", "Sleeping"], dataDir: data)
        #expect(!out.succeeded)
        #expect(out.stdout == "")
        #expect(out.stderr.contains("Invalid state list 'Sleeping'. Valid states are: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead"))
    }

    @Test func listOnADirectoryWithoutGroupsPrintsNothingAndCreatesNothing() throws {
        let scratch = Scratch()
        let log = try LogManager(directory: scratch.data, options: Self.options)
        try log.createTopic("orders", partitions: 1)
        try log.close()
        let before = Self.snapshot(scratch.data)
        var out = try Self.ok(["groups", "list"], dataDir: scratch.data)
        #expect(out.stdout == "")
        out = try Self.ok(["groups", "list", "--state"], dataDir: scratch.data)
        #expect(out.stdout == "GROUP STATE\n")
        out = try Self.sluice(["groups", "describe", "--group", "g"], dataDir: scratch.data)
        #expect(!out.succeeded)
        out = try Self.sluice(["groups", "delete", "--group", "g"], dataDir: scratch.data)
        #expect(!out.succeeded && out.stderr.contains("GROUP_ID_NOT_FOUND"), "\(out)")
        out = try Self.sluice(["groups", "reset-offsets", "--group", "g", "--topic", "nope", "--to-earliest", "--execute"], dataDir: scratch.data)
        #expect(!out.succeeded && out.stderr.contains("UNKNOWN_TOPIC_OR_PARTITION"), "\(out)")
        #expect(before.differences(to: Self.snapshot(scratch.data)) == [], "no __consumer_offsets may be created by reads or refused input")
    }

    // MARK: describe

    @Test func describeShowsCommittedOffsetsAndLag() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        var out = try Self.ok(["groups", "describe", "--group", "payments"], dataDir: data)
        #expect(
            out.stdout == """
                GROUP    TOPIC  PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
                payments orders 0         4              10             6   -           -    -
                payments orders 1         5              5              0   -           -    -

                """)
        #expect(out.stderr == "Consumer group 'payments' has no active members.\n")

        // --offsets is the default view; --verbose adds the committed leader epoch.
        #expect(try Self.ok(["groups", "describe", "--group", "payments", "--offsets"], dataDir: data).stdout == out.stdout)
        out = try Self.ok(["groups", "describe", "--group", "shipping", "--verbose"], dataDir: data)
        #expect(
            out.stdout == """
                GROUP    TOPIC  PARTITION LEADER-EPOCH CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
                shipping audit  0         -            1              4              3   -           -    -
                shipping orders 0         -            10             10             0   -           -    -

                """)

        // --all-groups: one table per group, a blank line between them.
        out = try Self.ok(["groups", "describe", "--all-groups"], dataDir: data)
        #expect(
            out.stdout == """
                GROUP    TOPIC  PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
                payments orders 0         4              10             6   -           -    -
                payments orders 1         5              5              0   -           -    -

                GROUP    TOPIC  PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
                shipping audit  0         1              4              3   -           -    -
                shipping orders 0         10             10             0   -           -    -

                """)
        #expect(out.stderr == "Consumer group 'payments' has no active members.\nConsumer group 'shipping' has no active members.\n")
    }

    @Test func describeMembersAndState() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        // No live members outside the consumers' process: Kafka prints no members table then.
        var out = try Self.ok(["groups", "describe", "--group", "payments", "--members", "--verbose"], dataDir: data)
        #expect(out.stdout == "")
        #expect(out.stderr == "Consumer group 'payments' has no active members.\n")

        out = try Self.ok(["groups", "describe", "--group", "payments", "--state"], dataDir: data)
        #expect(
            out.stdout == """
                GROUP    COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
                payments embedded (0)     -                   Empty 0

                """)
        #expect(out.stderr == "Consumer group 'payments' has no active members.\n")

        out = try Self.sluice(["groups", "describe", "--group", "payments", "--state", "--members"], dataDir: data)
        #expect(!out.succeeded && out.stderr.contains("at most one of --offsets, --members, --state"), "\(out)")
        out = try Self.sluice(["groups", "describe"], dataDir: data)
        #expect(!out.succeeded && out.stderr.contains("give --group (repeatable) or --all-groups"), "\(out)")
    }

    @Test func describeUnknownGroupFails() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        var out = try Self.sluice(["groups", "describe", "--group", "nope"], dataDir: data)
        #expect(!out.succeeded)
        #expect(out.stdout == "")
        #expect(out.stderr == "Error: Consumer group 'nope' does not exist. (GROUP_ID_NOT_FOUND, Kafka error 69)\n")

        for view in ["--members", "--state", "--offsets"] {
            out = try Self.sluice(["groups", "describe", "--group", "nope", view], dataDir: data)
            #expect(!out.succeeded && out.stdout == "" && out.stderr.contains("Consumer group 'nope' does not exist."), "\(view): \(out)")
        }

        // A known group is still described; the unknown one makes the exit status non-zero.
        out = try Self.sluice(["groups", "describe", "--group", "payments", "--group", "nope"], dataDir: data)
        #expect(!out.succeeded)
        #expect(out.stdout.hasPrefix("GROUP    TOPIC"))
        #expect(out.stderr.contains("Consumer group 'nope' does not exist."))
    }

    @Test func readsWorkWhileAnotherProcessWritesButChangesAreRefused() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        let writer = try LogManager(directory: data, options: Self.options)
        defer { try? writer.close() }

        var out = try Self.ok(["groups", "list"], dataDir: data)
        #expect(out.stdout == "payments\nshipping\n")
        out = try Self.ok(["groups", "describe", "--group", "payments"], dataDir: data)
        #expect(out.stdout.contains("payments orders 0         4              10             6"))
        out = try Self.ok(["groups", "reset-offsets", "--group", "payments", "--topic", "orders:0", "--to-earliest", "--dry-run"], dataDir: data)
        #expect(out.stdout == "GROUP    TOPIC  PARTITION NEW-OFFSET\npayments orders 0         0\n")

        for arguments in [
            ["groups", "reset-offsets", "--group", "payments", "--topic", "orders", "--to-earliest", "--execute"],
            ["groups", "delete", "--group", "payments"],
        ] {
            out = try Self.sluice(arguments, dataDir: data)
            #expect(!out.succeeded)
            #expect(out.stderr.contains("is in use by process \(ProcessInfo.processInfo.processIdentifier)"), "\(out)")
        }
        try writer.close()
        #expect(try Self.committed("payments", in: data) == ["orders-0": 4, "orders-1": 5])
    }

    // MARK: reset-offsets

    struct ResetCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        /// NEW-OFFSET per partition of `orders` (or the given partitions), in table order.
        var expected: [(String, Int32, Int64)]
        var warnings: [String] = []
        var testDescription: String { name }
    }

    static let resetCases: [ResetCase] = [
        ResetCase(name: "--to-earliest", arguments: ["--topic", "orders", "--to-earliest"], expected: [("orders", 0, 0), ("orders", 1, 0), ("orders", 2, 0)]),
        ResetCase(name: "--to-latest", arguments: ["--topic", "orders", "--to-latest"], expected: [("orders", 0, 10), ("orders", 1, 5), ("orders", 2, 3)]),
        ResetCase(
            name: "--to-offset clamps to the log end", arguments: ["--topic", "orders", "--to-offset", "7"],
            expected: [("orders", 0, 7), ("orders", 1, 5), ("orders", 2, 3)],
            warnings: ["New offset (7) is higher than latest offset for topic partition orders-1. Value will be set to 5"]),
        ResetCase(
            name: "--to-datetime (UTC)", arguments: ["--topic", "orders", "--to-datetime", "2023-11-14T22:13:23.500Z"],
            expected: [("orders", 0, 4), ("orders", 1, 4), ("orders", 2, 3)]),
        ResetCase(
            name: "--to-datetime (+01:00, whole seconds)", arguments: ["--topic", "orders:0", "--to-datetime", "2023-11-14T23:13:26+01:00"],
            expected: [("orders", 0, 6)]),
        ResetCase(
            name: "--to-datetime before every record", arguments: ["--topic", "orders:1", "--to-datetime", "2020-01-01T00:00:00.000Z"],
            expected: [("orders", 1, 0)]),
        ResetCase(
            name: "--shift-by -2", arguments: ["--topic", "orders:0,1", "--shift-by", "-2"], expected: [("orders", 0, 2), ("orders", 1, 3)]),
        ResetCase(
            name: "--shift-by clamps at both ends", arguments: ["--topic", "orders:1", "--topic", "orders:0", "--shift-by=-100"],
            expected: [("orders", 0, 0), ("orders", 1, 0)],
            warnings: ["New offset (-96) is lower than earliest offset for topic partition orders-0. Value will be set to 0"]),
        ResetCase(name: "--shift-by 100", arguments: ["--topic", "orders:0", "--shift-by", "100"], expected: [("orders", 0, 10)]),
        ResetCase(
            name: "--to-current (log end where nothing is committed)", arguments: ["--topic", "orders", "--to-current"],
            expected: [("orders", 0, 4), ("orders", 1, 5), ("orders", 2, 3)]),
        ResetCase(
            name: "--all-topics", arguments: ["--all-topics", "--to-earliest"], expected: [("orders", 0, 0), ("orders", 1, 0)]),
    ]

    @Test(arguments: resetCases)
    func resetOffsetsChangesNothingUntilExecute(_ c: ResetCase) throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        let original = ["orders-0": Int64(4), "orders-1": 5]
        var table = "GROUP    TOPIC  PARTITION NEW-OFFSET\n"
        for (topic, partition, offset) in c.expected {
            table += "payments \(topic) \(partition)         \(offset)\n"
        }
        let command = ["groups", "reset-offsets", "--group", "payments"] + c.arguments

        // No mode: a dry run with Kafka's warning.
        var before = Self.snapshot(data)
        var out = try Self.ok(command, dataDir: data)
        #expect(out.stdout == table)
        #expect(out.stderr.contains("WARN: No action will be performed as the --execute option is missing."), "\(out)")
        for warning in c.warnings { #expect(out.stderr.contains(warning), "\(out)") }
        #expect(before.differences(to: Self.snapshot(data)) == [])

        // --dry-run: the same plan, no warning about the mode, nothing changed.
        out = try Self.ok(command + ["--dry-run"], dataDir: data)
        #expect(out.stdout == table)
        #expect(!out.stderr.contains("--execute option is missing"))
        #expect(before.differences(to: Self.snapshot(data)) == [])
        #expect(try Self.committed("payments", in: data) == original)

        // --execute commits exactly the plan, and leaves the other group alone.
        before = Self.snapshot(data)
        out = try Self.ok(command + ["--execute"], dataDir: data)
        #expect(out.stdout == table)
        var expected = original
        for (topic, partition, offset) in c.expected { expected["\(topic)-\(partition)"] = offset }
        #expect(try Self.committed("payments", in: data) == expected)
        #expect(try Self.committed("shipping", in: data) == ["orders-0": 10, "audit-0": 1])
        #expect(before.differences(to: Self.snapshot(data)).contains { $0.hasPrefix("changed __consumer_offsets-") })

        // describe shows the new position.
        out = try Self.ok(["groups", "describe", "--group", "payments"], dataDir: data)
        for (topic, partition, offset) in c.expected {
            #expect(
                out.stdout.split(separator: "\n").contains {
                    $0.split(separator: " ").map(String.init).prefix(4) == ["payments", topic, "\(partition)", "\(offset)"]
                }, "\(out.stdout)")
        }
    }

    @Test func resetOffsetsOfANewGroupCreatesItAsKafkaDoes() throws {
        let scratch = try Self.fixture()
        let out = try Self.ok(
            ["groups", "reset-offsets", "--group", "billing", "--topic", "audit", "--to-offset", "2", "--execute"], dataDir: scratch.data)
        #expect(out.stdout == "GROUP   TOPIC PARTITION NEW-OFFSET\nbilling audit 0         2\n")
        #expect(try Self.ok(["groups", "list"], dataDir: scratch.data).stdout == "billing\npayments\nshipping\n")
        #expect(try Self.committed("billing", in: scratch.data) == ["audit-0": 2])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var messages: [String]
        var testDescription: String { name }
    }

    static let badResets: [BadCase] = [
        BadCase(
            name: "unknown topic", arguments: ["--group", "payments", "--topic", "nope", "--to-earliest"],
            messages: ["topic 'nope' does not exist", "UNKNOWN_TOPIC_OR_PARTITION"]),
        BadCase(
            name: "unknown partition", arguments: ["--group", "payments", "--topic", "orders:0,9", "--to-earliest"],
            messages: ["there is no partition 9", "UNKNOWN_TOPIC_OR_PARTITION"]),
        BadCase(
            name: "bad partition list", arguments: ["--group", "payments", "--topic", "orders:a", "--to-earliest"],
            messages: ["partitions must be comma-separated numbers"]),
        BadCase(
            name: "no scenario", arguments: ["--group", "payments", "--topic", "orders"],
            messages: ["give one reset scenario: --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, --to-current"]),
        BadCase(
            name: "two scenarios", arguments: ["--group", "payments", "--topic", "orders", "--to-earliest", "--to-offset", "3"],
            messages: ["give only one reset scenario"]),
        BadCase(
            name: "negative --to-offset", arguments: ["--group", "payments", "--topic", "orders", "--to-offset", "-1"],
            messages: ["--to-offset must not be negative, got -1"]),
        BadCase(
            name: "--to-offset that is not a number", arguments: ["--group", "payments", "--topic", "orders", "--to-offset", "ten"],
            messages: ["'ten' is invalid for '--to-offset"]),
        BadCase(
            name: "bad datetime", arguments: ["--group", "payments", "--topic", "orders", "--to-datetime", "yesterday"],
            messages: ["--to-datetime 'yesterday' is not a date-time"]),
        BadCase(
            name: "datetime with month 13", arguments: ["--group", "payments", "--topic", "orders", "--to-datetime", "2023-13-01T00:00:00Z"],
            messages: ["is not a date-time"]),
        BadCase(
            name: "datetime on February 30", arguments: ["--group", "payments", "--topic", "orders", "--to-datetime", "2023-02-30T00:00:00.000Z"],
            messages: ["is not a date-time"]),
        BadCase(
            name: "datetime with trailing junk", arguments: ["--group", "payments", "--topic", "orders", "--to-datetime", "2023-11-14T22:13:23.500Zed"],
            messages: ["is not a date-time"]),
        BadCase(
            name: "no partitions named", arguments: ["--group", "payments", "--to-earliest"],
            messages: ["give the partitions to reset: --topic (repeatable) or --all-topics"]),
        BadCase(
            name: "--topic and --all-topics", arguments: ["--group", "payments", "--topic", "orders", "--all-topics", "--to-earliest"],
            messages: ["give the partitions to reset"]),
        BadCase(
            name: "--all-topics of an unknown group", arguments: ["--group", "nope", "--all-topics", "--to-earliest"],
            messages: ["Consumer group 'nope' has no committed offsets to reset", "GROUP_ID_NOT_FOUND"]),
        BadCase(
            name: "--shift-by where nothing is committed", arguments: ["--group", "payments", "--topic", "orders", "--shift-by", "1"],
            messages: ["Cannot shift offset for partition orders-2 since there is no current committed offset"]),
        BadCase(
            name: "no --group", arguments: ["--topic", "orders", "--to-earliest"], messages: ["Missing expected argument '--group <group>'"]),
    ]

    @Test(arguments: badResets)
    func badResetIsRefusedAndChangesNothing(_ c: BadCase) throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        let before = Self.snapshot(data)
        for mode in [["--execute"], ["--dry-run"], []] {
            let out = try Self.sluice(["groups", "reset-offsets"] + c.arguments + mode, dataDir: data)
            #expect(!out.succeeded, "\(mode): \(out)")
            #expect(out.stdout == "", "\(mode): \(out)")
            for message in c.messages { #expect(out.stderr.contains(message), "\(mode): \(out)") }
            #expect(before.differences(to: Self.snapshot(data)) == [], "\(mode)")
        }
        let out = try Self.sluice(["groups", "reset-offsets"] + c.arguments + ["--dry-run", "--execute"], dataDir: data)
        #expect(!out.succeeded)
        #expect(try Self.committed("payments", in: data) == ["orders-0": 4, "orders-1": 5])
    }

    // MARK: delete

    @Test func deleteRemovesTheGroupAndItsOffsets() throws {
        let scratch = try Self.fixture()
        let data = scratch.data
        var out = try Self.ok(["groups", "delete", "--group", "shipping"], dataDir: data)
        #expect(out.stdout == "Deletion of requested consumer groups ('shipping') was successful.\n")
        #expect(out.stderr == "")
        #expect(try Self.ok(["groups", "list"], dataDir: data).stdout == "payments\n")
        #expect(try Self.committed("shipping", in: data) == [:])
        #expect(try Self.committed("payments", in: data) == ["orders-0": 4, "orders-1": 5])

        out = try Self.sluice(["groups", "describe", "--group", "shipping"], dataDir: data)
        #expect(!out.succeeded && out.stderr.contains("Consumer group 'shipping' does not exist."), "\(out)")

        // Deleting it again, or a group that never existed: GROUP_ID_NOT_FOUND, nothing changed.
        let before = Self.snapshot(data)
        for group in ["shipping", "nope"] {
            out = try Self.sluice(["groups", "delete", "--group", group], dataDir: data)
            #expect(!out.succeeded)
            #expect(out.stdout == "")
            #expect(
                out.stderr == """
                    Deletion of some consumer groups failed:
                    * Group '\(group)' could not be deleted due to: group \(group) does not exist (GROUP_ID_NOT_FOUND, Kafka error 69)

                    """)
        }
        #expect(before.differences(to: Self.snapshot(data)) == [])

        // Several groups: the existing ones are deleted, the unknown one fails the command.
        _ = try Self.ok(["groups", "reset-offsets", "--group", "billing", "--topic", "audit", "--to-earliest", "--execute"], dataDir: data)
        out = try Self.sluice(["groups", "delete", "--group", "payments", "--group", "nope", "--group", "billing"], dataDir: data)
        #expect(!out.succeeded)
        #expect(out.stdout == "Deletion of requested consumer groups ('payments', 'billing') was successful.\n")
        #expect(out.stderr.contains("* Group 'nope' could not be deleted due to: group nope does not exist (GROUP_ID_NOT_FOUND, Kafka error 69)"))
        #expect(try Self.ok(["groups", "list"], dataDir: data).stdout == "")
    }

    @Test func helpNamesTheSubcommands() throws {
        let scratch = Scratch()
        let out = try Self.ok(["groups", "--help"], dataDir: scratch.data)
        for name in ["list", "describe", "reset-offsets", "delete", "kafka-consumer-groups.sh"] {
            #expect(out.stdout.contains(name), "\(out.stdout)")
        }
    }
}
