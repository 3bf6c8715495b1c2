import Foundation
import Sluice
import Testing

/// The serdes a topic's types pick: JSON (through SluiceJSON, Codable or a type's own reader and
/// writer) with snake_case keys, UTF-8 text, raw bytes.
@Suite("Serdes")
struct SerdeTests {
    /// Codable only: goes through SluiceJSON's Codable decoder and encoder.
    struct Shipment: Codable, Sendable, Equatable {
        var orderId: String
        var itemCount: Int
        var weightKg: Double
        var note: String?
        var tags: [String]
    }

    /// The same shape with its own reader and writer (keys spelled as on the wire).
    struct FastShipment: Codable, Sendable, Equatable, JSONReadable, JSONWritable {
        var orderId: String
        var itemCount: Int
        var weightKg: Double
        var note: String?
        var tags: [String]

        init(_ shipment: Shipment) {
            (orderId, itemCount, weightKg, note, tags) = (shipment.orderId, shipment.itemCount, shipment.weightKg, shipment.note, shipment.tags)
        }

        init(json: JSONReader) throws {
            let o = try json.object()
            orderId = try o.string("order_id")
            itemCount = try o.int("item_count")
            weightKg = try o.double("weight_kg")
            note = try o.valueIfPresent("note").flatMap { $0.isNull ? nil : try $0.string() }
            tags = try o.array("tags").map { try $0.string() }
        }

        func write(json: inout JSONWriter) throws {
            try json.object { o in
                o.member("order_id", orderId)
                o.member("item_count", itemCount)
                try o.member("weight_kg", weightKg)
                try o.memberIfPresent("note", note)
                try o.member("tags", tags)
            }
        }
    }

    static let shipments = [
        Shipment(orderId: "ord-1", itemCount: 3, weightKg: 1.25, note: nil, tags: ["fragile"]),
        Shipment(orderId: "ord-\"2\"", itemCount: 0, weightKg: 0.1, note: "leave at the door\n", tags: []),
        Shipment(orderId: "ördér-3 🎉", itemCount: -7, weightKg: 12, note: "", tags: ["a", "b"]),
    ]

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func codableValuesRoundTripWithSnakeCaseKeys() throws {
        let serde = JSONSerde<Shipment>()
        for shipment in Self.shipments {
            var bytes: [UInt8] = []
            try serde.encode(shipment, into: &bytes)
            #expect(Self.text(bytes).contains(#""order_id":"#) && Self.text(bytes).contains(#""item_count":"#) && Self.text(bytes).contains(#""weight_kg":"#))
            #expect(!Self.text(bytes).contains("orderId"))
            #expect(try bytes.withUnsafeBytes { try serde.decode($0) } == shipment)
            // Foundation reads the same value from the same bytes.
            let foundation = JSONDecoder()
            foundation.keyDecodingStrategy = .convertFromSnakeCase
            #expect(try foundation.decode(Shipment.self, from: Data(bytes)) == shipment)
        }
        let first = try #require(Self.shipments.first)
        var exact: [UInt8] = []
        try serde.encode(first, into: &exact)
        #expect(Self.text(exact) == #"{"order_id":"ord-1","item_count":3,"weight_kg":1.25,"tags":["fragile"]}"#)
    }

    @Test func readableAndWritableValuesRoundTripAndMatchCodable() throws {
        let fast = JSONSerde<FastShipment>()
        let codable = JSONSerde<Shipment>()
        for shipment in Self.shipments {
            var viaCodable: [UInt8] = []
            try codable.encode(shipment, into: &viaCodable)
            var viaWriter: [UInt8] = []
            try fast.encode(FastShipment(shipment), into: &viaWriter)
            #expect(viaWriter == viaCodable)
            #expect(try viaCodable.withUnsafeBytes { try fast.decode($0) } == FastShipment(shipment))
            #expect(try viaWriter.withUnsafeBytes { try codable.decode($0) } == shipment)
        }
    }

