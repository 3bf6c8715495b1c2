import Foundation
import OrderEventsCore
import SluiceJSON
import SluiceLog

/// Appends JSON-lines order events to a topic: each line one record, keyed by its `order_id`
/// (so murmur2 spreads orders over the partitions as Kafka's producer would) and stamped with its
/// `ts`, so event time and record time agree.
///
/// Only those two members are read (with SluiceJSON's reader, which still validates the whole
/// line). A line that does not parse, or lacks them, is loaded anyway — without a key and with the
/// current time — so the pipeline's dead-letter path sees it, as it would see a bad event from any
/// other producer. Blank lines are not events and are skipped.
///
/// Records go through one `LogProducer` in large zstd batches (compressed on its own threads);
/// `finish()` waits until every one is durable.
final class EventLoader {
    private let producer: LogProducer
    private let topic: String
    private let decoder = FastJSONDecoder()
    private let progress: LoadProgress?
    private let started = ContinuousClock.now
    private var report = LoadReport()

    init(log: LogManager, topic: String, showProgress: Bool) {
        var configuration = LogProducerConfiguration()
        configuration.lingerMs = 20
        configuration.bufferMemory = 64 << 20
        producer = LogProducer(log: log, configuration: configuration)
        self.topic = topic
        progress = showProgress ? LoadProgress(topic: topic) : nil
    }

    /// Sends every line of `text`, which holds whole lines (a last line without `\n` counts).
    func send(lines text: UnsafeRawBufferPointer) throws {
        guard let base = text.baseAddress else { return }
        var start = 0
        while start < text.count {
            let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), text.count - start)
                .map { UnsafeRawPointer($0) - base } ?? text.count
            var end = newline
            if end > start, text[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end > start {
                try send(line: UnsafeRawBufferPointer(rebasing: text[start..<end]))
            } else {
                report.blankLines += 1
            }
            report.bytes += min(newline + 1, text.count) - start
            start = newline + 1
        }
    }

    private func send(line: UnsafeRawBufferPointer) throws {
        let fields = try? decoder.read(line) { json -> (orderId: String?, ts: Int64?) in
            let event = try json.object()
            return (try? event.string("order_id"), try? event.int64("ts"))
        }
        if fields?.orderId == nil || fields?.ts == nil { report.unparsed += 1 }
        if var orderId = fields?.orderId {
            try orderId.withUTF8 { key in
                _ = try producer.send(topic: topic, key: UnsafeRawBufferPointer(key), value: line, timestamp: fields?.ts)
            }
        } else {
            _ = try producer.send(topic: topic, key: nil, value: line, timestamp: fields?.ts)
        }
        report.events += 1
        if report.events & 0xFFFF == 0 { progress?.show(events: report.events) }
    }

    /// Waits until every record is durable, stops the producer and says what the load did.
    func finish() throws -> LoadReport {
        defer { progress?.end() }
        try producer.close()
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }
}

/// Where loaded events come from.
enum EventSource: CustomStringConvertible {
    /// `OrderEventGenerator(seed:)`'s first `count` events.
    case generator(count: Int, seed: Int)
    /// A JSON-lines file.
    case file(String)

    var description: String {
        switch self {
        case .generator(_, let seed): "the generator (seed \(seed))"
        case .file(let path): path
        }
    }
}

extension EventLoader {
    func load(_ source: EventSource) throws {
        switch source {
        case .generator(let count, let seed): try loadGenerated(count: count, seed: seed)
        case .file(let path): try loadFile(at: path)
        }
    }

    /// Loads `count` events of `OrderEventGenerator(seed:)`, generated in chunks as they are sent.
    func loadGenerated(count: Int, seed: Int) throws {
        var generator = OrderEventGenerator(seed: seed)
        var chunk: [UInt8] = []
        var remaining = count
        while remaining > 0 {
            let n = min(remaining, 8_192)
            chunk.removeAll(keepingCapacity: true)
            generator.appendLines(count: n, to: &chunk)
            try chunk.withUnsafeBytes { try send(lines: $0) }
            remaining -= n
        }
    }

    /// Loads the JSON lines of the file at `path`, read in large chunks.
    func loadFile(at path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LoadError("cannot open --input file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var filled = 0
        while true {
            if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }  // a line longer than the buffer
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LoadError("cannot read --input file \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                try buffer.withUnsafeBytes { try send(lines: UnsafeRawBufferPointer(rebasing: $0[..<filled])) }
                return
            }
            filled += n
            // Whole lines now; the tail after the last newline waits for the next read.
            let whole = buffer.withUnsafeBytes { raw in
                (raw.lastIndex(of: UInt8(ascii: "\n"), before: filled)).map { $0 + 1 } ?? 0
            }
            guard whole > 0 else { continue }
            try buffer.withUnsafeBytes { try send(lines: UnsafeRawBufferPointer(rebasing: $0[..<whole])) }
            buffer.withUnsafeMutableBytes { raw in
                if filled > whole { memmove(raw.baseAddress!, raw.baseAddress! + whole, filled - whole) }
            }
            filled -= whole
        }
    }
}

/// What loading did: events sent (lines, blank ones aside), input bytes, wall time.
struct LoadReport {
    var events = 0
    var bytes = 0
    var blankLines = 0
    /// Lines loaded without a key and with the current time (not JSON, or no `order_id`/`ts`).
    var unparsed = 0
    var seconds = 0.0
}

/// A loading failure the user can act on (a file that cannot be read).
struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `loading orders: N events` on standard error, rewritten in place (for a TTY).
struct LoadProgress {
    let topic: String

    func show(events: Int) {
        FileHandle.standardError.write(Data("\rloading \(topic): \(Format.grouped(events)) events".utf8))
    }

    func end() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}

extension UnsafeRawBufferPointer {
    /// The last index before `end` holding `byte` (a short backward scan: lines are short).
    fileprivate func lastIndex(of byte: UInt8, before end: Int) -> Int? {
        var i = end - 1
        while i >= 0 {
            if self[i] == byte { return i }
            i -= 1
        }
        return nil
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
