import ArgumentParser
import Foundation
import OrderEventsCore
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
                convertToSnakeCase into a reused buffer, through Codable and through its writer (JSONWritable). \
                The serde path does what Sluice's JSONSerde does per record of the payment branch: decode the \
                event and encode a Payment through JSONCodec, the engine JSONSerde delegates to (it picks the \
                reader and the writer once, when it is made). Foundation's JSONDecoder and JSONEncoder do the \
                same Codable work on the first --foundation-events lines, and their results are compared \
                with SluiceJSON's. The file is read into memory first; only decoding and encoding are \
                timed, best of --passes. Build with -c release.
                """)

        @Option(help: "JSON lines of order events (python3 gen_events.py N FILE 42).") var file: String
        @Option(help: "Events to use (default: every line).") var events: Int?
        @Option(name: .customLong("foundation-events"), help: "Events for Foundation (it is slow).") var foundationEvents = 100_000
        @Option(help: "Timed passes for SluiceJSON; the best is reported.") var passes = 3
        @Option(
            help: ArgumentHelp(
                "Run only these measurements, comma-separated: codable, reader, encode, serde, foundation, index (default: all but index). One at a time suits callgrind.",
                valueName: "list"))
        var only: String?

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read --file \(file)") }
            let text = [UInt8](data)
            var lines: [Range<Int>] = []
            var start = 0
            while start < text.count, events.map({ lines.count < $0 }) ?? true {
                let end = text[start...].firstIndex(of: 0x0a) ?? text.count
                if end > start { lines.append(start..<end) }
                start = end + 1
            }
            guard !lines.isEmpty else { throw CLIError("--file \(file) has no lines") }
            let lineBytes = lines.reduce(0) { $0 + $1.count }
            print("\(lines.count) events, \(String(format: "%.1f", Double(lineBytes) / 1e6)) MB of JSON (\(lineBytes / lines.count) B/event)")
            let known: Set<Substring> = ["codable", "reader", "encode", "serde", "foundation", "index"]
            let selected = Set((only ?? "codable,reader,encode,serde,foundation").split(separator: ","))
            if let unknown = selected.subtracting(known).first { throw CLIError("--only: unknown measurement '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))") }

            // SluiceJSON, two ways.
            let snake = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
            var codableRate: Double?
            var readerRate: Double?
            if selected.contains("codable") {
                let codable = try best(lines, text) { try snake.decode(OrderEvent.self, from: $0).amount }
                report("SluiceJSON decode, Codable (convertFromSnakeCase)", events: lines.count, bytes: lineBytes, seconds: codable.seconds, checksum: codable.checksum)
                codableRate = Double(lines.count) / codable.seconds
            }
            if selected.contains("index") {
                // Validation alone (the reader's streaming pass over a value it never reads): the
                // floor under the reader path.
                let plain = FastJSONDecoder()
                let index = try best(lines, text) { try plain.read($0) { $0.isNull ? 0 : 1 } }
                report("SluiceJSON validate only (streaming, no value read)", events: lines.count, bytes: lineBytes, seconds: index.seconds, checksum: index.checksum)
            }
            if selected.contains("reader") {
                let plain = FastJSONDecoder()
                let reader = try best(lines, text) { try plain.read(OrderEvent.self, from: $0).amount }
                report("SluiceJSON decode, reader (JSONReadable)", events: lines.count, bytes: lineBytes, seconds: reader.seconds, checksum: reader.checksum)
                readerRate = Double(lines.count) / reader.seconds
            }
            if selected.contains("serde") {
                // Decode the event, make the payment, encode it: JSONSerde's work per record of the
                // payment branch, through the same JSONCodec values it holds.
                let events = JSONCodec<OrderEvent>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
                let payments = JSONCodec<Payment>(keyDecodingStrategy: .convertFromSnakeCase, keyEncodingStrategy: .convertToSnakeCase)
                guard events.readsDirectly && payments.writesDirectly else { throw CLIError("JSONCodec did not pick the reader and the writer") }
                try checkSerdeOutput(lines, text, events, payments)
                var output: [UInt8] = []
                output.reserveCapacity(1024)
                let serde = try best(lines, text) { bytes in
                    let event = try events.decode(bytes)
                    output.removeAll(keepingCapacity: true)
                    try payments.encode(try Payment(event), into: &output)
                    return Double(output.count)
                }
                report("JSONSerde path: decode OrderEvent (reader) + encode Payment (writer)", events: lines.count, bytes: lineBytes, seconds: serde.seconds, checksum: serde.checksum)
            }
            guard selected.contains("encode") || selected.contains("foundation") else { return }
            var decoded: [OrderEvent] = []
            decoded.reserveCapacity(lines.count)
            try text.withUnsafeBytes { raw in
                for line in lines { decoded.append(try snake.decode(OrderEvent.self, from: UnsafeRawBufferPointer(rebasing: raw[line]))) }
            }
            let payments = try decoded.map(Payment.init)

            // SluiceJSON encode.
            var encodeRate: Double?
            if selected.contains("encode") {
                let encoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)
                let (encodeSeconds, encodedBytes) = try bestEncode(payments) { try encoder.encode($0, into: &$1) }
                report("SluiceJSON encode, Codable (convertToSnakeCase)", events: payments.count, bytes: encodedBytes, seconds: encodeSeconds, checksum: nil)
                encodeRate = Double(payments.count) / encodeSeconds
                let (writerSeconds, writtenBytes) = try bestEncode(payments) { try $0.writeJSON(into: &$1) }
                report("SluiceJSON encode, writer (JSONWritable)", events: payments.count, bytes: writtenBytes, seconds: writerSeconds, checksum: nil)
            }
            guard selected.contains("foundation") else { return }

            // Foundation, on a prefix, checked against SluiceJSON's results.
            let prefix = Array(lines.prefix(max(foundationEvents, 1)))
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

            let foundationDecodeRate = Double(prefix.count) / foundationDecode
            let foundationEncodeRate = Double(prefix.count) / foundationEncode
            func ratio(_ rate: Double?, _ foundation: Double) -> String { rate.map { String(format: "%.1fx", $0 / foundation) } ?? "-" }
            print(
                "SluiceJSON vs Foundation: decode \(ratio(codableRate, foundationDecodeRate)) (Codable), \(ratio(readerRate, foundationDecodeRate)) (reader); "
                    + "encode \(ratio(encodeRate, foundationEncodeRate)); \(mismatches) of \(prefix.count) Foundation results differ")
        }

        /// The best of `passes` timed runs of `body` over every line; the checksum (a sum of what
        /// `body` returns) keeps the work from being optimized away. Never inlined, so that
        /// `valgrind --tool=callgrind --toggle-collect='*JSONV4best*'` counts only the timed work.
        @inline(never)
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

        /// Fails unless the serde path gives what Codable gives, on up to 10,000 lines: the same
        /// events, and the same payment bytes.
        private func checkSerdeOutput(_ lines: [Range<Int>], _ text: [UInt8], _ events: JSONCodec<OrderEvent>, _ payments: JSONCodec<Payment>) throws {
            try text.withUnsafeBytes { raw in
                for line in lines.prefix(10_000) {
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[line])
                    let event = try events.decode(bytes)
                    guard event == (try events.decoder.decode(OrderEvent.self, from: bytes)) else {
                        throw CLIError("the reader and Codable decode line \(line) differently")
                    }
                    let payment = try Payment(event)
                    guard try payments.encode(payment) == (try payments.encoder.encode(payment)) else {
                        throw CLIError("the writer and Codable encode the payment of line \(line) differently")
                    }
                }
            }
        }

        /// The best of `passes` timed runs of `body` encoding every value into a reused buffer:
        /// seconds and bytes written. Never inlined, like `best`.
        @inline(never)
        private func bestEncode<T>(_ values: [T], _ body: (T, inout [UInt8]) throws -> Void) throws -> (seconds: Double, bytes: Int) {
            var output: [UInt8] = []
            output.reserveCapacity(1024)
            var bytes = 0
            var seconds = Double.infinity
            for _ in 0..<max(passes, 1) {
                bytes = 0
                let started = DispatchClock.now
                for value in values {
                    output.removeAll(keepingCapacity: true)
                    try body(value, &output)
                    bytes += output.count
                }
                seconds = min(seconds, Double(DispatchClock.now - started) / 1e9)
            }
            return (seconds, bytes)
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

/// What the payment branch of order-events emits per event.
typealias Payment = OrderLogic.Payment

extension OrderLogic.Payment {
    /// The payment of `event`, enriched as the pipeline does (`OrderLogic.EnrichedOrder`).
    init(_ event: OrderEvent) throws { self.init(try OrderLogic.EnrichedOrder(event)) }
}
