import ArgumentParser
import SluiceGroups
import SluiceLog

struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List, describe, reset the offsets of and delete consumer groups (like kafka-consumer-groups.sh).",
        discussion: """
            Groups live in the internal topic __consumer_offsets of the data directory. Members exist \
            only inside the process that runs the consumers, so from this command a group shows as \
            Empty with its committed offsets. list and describe open the directory read-only and work \
            while another process writes; reset-offsets --execute and delete need the write lock, so \
            they are refused while a process (and so possibly the group's consumers) holds it.
            """,
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumer groups, one group id per line.",
            discussion: """
                With --state, prints the columns GROUP STATE; --state STATES keeps only groups in those \
                states (comma-separated, any case): \(GroupState.allCases.map(\.rawValue).joined(separator: ", ")).
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(
            name: .customLong("state"), defaultAsFlag: "", parsing: .next,
            help: ArgumentHelp("Show each group's state, optionally only groups in these states.", valueName: "states"))
        var state: String?

        func run() throws {
            let filter = try state.map { $0.isEmpty ? [] : try parseGroupStates($0) }
            let session = try GroupsSession(dataDirectory, readOnly: true)
            defer { session.close() }
            let groups = session.listGroups(states: filter ?? [])
            guard filter != nil else {
                for group in groups { print(group.groupId) }
                return
            }
            var table = TextTable(["GROUP", "STATE"])
            for group in groups { table.append([group.groupId, group.state.rawValue]) }
            print(table.rendered, terminator: "")
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe consumer groups: committed offsets and lag, members, or state.",
            discussion: """
                The default (--offsets) view has one row per partition the group's members own or the \
                group has committed: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID \
                HOST CLIENT-ID, with LAG = LOG-END-OFFSET - CURRENT-OFFSET and '-' where nothing is known.
                --members: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS (--verbose adds ASSIGNMENT).
                --state: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.
                A group without members is reported on standard error ("has no active members"); an \
                unknown group is an error.
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(name: .customLong("group"), help: ArgumentHelp("The group to describe (repeatable).", valueName: "group"))
        var groups: [String] = []
        @Flag(name: .customLong("all-groups"), help: "Describe every group.") var allGroups = false
        @Flag(help: "Show committed offsets and lag per partition (the default).") var offsets = false
        @Flag(help: "Show the group's members.") var members = false
        @Flag(help: "Show the group's state, assignor and member count.") var state = false
        @Flag(help: "With --members, add each member's assignment; with --offsets, the committed leader epoch.") var verbose = false

        func validate() throws {
            if groups.isEmpty == !allGroups { throw ValidationError("give --group (repeatable) or --all-groups") }
            if [offsets, members, state].filter({ $0 }).count > 1 { throw ValidationError("give at most one of --offsets, --members, --state") }
        }

        func run() throws {
            let session = try GroupsSession(dataDirectory, readOnly: true)
            defer { session.close() }
            let ids = allGroups ? session.listGroups().map(\.groupId) : groups
            var missing = 0
            var printedTable = false
            for id in ids {
                guard let description = session.describeGroup(id) else {
                    printError("Error: \(GroupError(.groupIdNotFound, "Consumer group '\(id)' does not exist."))")
                    missing += 1
                    continue
                }
                switch description.state {
                case .empty:
                    printError("Consumer group '\(id)' has no active members.")
                case .preparingRebalance, .completingRebalance:
                    printError("Warning: Consumer group '\(id)' is rebalancing.")
                case .stable, .dead:
                    break
                }
                let table: TextTable? =
                    if members { membersTable(description) } else if state { stateTable(description) } else { offsetsTable(description, session) }
                guard let table else { continue }
                if printedTable { print() }
                print(table.rendered, terminator: "")
                printedTable = true
            }
            if missing > 0 { throw ExitCode.failure }
        }

        /// Kafka prints no table for a view without rows.
        private func offsetsTable(_ group: GroupDescription, _ session: GroupsSession) -> TextTable? {
            let owned = group.members.map { ($0, assignedPartitions($0, protocolType: group.protocolType)) }
            let lags = session.lag(group.groupId, including: owned.flatMap(\.1))
            let byPartition = Dictionary(lags.map { ($0.partition, $0) }, uniquingKeysWith: { first, _ in first })
            let committed = session.committedOffsets(group.groupId)

            var table = TextTable(
                ["GROUP", "TOPIC", "PARTITION"] + (verbose ? ["LEADER-EPOCH"] : [])
                    + ["CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"])
            func row(_ tp: TopicPartition?, consumer: [String]) {
                let lag = tp.flatMap { byPartition[$0] }
                let epoch = tp.flatMap { committed[$0] }.map { $0.leaderEpoch < 0 ? missingValue : String($0.leaderEpoch) } ?? missingValue
                table.append(
                    [group.groupId, tp?.topic ?? missingValue, tp.map { String($0.partition) } ?? missingValue]
                        + (verbose ? [epoch] : [])
                        + [
                            lag?.committedOffset.map(String.init) ?? missingValue,
                            lag.map { String($0.logEndOffset) } ?? missingValue,
                            lag?.lag.map(String.init) ?? missingValue,
                        ] + consumer)
            }
            for (member, partitions) in owned {
                let consumer = [member.memberId, member.clientHost, member.clientId]
                if partitions.isEmpty { row(nil, consumer: consumer) }
                for tp in partitions where byPartition[tp] != nil { row(tp, consumer: consumer) }
            }
            let ownedSet = Set(owned.flatMap(\.1))
            for lag in lags where !ownedSet.contains(lag.partition) {
                row(lag.partition, consumer: [missingValue, missingValue, missingValue])
            }
            return table.rows.isEmpty ? nil : table
        }

        private func membersTable(_ group: GroupDescription) -> TextTable? {
            guard !group.members.isEmpty else { return nil }
            let withInstanceIds = group.members.contains { $0.groupInstanceId != nil }
            var table = TextTable(
                ["GROUP", "CONSUMER-ID"] + (withInstanceIds ? ["GROUP-INSTANCE-ID"] : []) + ["HOST", "CLIENT-ID", "#PARTITIONS"]
                    + (verbose ? ["ASSIGNMENT"] : []))
            for member in group.members {
                let partitions = assignedPartitions(member, protocolType: group.protocolType)
                table.append(
                    [group.groupId, member.memberId] + (withInstanceIds ? [member.groupInstanceId ?? missingValue] : [])
                        + [member.clientHost, member.clientId, String(partitions.count)] + (verbose ? [assignmentCell(partitions)] : []))
            }
            return table
        }

        private func stateTable(_ group: GroupDescription) -> TextTable {
            var table = TextTable(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"])
            table.append([
                group.groupId, "embedded (0)", group.protocolName.isEmpty ? missingValue : group.protocolName, group.state.rawValue,
                String(group.members.count),
            ])
            return table
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete consumer groups and all their committed offsets.",
            discussion: """
                A group with live members cannot be deleted (NON_EMPTY_GROUP, Kafka error 68); an unknown \
                group is GROUP_ID_NOT_FOUND (69). Needs the data directory's write lock.
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(name: .customLong("group"), help: ArgumentHelp("The group to delete (repeatable).", valueName: "group"))
        var groups: [String] = []
        @Flag(name: .customLong("all-groups"), help: "Delete every group.") var allGroups = false

        func validate() throws {
            if groups.isEmpty == !allGroups { throw ValidationError("give --group (repeatable) or --all-groups") }
        }

        func run() throws {
            let session = try GroupsSession(dataDirectory, readOnly: false)
            defer { session.close() }
            let ids = allGroups ? session.listGroups().map(\.groupId) : groups
            var deleted: [String] = []
            var failed: [(String, GroupError)] = []
            for id in ids {
                guard session.describeGroup(id) != nil else {
                    failed.append((id, GroupError(.groupIdNotFound, "group \(id) does not exist")))
                    continue
                }
                do {
                    try session.coordinator().deleteGroup(id)
                    deleted.append(id)
                } catch let error as GroupError {
                    failed.append((id, error))
                }
            }
            if !deleted.isEmpty {
                print("Deletion of requested consumer groups (\(deleted.map { "'\($0)'" }.joined(separator: ", "))) was successful.")
            }
            guard failed.isEmpty else {
                printError("Deletion of some consumer groups failed:")
                for (id, error) in failed { printError("* Group '\(id)' could not be deleted due to: \(error)") }
                throw ExitCode.failure
            }
        }
    }
}