    /// A serde made where the type is only known to be `Codable` finds the reader and writer at
    /// run time; made where it is concrete, it calls them directly. Both write and read alike.
    @Test func theSerdeChosenAtRunTimeAndTheStaticOneAgree() throws {
        func madeGenerically<Value: Codable & Sendable>(_: Value.Type) -> JSONSerde<Value> { JSONSerde<Value>() }
        let dynamic = madeGenerically(FastShipment.self)
        let direct = JSONSerde<FastShipment>()
        for shipment in Self.shipments.map(FastShipment.init) {
            var viaDynamic: [UInt8] = []
            try dynamic.encode(shipment, into: &viaDynamic)
            var scratch: [UInt8] = []
            var viaDirect: [UInt8] = []
            try direct.withEncoded(shipment, scratch: &scratch) { viaDirect = Array($0) }
            #expect(viaDirect == viaDynamic)
            #expect(try viaDirect.withUnsafeBytes { try dynamic.decode($0) } == shipment)
            #expect(try viaDynamic.withUnsafeBytes { try direct.decode($0) } == shipment)
        }
        for serde in [dynamic, direct] {
            #expect(throws: SerdeError.self) { _ = try Array(#"{"order_id":1}"#.utf8).withUnsafeBytes { try serde.decode($0) } }
        }
    }

    @Test func encodeAppendsToTheCallersBytes() throws {
        var bytes = Array("key=".utf8)
        try JSONSerde<FastShipment>().encode(FastShipment(Self.shipments[0]), into: &bytes)
        try JSONSerde<Shipment>().encode(Self.shipments[0], into: &bytes)
        #expect(Self.text(bytes).hasPrefix(#"key={"order_id":"ord-1""#))
        #expect(Self.text(bytes).components(separatedBy: #""order_id""#).count == 3)
    }

    /// The description of the error `decode` throws for `text`.
    static func decodeFailure<Value: Codable & Sendable>(_ type: Value.Type, _ text: String) -> String? {
        do {
            _ = try Array(text.utf8).withUnsafeBytes { try JSONSerde<Value>().decode($0) }
            return nil
        } catch let error as SerdeError {
            #expect(error.underlyingError != nil)
            return error.description
        } catch {
            Issue.record("not a SerdeError: \(error)")
            return nil
        }
    }

    @Test(arguments: [false, true])
    func badBytesGiveErrorsThatNameTheProblem(fast: Bool) throws {
        func failure(_ text: String) -> String? {
            fast ? Self.decodeFailure(FastShipment.self, text) : Self.decodeFailure(Shipment.self, text)
        }
        let name = fast ? "FastShipment" : "Shipment"

        let notJSON = try #require(failure(#"{"order_id":"ord-1",,}"#))
        #expect(notJSON.contains(name) && notJSON.contains("','") && notJSON.contains("byte 20"), "\(notJSON)")

        let truncated = try #require(failure(#"{"order_id":"ord-1","item_cou"#))
        #expect(truncated.contains("end of input"), "\(truncated)")

        let missing = try #require(failure(#"{"order_id":"ord-1","weight_kg":1,"tags":[]}"#))
        #expect(missing.contains(fast ? "item_count" : "itemCount"), "\(missing)")

        let wrongType = try #require(failure(#"{"order_id":"ord-1","item_count":1,"weight_kg":1,"tags":["a",2]}"#))
        #expect(wrongType.contains("tags[1]") && wrongType.contains("String"), "\(wrongType)")

        let notUTF8 = try #require(
            { () -> String? in
                do {
                    _ = try ([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D] as [UInt8]).withUnsafeBytes {
                        fast ? try JSONSerde<FastShipment>().decode($0) as Any : try JSONSerde<Shipment>().decode($0) as Any
                    }
                    return nil
                } catch {
                    return "\(error)"
                }
            }())
        #expect(notUTF8.contains("UTF-8") && notUTF8.contains("byte 3"), "\(notUTF8)")

