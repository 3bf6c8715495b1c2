import ArgumentParser
import SluiceLog

struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, list, describe, alter and delete topics (like kafka-topics.sh), and delete records (like kafka-delete-records.sh).",
        subcommands: [Create.self, List.self, Describe.self, Alter.self, Delete.self, DeleteRecords.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a topic.",
            discussion: "Topic configs (--config key=value):\n"
                + TopicConfig.documentation.map { "  \($0.key) (default \($0.defaultValue)): \($0.meaning)" }.joined(separator: "\n"))

        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic name: 1–249 of [a-zA-Z0-9._-].") var topic: String
        @Option(help: "Number of partitions.") var partitions: Int = 1
        @Option(name: .customLong("config"), help: ArgumentHelp("A topic config, key=value (repeatable).", valueName: "key=value"))
        var configs: [String] = []
        @Flag(name: .customLong("if-not-exists"), help: "Succeed quietly when the topic exists.") var ifNotExists = false

        func run() throws {
            let configs = try parseAssignments(configs, option: "--config")
            // Refuse bad input before the data directory is even opened.
            try TopicName.validate(topic)
            _ = try TopicConfig(configs)
            guard (1...100_000).contains(partitions) else {
                throw LogError(.invalidPartitions, "number of partitions must be at least 1 (and at most 100000), got \(partitions)")
            }
            let log = try openLog(dataDirectory, readOnly: false)
            defer { try? log.close() }
            do {
                try log.createTopic(topic, partitions: partitions, configs: configs)
            } catch let error as LogError where error.kind == .topicAlreadyExists && ifNotExists {
                return
            }
            if let clash = log.topicNames(includeInternal: true).first(where: { $0 != topic && $0.contains(where: { $0 == "." || $0 == "_" }) && TopicName.collides($0, topic) }) {
                printError("WARNING: '\(topic)' and '\(clash)' collide in metric names ('.' and '_').")
            } else if topic.contains(where: { $0 == "." || $0 == "_" }) {
                printError("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
            }
            print("Created topic \(topic).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names, one per line.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Flag(name: .customLong("exclude-internal"), help: "Leave out internal topics (__…).") var excludeInternal = false

        func run() throws {
            let log = try openLog(dataDirectory, readOnly: true)
            for name in log.topicNames(includeInternal: !excludeInternal) { print(name) }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe topics: configs, and per partition the log start and end offsets, segments and bytes.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic (all topics when omitted).") var topic: String?

        func run() throws {
            let log = try openLog(dataDirectory, readOnly: true)
            let names = topic.map { [$0] } ?? log.topicNames(includeInternal: true)
            for name in names {
                let description = try log.describeTopic(name)
                let configs = description.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                print("Topic: \(name)\tPartitionCount: \(description.partitions.count)\tReplicationFactor: 1\tConfigs: \(configs)")
                for p in description.partitions {
                    if let reason = p.offlineReason {
                        print("\tTopic: \(name)\tPartition: \(p.id)\tOFFLINE: \(reason)")
                    } else {
                        print(
                            "\tTopic: \(name)\tPartition: \(p.id)\tLeader: 0\tLogStartOffset: \(p.logStartOffset)\tLogEndOffset: \(p.highWatermark)\tSegments: \(p.segmentCount)\tSize: \(p.sizeInBytes)"
                        )
                    }
                }
            }
        }
    }

    struct Alter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Increase a topic's partitions or change its configs.",
            discussion: "Partitions can only be increased: keyed records are placed by hash, so fewer partitions would misplace them.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic.") var topic: String
        @Option(help: "The new, larger number of partitions.") var partitions: Int?
        @Option(name: .customLong("config"), help: ArgumentHelp("A topic config to set, key=value (repeatable).", valueName: "key=value"))
        var configs: [String] = []

        func validate() throws {
            if partitions == nil && configs.isEmpty { throw ValidationError("give --partitions and/or --config") }
        }

        func run() throws {
            let configs = try parseAssignments(configs, option: "--config")
            let log = try openLog(dataDirectory, readOnly: false)
            defer { try? log.close() }
            try log.alterTopic(topic, partitions: partitions, configs: configs)
            if let partitions { print("Topic \(topic) now has \(partitions) partitions.") }
            if !configs.isEmpty { print("Updated configs of topic \(topic).") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic and all its data.")
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic.") var topic: String

        func run() throws {
            let log = try openLog(dataDirectory, readOnly: false)
            defer { try? log.close() }
            try log.deleteTopic(topic)
            print("Deleted topic \(topic).")
        }
    }

    struct DeleteRecords: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-records",
            abstract: "Delete the records of a topic's partitions below an offset (like kafka-delete-records.sh).",
            discussion: """
                Moves each partition's log start offset up to --offset (-1: the high watermark, i.e. everything \
                written so far); the records below it are gone for every reader, and the segments wholly \
                below it are deleted. Prints each partition's new low watermark. Compacted topics are refused.
                """)
        @OptionGroup var dataDirectory: DataDirectoryOptions
        @Option(help: "The topic.") var topic: String
        @Option(help: "The partition (every partition when omitted).") var partition: Int32?
        @Option(parsing: .unconditional, help: ArgumentHelp("Delete the records below this offset; -1 for all written so far.", valueName: "offset"))
        var offset: Int64

        func validate() throws {
            if offset < -1 { throw ValidationError("--offset must be an offset (0 or more) or -1, not \(offset)") }
        }

        func run() throws {
            let log = try openLog(dataDirectory, readOnly: false)
            defer { try? log.close() }
            let description = try log.describeTopic(topic)
            let partitions = partition.map { [$0] } ?? description.partitions.map(\.id)
            // All or nothing: an offset some partition has not reached yet refuses the whole
            // command before any record is deleted (each partition would else decide alone).
            for id in partitions {
                guard let info = description.partitions.first(where: { $0.id == id }) else {
                    throw LogError(.unknownTopicOrPartition, "topic '\(topic)' has partitions 0…\(description.partitions.count - 1); there is no partition \(id)")
                }
                if offset > info.highWatermark, info.offlineReason == nil {
                    throw LogError(
                        .offsetOutOfRange,
                        "cannot delete records of \(topic)-\(id) before offset \(offset): it ends at \(info.highWatermark) (use -1 for everything written so far)")
                }
            }
            let results = try log.deleteRecords(partitions.map { LogManager.DeleteRecordsRequest(topic: topic, partition: $0, offset: offset) })
            var done: [String] = []
            var failures: [String] = []
            for (id, result) in zip(partitions, results) {
                switch result {
                case .success(let lowWatermark): done.append("partition: \(topic)-\(id)\tlow_watermark: \(lowWatermark)")
                case .failure(let error): failures.append("partition: \(topic)-\(id)\terror: \(error)")
                }
            }
            if !done.isEmpty { print((["Records delete operation completed:"] + done).joined(separator: "\n")) }
            for failure in failures { printError(failure) }
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }
}
