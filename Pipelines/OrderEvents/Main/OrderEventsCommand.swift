import ArgumentParser
import Foundation
import OrderEventsCore
import Sluice
import SluiceLog

/// `order-events`: loads order events into `orders` (optionally), runs the pipeline's branches on
/// the embedded log, then prints what the output topics hold and the benchmark's `CHECK` line.
@main
struct OrderEventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order-events",
        abstract: "The order-events pipeline: payments, shipments and per-region stats from the topic 'orders'.",
        discussion: """
            Branches (each its own consumer group over 'orders', with its own committed offsets):
              payment   drop cancelled → enrich (amount_usd, n_items) → 'payments'
              shipping  drop cancelled → enrich → paid or shipped → 'shipments'
              stats     per region, 1-minute tumbling event-time windows → 'region-stats'
            Events that do not decode go to 'orders-dead-letters'.

            Without --generate or --input the branches process what 'orders' already holds. \
            At the end it prints the run summary, the output topics, the top regions, a CHECK line \
            to compare with `python3 pipeline_plain.py FILE` on the same events, and a RESULT line \
            (events per second of the run, loading excluded).

            Examples:
              order-events --generate 1000000 --reset --until-idle
              order-events --input events.jsonl --until-idle
              order-events                # keep processing new events until Ctrl-C
            """
    )

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Append N generated events (gen_events.py's, byte for byte) to 'orders' first.", valueName: "n"))
    var generate: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The generator's seed, as gen_events.py's third argument (default: 42).", valueName: "s"))
    var seed: Int?

    @Option(help: ArgumentHelp("Append the JSON lines of this file (one event each) to 'orders' first.", valueName: "file"))
    var input: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Partitions of 'orders' when this creates it (default: 6).", valueName: "p"))
    var partitions: Int?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("The data directory (default: $SLUICE_DATA_DIR or ./sluice-data).", valueName: "path"))
    var dataDirectory: String?

    @Flag(help: "Replay the branches that run from the start of 'orders' (forget their committed offsets and state).")
    var reset = false

    @Option(
        help: ArgumentHelp(
            "Run only these branches, comma-separated (default: all). The others keep their offsets: e.g. --branches stats --reset replays stats alone.",
            valueName: "groups"))
    var branches: String?

    @Flag(help: "Stop once every branch has caught up with 'orders' (default: run until Ctrl-C).")
    var untilIdle = false

    @Flag(help: "No progress lines on standard error (default: shown when it is a terminal).")
    var noProgress = false

    @Flag(help: "Load --generate / --input events into 'orders' and stop, without running the branches (to time a run apart from loading).")
    var loadOnly = false

    @Option(help: ArgumentHelp("Stream threads (default: one per core).", valueName: "n"))
    var threads: Int?

    @Option(
        name: .customLong("max-poll-records"),
        help: ArgumentHelp("Records a branch takes per poll, the batch it commits after (default: 10000).", valueName: "n"))
    var maxPollRecords: Int?

    static let defaultSeed = OrderEventGenerator.defaultSeed
    /// Partitions are the unit of parallelism: stream threads split them, so a count that 1, 2,
    /// 3 and 6 threads divide evenly keeps every core equally busy (3 partitions on 2 threads
    /// leave one thread twice the work of the other).
    static let defaultPartitions = 6

    func validate() throws {
        if let generate, generate < 1 { throw ValidationError("--generate must be at least 1, got \(generate)") }
        if generate != nil && input != nil {
            throw ValidationError("--generate and --input both load 'orders': give one of them")
        }
        if seed != nil && generate == nil { throw ValidationError("--seed applies to --generate, which is missing") }
        if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1, got \(partitions)") }
        if let maxPollRecords, maxPollRecords < 1 { throw ValidationError("--max-poll-records must be at least 1, got \(maxPollRecords)") }
        if let input {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw ValidationError("--input file \(input) does not exist")
            }
            guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: input) else {
                throw ValidationError("--input \(input) is not a readable file")
            }
        }
        if dataDirectory?.isEmpty == true { throw ValidationError("--data-dir must not be empty") }
        if loadOnly && eventSource == nil { throw ValidationError("--load-only needs --generate or --input") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    var dataDirectoryPath: String {
        if let dataDirectory { return dataDirectory }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SLUICE_DATA_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "./sluice-data"
    }

    /// What to load into `orders` before the run, if anything.
    var eventSource: EventSource? {
        if let generate { return .generator(count: generate, seed: seed ?? Self.defaultSeed) }
        return input.map { .file($0) }
    }

    func run() throws {
        var options = RunOptions()
        options.dataDirectory = dataDirectoryPath
        options.reset = reset
        options.untilIdle = untilIdle
        if noProgress { options.progress = false }
        if let threads { options.threads = threads }
        if let maxPollRecords { options.maxPollRecords = maxPollRecords }
        if let branches { options.branches = Set(branches.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }

        try loadOrders(into: options.dataDirectory, showProgress: options.progress)
        if loadOnly { return }

        let pipeline = OrderEventsPipeline.make()
        print(pipeline.describe())
        let summary = try pipeline.run(options)
        print(summary)

        let check = try OutputCheck.read(directory: options.dataDirectory)
        Report.outputs(check)
        print(check.checkLine)
        print(Report.result(summary))
    }

    /// Makes sure `orders` exists (creating it for a load) and appends `--generate` / `--input`
    /// events to it. The log is closed again before the pipeline opens it.
    private func loadOrders(into directory: String, showProgress: Bool) throws {
        let log = try LogManager(directory: directory)
        defer { try? log.close() }
        for line in log.recoveryReport { warn(line) }
        let topic = OrderTopics.orders.name
        let exists = log.topicNames().contains(topic)
        guard let source = eventSource else {
            guard exists else {
                throw ValidationError(
                    "there is no topic '\(topic)' in \(directory) yet: load events with --generate N or --input FILE")
            }
            return
        }
        if !exists {
            // Generated events carry 2023 timestamps: time-based retention would delete any closed
            // segment at once, so `orders` keeps everything.
            _ = try log.createTopic(topic, partitions: partitions ?? Self.defaultPartitions, configs: ["retention.ms": "-1"])
        } else {
            let count = try log.partitionCount(topic)
            if let partitions, partitions != count {
                warn("'\(topic)' already has \(count) partitions; --partitions \(partitions) applies only when creating it")
            }
            let held = try (0..<Int32(count)).reduce(0) { sum, id in
                let partition = try log.partition(topic, id)
                return sum + Int(partition.highWatermark - partition.logStartOffset)
            }
            if held > 0 {
                warn(
                    "'\(topic)' already holds \(Format.grouped(held)) events; the new ones are appended to them "
                        + "(CHECK counts them all; a new --data-dir starts from nothing)")
            }
        }
        let loader = EventLoader(log: log, topic: topic, showProgress: showProgress)
        do {
            try loader.load(source)
        } catch {
            _ = try? loader.finish()  // what was sent is still made durable
            throw error
        }
        Report.load(try loader.finish(), topic: topic, source: source.description)
    }
}

extension OrderEventsCommand {
    /// Runs the command; any error ends it with one line on standard error and a non-zero status
    /// (64 for bad options, as ArgumentParser's usage errors; 1 otherwise). `--help` exits 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            let hint = code == .validationFailure ? " (see order-events --help)" : ""
            FileHandle.standardError.write(Data("order-events: error: \(message(for: error))\(hint)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}

/// A note on standard error (standard output holds the results).
func warn(_ text: String) {
    FileHandle.standardError.write(Data("order-events: \(text)\n".utf8))
}