        #expect(failure("") != nil)
    }

    @Test func encodingFailuresAreSerdeErrorsAndLeaveTheBytesAlone() throws {
        var bytes = Array("kept".utf8)
        var bad = Self.shipments[0]
        bad.weightKg = .nan
        for encode in [{ try JSONSerde<Shipment>().encode(bad, into: &$0) }, { try JSONSerde<FastShipment>().encode(FastShipment(bad), into: &$0) }] as [(inout [UInt8]) throws -> Void] {
            do {
                try encode(&bytes)
                Issue.record("encoded NaN")
            } catch let error as SerdeError {
                #expect(error.description.contains("cannot encode") && error.description.contains("nan"), "\(error)")
            }
            #expect(Self.text(bytes) == "kept")
        }
    }

    /// `withEncoded` (how `to(topic)` writes values) gives the bytes `encode` appends; an
    /// encoding failure is a `SerdeError` and skips the body, and the body's own error comes
    /// out as it is (a failed send must not read as a bad value).
    @Test func withEncodedGivesTheEncodedBytesAndKeepsTheBodysErrorsApart() throws {
        struct SendFailure: Error {}
        var scratch: [UInt8] = []
        for shipment in Self.shipments {
            var expected: [UInt8] = []
            try JSONSerde<Shipment>().encode(shipment, into: &expected)
            var fast: [UInt8] = []
            try JSONSerde<FastShipment>().withEncoded(FastShipment(shipment), scratch: &scratch) { fast = Array($0) }
            var codable: [UInt8] = []
            try JSONSerde<Shipment>().withEncoded(shipment, scratch: &scratch) { codable = Array($0) }
            #expect(fast == expected && codable == expected)
        }
        var bad = Self.shipments[0]
        bad.weightKg = .nan
        var called = false
        #expect(throws: SerdeError.self) { try JSONSerde<FastShipment>().withEncoded(FastShipment(bad), scratch: &scratch) { _ in called = true } }
        #expect(throws: SerdeError.self) { try JSONSerde<Shipment>().withEncoded(bad, scratch: &scratch) { _ in called = true } }
        #expect(!called)
        #expect(throws: SendFailure.self) {
            try JSONSerde<FastShipment>().withEncoded(FastShipment(Self.shipments[0]), scratch: &scratch) { _ in throw SendFailure() }
        }
        #expect(throws: SendFailure.self) { try JSONSerde<Shipment>().withEncoded(Self.shipments[0], scratch: &scratch) { _ in throw SendFailure() } }
    }

    @Test func oneSerdeServesManyThreads() async throws {
        let serde = JSONSerde<FastShipment>()
        let codable = JSONSerde<Shipment>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bytes: [UInt8] = []
                    for round in 0..<300 {
                        var shipment = Self.shipments[(worker + round) % Self.shipments.count]
                        shipment.itemCount = worker * 1_000 + round
                        bytes.removeAll(keepingCapacity: true)
                        try serde.encode(FastShipment(shipment), into: &bytes)
                        let fast = try bytes.withUnsafeBytes { try serde.decode($0) }
                        let slow = try bytes.withUnsafeBytes { try codable.decode($0) }
                        guard fast == FastShipment(shipment), slow == shipment else { throw SerdeError("round trip differs on worker \(worker)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: Text and bytes

    @Test func stringSerdeRejectsInvalidUTF8() throws {
        let serde = StringSerde()
        var bytes: [UInt8] = []
        serde.encode("héllo 🎉", into: &bytes)
        #expect(try bytes.withUnsafeBytes { try serde.decode($0) } == "héllo 🎉")
        #expect(try [UInt8]().withUnsafeBytes { try serde.decode($0) } == "")

        for (invalid, offset) in [([0x61, 0xC3, 0x28], 1), ([0xFF], 0), ([0x61, 0x62, 0xED, 0xA0, 0x80], 2), ([0x61, 0xE2, 0x82], 1)] as [([UInt8], Int)] {
            do {
                _ = try invalid.withUnsafeBytes { try serde.decode($0) }
                Issue.record("decoded \(invalid)")
            } catch let error as SerdeError {
                #expect(error.description.contains("not valid UTF-8"), "\(error)")
                #expect(error.description.contains("from byte \(offset) of \(invalid.count)"), "\(error)")
            }
        }
    }

    @Test func bytesSerdeKeepsTheBytes() throws {
        let serde = BytesSerde()
        var bytes: [UInt8] = [1]
        serde.encode([0, 255, 7], into: &bytes)
        #expect(bytes == [1, 0, 255, 7])
        #expect(bytes.withUnsafeBytes { serde.decode($0) } == [1, 0, 255, 7])
    }
}
