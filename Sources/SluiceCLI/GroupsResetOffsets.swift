import ArgumentParser
import SluiceGroups
import SluiceLog

extension GroupsCommand {
    struct ResetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a consumer group's committed offsets (dry run unless --execute).",
            discussion: """
                Name the partitions with --topic T (all of T's) or --topic T:0,2 (repeatable), or with \
                --all-topics (every partition the group has committed). Scenarios (give exactly one):
                  --to-earliest    the log start offset
                  --to-latest      the log end offset
                  --to-offset N    offset N
                  --to-datetime T  the first record stamped at or after T, else the log end
                  --shift-by N     the committed offset plus N (N may be negative)
                  --to-current     the committed offset, else the log end offset
                T is YYYY-MM-DDTHH:mm:SS.sss with an optional zone (Z, +01:00); without one it is \
                local time. New offsets are kept within [log start, log end], as Kafka does.
                Without --execute the plan (GROUP TOPIC PARTITION NEW-OFFSET) is only printed. Offsets \
                can only be reset while the group has no members; --execute needs the data \
                directory's write lock.
                """)

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The consumer group.") var group: String
        @Option(
            name: .customLong("topic"),
            help: ArgumentHelp("A topic, optionally with partitions: T or T:0,1,2 (repeatable).", valueName: "topic[:partitions]"))
        var topics: [String] = []
        @Flag(name: .customLong("all-topics"), help: "Every partition the group has committed offsets for.") var allTopics = false

        @Flag(name: .customLong("to-earliest"), help: "Reset to the earliest stored offset.") var toEarliest = false
        @Flag(name: .customLong("to-latest"), help: "Reset to the log end offset.") var toLatest = false
        @Option(name: .customLong("to-offset"), parsing: .unconditional, help: ArgumentHelp("Reset to this offset.", valueName: "offset"))
        var toOffset: Int64?
        @Option(
            name: .customLong("to-datetime"),
            help: ArgumentHelp("Reset to the first record at or after this time.", valueName: "YYYY-MM-DDTHH:mm:SS.sss"))
        var toDatetime: String?
        @Option(
            name: .customLong("shift-by"), parsing: .unconditional,
            help: ArgumentHelp("Move the committed offset by N (negative moves back).", valueName: "n"))
        var shiftBy: Int64?
        @Flag(name: .customLong("to-current"), help: "Reset to the committed offset.") var toCurrent = false

        @Flag(name: .customLong("dry-run"), help: "Only print the new offsets (the default).") var dryRun = false
        @Flag(help: "Commit the new offsets.") var execute = false

        enum Scenario {
            case earliest, latest, current
            case offset(Int64)
            case datetime(Int64)
            case shift(Int64)
        }

        static let scenarioFlags = "--to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by, --to-current"

        func scenario() throws -> Scenario {
            var chosen: [Scenario] = []
            if toEarliest { chosen.append(.earliest) }
            if toLatest { chosen.append(.latest) }
            if let toOffset {
                guard toOffset >= 0 else { throw ValidationError("--to-offset must not be negative, got \(toOffset)") }
                chosen.append(.offset(toOffset))
            }
            if let toDatetime {
                guard let millis = KafkaDateTime.parse(toDatetime) else {
                    throw ValidationError(
                        "--to-datetime '\(toDatetime)' is not a date-time of the form YYYY-MM-DDTHH:mm:SS.sss (optionally with a zone such as Z or +01:00)"
                    )
                }
                chosen.append(.datetime(millis))
            }
            if let shiftBy { chosen.append(.shift(shiftBy)) }
            if toCurrent { chosen.append(.current) }
            guard chosen.count == 1, let scenario = chosen.first else {
                throw ValidationError(
                    chosen.isEmpty
                        ? "give one reset scenario: \(Self.scenarioFlags)"
                        : "give only one reset scenario (\(Self.scenarioFlags)), got \(chosen.count)")
            }
            return scenario
        }

        /// `T` or `T:0,1,2`.
        static func parseTopic(_ text: String) throws -> (topic: String, partitions: [Int32]?) {
            guard let colon = text.firstIndex(of: ":") else { return (text, nil) }
            let topic = String(text[..<colon])
            let list = text[text.index(after: colon)...]
            var partitions: [Int32] = []
            for item in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let partition = Int32(item), partition >= 0 else {
                    throw ValidationError("--topic \(text): partitions must be comma-separated numbers, as in \(topic):0,1,2")
                }
                partitions.append(partition)
            }
            return (topic, partitions)
        }

        func validate() throws {
            if group.isEmpty { throw ValidationError("--group must not be empty") }
            if topics.isEmpty == !allTopics { throw ValidationError("give the partitions to reset: --topic (repeatable) or --all-topics") }
            if dryRun && execute { throw ValidationError("give either --dry-run or --execute, not both") }
            for topic in topics { _ = try Self.parseTopic(topic) }
            _ = try scenario()
        }

        func run() throws {
            let scenario = try scenario()
            let session = try GroupsSession(dataDirectory, readOnly: !execute)
            defer { session.close() }
            let log = session.log

            let state = session.describeGroup(group)?.state ?? .dead
            guard state == .empty || state == .dead else {
                throw CLIError("Assignments can only be reset if the group '\(group)' is inactive, but the current state is \(state.rawValue).")
            }
            let committed = session.committedOffsets(group)
            let partitions = try partitionsToReset(log: log, committed: committed)

            var plan: [TopicPartition: Int64] = [:]
            for tp in partitions {
                let partition = try log.partition(tp.topic, tp.partition)
                try partition.refresh()
                let start = partition.logStartOffset
                let end = partition.highWatermark
                func clamped(_ offset: Int64) -> Int64 {
                    if offset > end {
                        printError("WARN: New offset (\(offset)) is higher than latest offset for topic partition \(tp). Value will be set to \(end)")
                        return end
                    }
                    if offset < start {
                        printError("WARN: New offset (\(offset)) is lower than earliest offset for topic partition \(tp). Value will be set to \(start)")
                        return start
                    }
                    return offset
                }
                switch scenario {
                case .earliest: plan[tp] = start
                case .latest: plan[tp] = end
                case .current: plan[tp] = committed[tp]?.offset ?? end
                case .offset(let offset): plan[tp] = clamped(offset)
                case .datetime(let millis): plan[tp] = clamped(try partition.offset(forTimestamp: millis) ?? end)
                case .shift(let delta):
                    guard let current = committed[tp]?.offset else {
                        throw CLIError("Cannot shift offset for partition \(tp) since there is no current committed offset")
                    }
                    let (sum, overflow) = current.addingReportingOverflow(delta)
                    plan[tp] = clamped(overflow ? (delta < 0 ? .min : .max) : sum)
                }
            }

            if execute {
                let offsets = plan.mapValues { GroupCoordinator.OffsetAndMetadata(offset: $0) }
                try session.coordinator().commitOffsets(groupId: group, identity: .standalone, offsets: offsets)
            } else if !dryRun {
                printError("WARN: No action will be performed as the --execute option is missing. Add --execute to commit these offsets (or --dry-run to keep this default without the warning).")
            }
            var table = TextTable(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"])
            for tp in partitions { table.append([group, tp.topic, String(tp.partition), String(plan[tp] ?? 0)]) }
            print(table.rendered, terminator: "")
        }

        /// The partitions named by --topic / --all-topics, sorted; unknown topics and partitions
        /// are errors (UNKNOWN_TOPIC_OR_PARTITION) before anything is written.
        private func partitionsToReset(log: LogManager, committed: [TopicPartition: OffsetCommitValue]) throws -> [TopicPartition] {
            var out: Set<TopicPartition> = []
            if allTopics {
                let known = Set(log.topicNames(includeInternal: true))
                for tp in committed.keys {
                    guard known.contains(tp.topic) else {
                        printError("WARN: skipping \(tp): the group has an offset for it, but topic '\(tp.topic)' no longer exists")
                        continue
                    }
                    out.insert(tp)
                }
                guard !out.isEmpty else {
                    throw GroupError(
                        .groupIdNotFound,
                        "Consumer group '\(group)' has no committed offsets to reset; name the partitions with --topic")
                }
            }
            for spec in topics {
                let (topic, partitions) = try Self.parseTopic(spec)
                let count = try log.partitionCount(topic)
                for partition in partitions ?? (0..<Int32(count)).map({ $0 }) {
                    guard partition < count else {
                        throw LogError(
                            .unknownTopicOrPartition, "topic '\(topic)' has partitions 0…\(count - 1); there is no partition \(partition)")
                    }
                    out.insert(TopicPartition(topic, partition))
                }
            }
            return out.sorted()
        }
    }
}
