import ArgumentParser
import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog

struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print records of a topic, one per line (like kafka-console-consumer.sh).",
        discussion: """
            Without --from-beginning or --offset it starts at the end and waits for new records, as \
            Kafka's console consumer does; Ctrl-C stops it. Reading never deletes anything.

            Consumer groups: with --group G it joins group G (sharing the partitions with G's other \
            members in this process), starts where G committed (else at the end, or the beginning \
            with --from-beginning), commits after each batch it printed, and on Ctrl-C commits and \
            leaves the group. Without --group it joins a fresh console-consumer-NNNNN group, as Kafka's \
            console consumer does; with --partition, or when another process is writing to the data \
            directory, it reads without a group (nothing is committed).
            Properties (--property key=value): print.key, print.offset, print.partition, \
            print.timestamp, print.headers, print.value (true/false); key.separator (default tab); \
            null.literal (default "null").
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "The topic to read.") var topic: String
    @Option(help: "The consumer group to join (default: a new console-consumer-NNNNN).") var group: String?
    @Flag(name: .customLong("from-beginning"), help: "Start at the earliest stored record.") var fromBeginning = false
    @Option(help: "Read only this partition.") var partition: Int32?
    @Option(help: ArgumentHelp("Where to start in --partition: an offset, earliest or latest.", valueName: "offset|earliest|latest"))
    var offset: String?
    @Option(name: .customLong("max-messages"), help: "Exit after this many records.") var maxMessages: Int?
    @Option(name: .customLong("timeout-ms"), help: "Exit when no record arrives for this long.") var timeoutMs: Int?
    @Option(name: .customLong("property"), help: ArgumentHelp("A formatter property, key=value (repeatable).", valueName: "key=value"))
    var properties: [String] = []

    func validate() throws {
        if offset != nil && partition == nil { throw ValidationError("--offset needs --partition (as in Kafka)") }
        if offset != nil && fromBeginning { throw ValidationError("give either --offset or --from-beginning, not both") }
        if let maxMessages, maxMessages < 1 { throw ValidationError("--max-messages must be at least 1") }
        if let timeoutMs, timeoutMs < 0 { throw ValidationError("--timeout-ms must not be negative") }
        if group != nil && (partition != nil || offset != nil) {
            throw ValidationError("--group reads the partitions the group assigns; it cannot be combined with --partition or --offset")
        }
        if let group, group.isEmpty { throw ValidationError("--group must not be empty") }
    }

    func run() throws {
        let format = try RecordFormat(parseAssignments(properties, option: "--property"))
        Interrupt.install()
        // A directory that does not exist yet is not created by reading it: the read-only path
        // below reports it.
        let exists = FileManager.default.fileExists(atPath: dataDirectory.path + "/meta.properties")
        if partition == nil && exists {
            let groupId = group ?? "console-consumer-\(Int.random(in: 10_000...99_999))"
            do {
                let log = try openLog(dataDirectory, readOnly: false)
                defer { try? log.close() }
                try consumeInGroup(groupId, log: log, format: format)
                return
            } catch let error as LogError where error.kind == .dataDirectoryLocked && group == nil {
                printError("sluice: another process writes to \(dataDirectory.path); reading without a consumer group (nothing is committed)")
            }
        }
        try consumeWithoutGroup(format: format)
    }

    /// Joins `groupId`, prints what it is given, commits after every printed batch, and commits
    /// and leaves on Ctrl-C, --max-messages or --timeout-ms.
    private func consumeInGroup(_ groupId: String, log: LogManager, format: RecordFormat) throws {
        _ = try log.partitionCount(topic)  // unknown topic: Kafka's error before anything else
        let backend = try EmbeddedBackend(log: log)
        defer { try? backend.close() }
        var configuration = ConsumerConfiguration(groupId: groupId)
        configuration.clientId = "console-consumer"
        configuration.autoOffsetReset = fromBeginning ? .earliest : .latest
        configuration.maxPollRecords = 10_000
        let consumer = try Consumer(backend: backend, configuration: configuration)
        try consumer.subscribe([topic])
        let output = OutputBuffer()
        var printed = 0
        var idleSinceNanos = DispatchClock.now
        loop: while !Interrupt.requested {
            let records = try consumer.poll(timeoutMs: 100)
            if records.isEmpty {
                if let timeoutMs, DispatchClock.now - idleSinceNanos >= UInt64(timeoutMs) * 1_000_000 { break }
                continue
            }
            idleSinceNanos = DispatchClock.now
            var done: [TopicPartition: Int64] = [:]
            var full = false
            try records.forEach { tp, record in
                guard !full else { return }
                format.write(record, partition: tp.partition, to: output)
                output.flushIfFull()
                done[tp] = record.offset + 1
                printed += 1
                if let maxMessages, printed >= maxMessages { full = true }
            }
            output.flush()  // printed before it is committed: at-least-once on the terminal too
            consumer.markProcessed(done)
            try consumer.commit()
            if full { break loop }
        }
        output.flush()
        try consumer.close()
        printError("Processed a total of \(printed) messages")
    }

    private func consumeWithoutGroup(format: RecordFormat) throws {
        let log = try openLog(dataDirectory, readOnly: true)
        let count = try log.partitionCount(topic)
        let ids = partition.map { [$0] } ?? (0..<Int32(count)).map { $0 }
        var cursors: [(partition: Partition, position: Int64)] = []
        for id in ids {
            let p = try log.partition(topic, id)
            try p.refresh()
            cursors.append((p, try startOffset(p)))
        }
        let decoder = try RecordBatchDecoder()
        let output = OutputBuffer()
        var printed = 0
        var idleSinceNanos = DispatchClock.now
        loop: while !Interrupt.requested {
            var progressed = false
            for i in cursors.indices {
                let (p, position) = cursors[i]
                guard position < p.highWatermark else { continue }
                let fetch: FetchResult
                do {
                    fetch = try p.read(from: position, maxBytes: 1 << 20)
                } catch let error as LogError where error.kind == .offsetOutOfRange {
                    let reset = p.logStartOffset
                    printError("sluice: offset \(position) of \(topic)-\(p.id) is gone (retention); continuing at \(reset)")
                    cursors[i].position = reset
                    continue
                }
                var next = position
                var done = false
                try fetch.records.withUnsafeBytes { raw in
                    _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                        guard !done, header.lastOffset >= next else { return }
                        try decoder.forEachRecord(in: batch, header: header) { record in
                            guard !done, record.offset >= next else { return }
                            format.write(record, partition: p.id, to: output)
                            output.flushIfFull()
                            next = record.offset + 1
                            printed += 1
                            if let maxMessages, printed >= maxMessages { done = true }
                        }
                        if !done { next = max(next, header.nextOffset) }
                    }
                }
                if next > position { progressed = true }
                cursors[i].position = next
                if done { break loop }
            }
            output.flush()
            if progressed {
                idleSinceNanos = DispatchClock.now
                continue
            }
            if let timeoutMs, DispatchClock.now - idleSinceNanos >= UInt64(timeoutMs) * 1_000_000 { break }
            if cursors.count == 1 {
                cursors[0].partition.waitForData(after: cursors[0].position, timeoutMs: 100)
            } else {
                for cursor in cursors { try cursor.partition.refresh() }
                if !cursors.contains(where: { $0.position < $0.partition.highWatermark }) { sleepMilliseconds(50) }
            }
        }
        output.flush()
        printError("Processed a total of \(printed) messages")
    }

    private func startOffset(_ p: Partition) throws -> Int64 {
        switch offset {
        case nil: return fromBeginning ? p.logStartOffset : p.highWatermark
        case "earliest": return p.logStartOffset
        case "latest": return p.highWatermark
        case let text?:
            guard let value = Int64(text) else { throw CLIError("--offset must be a number, earliest or latest, got '\(text)'") }
            guard value >= p.logStartOffset, value <= p.highWatermark else {
                throw LogError(
                    .offsetOutOfRange,
                    "offset \(value) is out of range for \(topic)-\(p.id): stored offsets are \(p.logStartOffset)..<\(p.highWatermark)")
            }
            return value
        }
    }
}

/// Kafka's `DefaultMessageFormatter`: optional timestamp, partition, offset, headers and key
/// columns before the value, separated by `key.separator`.
struct RecordFormat {
    var printKey = false
    var printOffset = false
    var printPartition = false
    var printTimestamp = false
    var printHeaders = false
    var printValue = true
    var separator: [UInt8] = [0x09]
    var nullLiteral: [UInt8] = Array("null".utf8)

    init(_ properties: [String: String]) throws {
        for (key, value) in properties {
            func flag() throws -> Bool {
                guard value == "true" || value == "false" else { throw CLIError("--property \(key) expects true or false, got '\(value)'") }
                return value == "true"
            }
            switch key {
            case "print.key": printKey = try flag()
            case "print.offset": printOffset = try flag()
            case "print.partition": printPartition = try flag()
            case "print.timestamp": printTimestamp = try flag()
            case "print.headers": printHeaders = try flag()
            case "print.value": printValue = try flag()
            case "key.separator": separator = Array(value.utf8)
            case "null.literal": nullLiteral = Array(value.utf8)
            default:
                throw CLIError(
                    "unknown --property '\(key)'; known: print.key, print.offset, print.partition, print.timestamp, print.headers, print.value, key.separator, null.literal")
            }
        }
    }

    func write(_ record: RecordView, partition: Int32, to out: OutputBuffer) {
        if printTimestamp { out.append("CreateTime:\(record.timestamp)"); appendSeparator(out) }
        if printPartition { out.append("Partition:\(partition)"); appendSeparator(out) }
        if printOffset { out.append("Offset:\(record.offset)"); appendSeparator(out) }
        if printHeaders {
            let headers = record.headers()
            out.append(
                headers.isEmpty ? "NO_HEADERS" : headers.map { "\($0.key):\($0.value.map { String(decoding: $0, as: UTF8.self) } ?? "null")" }.joined(separator: ","))
            appendSeparator(out)
        }
        if printKey {
            if let key = record.key { out.append(key) } else { nullLiteral.withUnsafeBytes { out.append($0) } }
            appendSeparator(out)
        }
        if printValue {
            if let value = record.value { out.append(value) } else { nullLiteral.withUnsafeBytes { out.append($0) } }
        }
        out.append(0x0a)
    }

    private func appendSeparator(_ out: OutputBuffer) {
        separator.withUnsafeBytes { out.append($0) }
    }
}
