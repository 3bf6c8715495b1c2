import ArgumentParser
import Foundation
import SluiceJSON

extension PerfCommand {
    /// `sluice perf json`: JSON throughput on order events, SluiceJSON and Foundation in the same
    /// run.
    struct JSON: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "json",
            abstract: "Decode order events (JSON lines) with SluiceJSON and Foundation, encode a small output struct; report events/s and MB/s.",
            discussion: """
                Each line of --file is decoded into the OrderEvent struct two ways: Codable with \
                convertFromSnakeCase, and SluiceJSON's reader (JSONReadable, no Codable). A Payment struct made from each event is encoded with \
                convertToSnakeCase into a reused buffer. Foundation's JSONDecoder and JSONEncoder do the \
                same Codable work on the first --foundation-events lines, and their results are compared \
                with SluiceJSON's. The file is read into memory first; only decoding and encoding are \
                timed, best of --passes. Build with -c release.
                """)

        @Option(help: "JSON lines of order events (python3 gen_events.py N FILE 42).") var file: String
        @Option(help: "Events to use (default: every line).") var events: Int?
        @Option(name: .customLong("foundation-events"), help: "Events for Foundation (it is slow).") var foundationEvents = 100_000
        @Option(help: "Timed passes for SluiceJSON; the best is reported.") var passes = 3

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read --file \(file)") }
            let text = [UInt8](data)
            var lines: [Range<Int>] = []
            var start = 0
            while start < text.count {
                let end = text[start...].firstIndex(of: 0x0a) ?? text.count
                if end > start { lines.append(start..<end) }
                start = end + 1
            }
            if let events { lines = Array(lines.prefix(events)) }
            guard !lines.isEmpty else { throw CLIError("--file \(file) has no lines") }
            let lineBytes = lines.reduce(0) { $0 + $1.count }
            print("\(lines.count) events, \(String(format: "%.1f", Double(lineBytes) / 1e6)) MB of JSON (\(lineBytes / lines.count) B/event)")

            // SluiceJSON, two ways.
            let snake = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
            var decoded: [OrderEvent] = []
            decoded.reserveCapacity(lines.count)
            try text.withUnsafeBytes { raw in
                for line in lines { decoded.append(try snake.decode(OrderEvent.self, from: UnsafeRawBufferPointer(rebasing: raw[line]))) }
            }
            let codable = try best(lines, text) { try snake.decode(OrderEvent.self, from: $0).amount }
            report("SluiceJSON decode, Codable (convertFromSnakeCase)", events: lines.count, bytes: lineBytes, seconds: codable.seconds, checksum: codable.checksum)
            let plain = FastJSONDecoder()
            let reader = try best(lines, text) { try plain.read(OrderEvent.self, from: $0).amount }
            report("SluiceJSON decode, reader (JSONReadable)", events: lines.count, bytes: lineBytes, seconds: reader.seconds, checksum: reader.checksum)

            // SluiceJSON encode.
            let payments = decoded.map(Payment.init)
            let encoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)
            var output: [UInt8] = []
            output.reserveCapacity(1024)
            var encodedBytes = 0
            var encodeSeconds = Double.infinity
            for _ in 0..<max(passes, 1) {
                encodedBytes = 0
                let started = DispatchClock.now
                for payment in payments {
                    output.removeAll(keepingCapacity: true)
                    try encoder.encode(payment, into: &output)
                    encodedBytes += output.count
                }
                encodeSeconds = min(encodeSeconds, Double(DispatchClock.now - started) / 1e9)
            }
            report("SluiceJSON encode, Codable (convertToSnakeCase)", events: payments.count, bytes: encodedBytes, seconds: encodeSeconds, checksum: nil)

            // Foundation, on a prefix, checked against SluiceJSON's results.
            let prefix = Array(lines.prefix(foundationEvents))
            let prefixData = prefix.map { Data(text[$0]) }
            let prefixBytes = prefix.reduce(0) { $0 + $1.count }
            let foundationDecoder = JSONDecoder()
            foundationDecoder.keyDecodingStrategy = .convertFromSnakeCase
            var mismatches = 0
            var started = DispatchClock.now
            for (n, line) in prefixData.enumerated() where try foundationDecoder.decode(OrderEvent.self, from: line) != decoded[n] {
                mismatches += 1
            }
            let foundationDecode = Double(DispatchClock.now - started) / 1e9
            report("Foundation decode, Codable (convertFromSnakeCase)", events: prefix.count, bytes: prefixBytes, seconds: foundationDecode, checksum: nil)
            let foundationEncoder = JSONEncoder()
            foundationEncoder.keyEncodingStrategy = .convertToSnakeCase
            var foundationEncoded = 0
            started = DispatchClock.now
            for payment in payments.prefix(prefix.count) { foundationEncoded += try foundationEncoder.encode(payment).count }
            let foundationEncode = Double(DispatchClock.now - started) / 1e9
            report("Foundation encode, Codable (convertToSnakeCase)", events: prefix.count, bytes: foundationEncoded, seconds: foundationEncode, checksum: nil)

            let foundationRate = Double(prefix.count) / foundationDecode
            print(
                String(
                    format: "SluiceJSON vs Foundation: decode %.1fx (Codable), %.1fx (reader); encode %.1fx; %d of %d Foundation results differ",
                    Double(lines.count) / codable.seconds / foundationRate, Double(lines.count) / reader.seconds / foundationRate,
                    (Double(payments.count) / encodeSeconds) / (Double(prefix.count) / foundationEncode), mismatches, prefix.count))
        }

        /// The best of `passes` timed runs of `body` over every line; the checksum (a sum of what
        /// `body` returns) keeps the work from being optimized away.
        private func best(_ lines: [Range<Int>], _ text: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Double) throws -> (seconds: Double, checksum: Double) {
            var seconds = Double.infinity
            var checksum = 0.0
            try text.withUnsafeBytes { raw in
                for _ in 0..<max(passes, 1) {
                    checksum = 0
                    let started = DispatchClock.now
                    for line in lines { checksum += try body(UnsafeRawBufferPointer(rebasing: raw[line])) }
                    seconds = min(seconds, Double(DispatchClock.now - started) / 1e9)
                }
            }
            return (seconds, checksum)
        }

        private func report(_ what: String, events: Int, bytes: Int, seconds: Double, checksum: Double?) {
            let rate = Double(events) / seconds
            print(
                String(
                    format: "%@: %.3f M events/s, %.1f MB/s (%d events in %.3f s%@)", what, rate / 1e6, Double(bytes) / seconds / 1e6, events, seconds,
                    checksum.map { String(format: ", checksum %.2f", $0) } ?? ""))
        }
    }
}

