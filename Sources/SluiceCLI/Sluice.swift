import ArgumentParser

@main
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Sluice: a partitioned, zstd-compressed append-only log with Kafka's formats and names.",
        discussion: """
            Data lives in --data-dir (default ./sluice-data, or $SLUICE_DATA_DIR). One process at a \
            time may write to a data directory; consume, describe and groups list/describe also work while another process writes.
            """,
        subcommands: [TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, GroupsCommand.self, PerfCommand.self]
    )
}

/// Options every command that touches a data directory takes.
struct DataDirectoryOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("The data directory (default: $SLUICE_DATA_DIR or ./sluice-data).", valueName: "path"))
    var dataDirectory: String?

    var path: String {
        if let dataDirectory { return dataDirectory }
        if let fromEnvironment = environment("SLUICE_DATA_DIR"), !fromEnvironment.isEmpty { return fromEnvironment }
        return "./sluice-data"
    }
}
