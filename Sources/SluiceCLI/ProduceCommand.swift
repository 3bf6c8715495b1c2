import ArgumentParser
import SluiceLog

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Append one record per line of standard input (like kafka-console-producer.sh).",
        discussion: """
            Properties (--property key=value):
              parse.key=true        split each line into key and value at key.separator
              key.separator=SEP     the separator (default: a tab)
              null.marker=TEXT      a key or value equal to TEXT is written as null
            Keyed records go to the partition Kafka's Java client would choose (murmur2).
            Records are acknowledged under the topic's durability mode before the command exits.
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "The topic to write to.") var topic: String
    @Option(help: "Write every record to this partition.") var partition: Int32?
    @Option(name: .customLong("property"), help: ArgumentHelp("A reader property, key=value (repeatable).", valueName: "key=value"))
    var properties: [String] = []

    func run() throws {
        var props = try parseAssignments(properties, option: "--property")
        let parseKey = (props.removeValue(forKey: "parse.key") ?? "false") == "true"
        let separator = Array((props.removeValue(forKey: "key.separator") ?? "\t").utf8)
        let nullMarker = props.removeValue(forKey: "null.marker").map { Array($0.utf8) }
        if let unknown = props.keys.sorted().first {
            throw CLIError("unknown --property '\(unknown)'; known: parse.key, key.separator, null.marker")
        }
        guard !separator.isEmpty else { throw CLIError("key.separator must not be empty") }
        let log = try openLog(dataDirectory, readOnly: false)
        let producer = LogProducer(log: log)
        var reader = LineReader()
        var sent = 0
        var failure: (any Error)?
        do {
            try reader.forEachLine { line, number in
                var key: UnsafeRawBufferPointer?
                var value: UnsafeRawBufferPointer? = line
                if parseKey {
                    guard let split = find(separator, in: line) else {
                        throw CLIError(
                            "no key separator found on line number \(number): '\(String(decoding: line, as: UTF8.self))'")
                    }
                    key = UnsafeRawBufferPointer(rebasing: line[..<split])
                    value = UnsafeRawBufferPointer(rebasing: line[(split + separator.count)...])
                }
                if let marker = nullMarker {
                    if let k = key, k.elementsEqual(marker) { key = nil }
                    if let v = value, v.elementsEqual(marker) { value = nil }
                }
                try producer.send(topic: topic, partition: partition, key: key, value: value)
                sent += 1
                return true
            }
        } catch {
            failure = error
        }
        // Whatever was read before a bad line is still written and acknowledged.
        do { try producer.close() } catch { failure = failure ?? error }
        do { try log.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
        if sent == 0 { printError("sluice: no records read from standard input") }
    }

    private func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        if needle.count == 1 { return haystack.firstIndex(of: needle[0]) }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if UnsafeRawBufferPointer(rebasing: haystack[i..<(i + needle.count)]).elementsEqual(needle) { return i }
        }
        return nil
    }
}