/// One line of `gen_events.py`, as a pipeline would declare it.
struct OrderEvent: Codable, Equatable {
    struct Item: Codable, Equatable {
        let sku: String
        let qty: Int
        let price: Double
    }

    enum Status: String, Codable {
        case created, paid, shipped, cancelled
    }

    let orderId: String
    let customerId: String
    let region: String
    let amount: Double
    let currency: String
    let items: [Item]
    let status: Status
    let ts: Int64
}

extension OrderEvent: JSONReadable {
    init(json: JSONReader) throws {
        let o = try json.object()
        let status = try o.string("status")
        guard let parsed = Status(rawValue: status) else {
            throw CLIError("unknown status \(status)")
        }
        self.init(
            orderId: try o.string("order_id"), customerId: try o.string("customer_id"), region: try o.string("region"), amount: try o.double("amount"),
            currency: try o.string("currency"), items: try o.array("items").map { try Item(json: $0) }, status: parsed, ts: try o.int64("ts"))
    }
}

extension OrderEvent.Item: JSONReadable {
    init(json: JSONReader) throws {
        let o = try json.object()
        self.init(sku: try o.string("sku"), qty: try o.int("qty"), price: try o.double("price"))
    }
}

/// What the payment branch of the order pipeline emits per event.
struct Payment: Codable {
    let orderId: String
    let customerId: String
    let amount: Double
    let currency: String
    let ts: Int64

    init(_ event: OrderEvent) {
        orderId = event.orderId
        customerId = event.customerId
        amount = event.amount
        currency = event.currency
        ts = event.ts
    }
}
