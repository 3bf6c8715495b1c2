import Sluice
import SluiceTestSupport
import SluiceTesting
import Testing

/// The stateless operators against a plain-Swift reference on random input (fixed seeds):
/// chained `filter`, `map`, `flatMap`, `compactMap`, `peek`, `mapKey`, `timestamped` and a
/// predicate `split`, over three partitions. Per source partition order must be kept, so the
/// check is per key (keys stay in one partition here) and on the whole multiset.
@Suite("Stateless operators against a reference")
struct OperatorPropertyTests {
    struct Reading: Codable, Sendable, Hashable {
        var sensor: String
        var value: Int
        var ts: Int64
    }

    static let readings = Topic<String, Reading>("readings")
    static let out = Topic<String, Reading>("derived")
    static let small = Topic<String, Reading>("small")
    static let large = Topic<String, Reading>("large")

    /// The pipeline's logic on one record, in plain Swift: what the operators must produce.
    static func reference(_ reading: Reading) -> [(key: String, value: Reading)] {
        guard reading.value % 3 != 0 else { return [] }                                   // filter
        let scaled = Reading(sensor: reading.sensor, value: reading.value * 2, ts: reading.ts)  // map
        let copies = (0..<(scaled.value % 4)).map { Reading(sensor: scaled.sensor, value: scaled.value + $0, ts: scaled.ts + Int64($0)) }  // flatMap
        return copies.compactMap { copy in                                                // compactMap
            copy.value % 5 == 0 ? nil : (key: copy.sensor.uppercased(), value: copy)      // mapKey
        }
    }

    static let pipeline = Pipeline("operators") {
        Branch(group: "derive", from: readings) { $0
            .filter { $0.value % 3 != 0 }
            .map { Reading(sensor: $0.sensor, value: $0.value * 2, ts: $0.ts) }
            .flatMap { r in (0..<(r.value % 4)).map { Reading(sensor: r.sensor, value: r.value + $0, ts: r.ts + Int64($0)) } }
            .compactMap { $0.value % 5 == 0 ? nil : $0 }
            .peek { _, _ in }
            .mapKey { $0.uppercased() }
            .timestamped(by: \.ts)
            .to(out)
        }
        Branch(group: "route", from: readings) { $0
            .split {
                Route("small", where: { $0.value < 40 }) { $0.to(small) }
                Route.otherwise { $0.to(large) }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func chainsMatchTheReference(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let sensors = (0..<7).map { "s\($0)" }
        var input: [Reading] = []
        for i in 0..<400 {
            input.append(Reading(sensor: sensors[Int(random.next() % 7)], value: Int(random.next() % 100), ts: Int64(i * 10)))
        }
        let driver = try PipelineTestDriver(Self.pipeline, partitions: 3)
        for reading in input { try driver.pipe(Self.readings, key: reading.sensor, value: reading, timestamp: reading.ts) }
        try driver.process()

        let expected = input.flatMap(Self.reference)
        let derived = try driver.records(Self.out)
        #expect(!expected.isEmpty && derived.count == expected.count)
        for sensor in sensors.map({ $0.uppercased() }) {
            #expect(
                derived.filter { $0.key == sensor }.map(\.value) == expected.filter { $0.key == sensor }.map(\.value),
                "records of \(sensor), in order")
        }
        #expect(derived.allSatisfy { $0.timestamp == $0.value.ts }, "timestamped(by:) sets event time")

        let small = try driver.records(Self.small).map(\.value)
        let large = try driver.records(Self.large).map(\.value)
        #expect(Set(small) == Set(input.filter { $0.value < 40 }) && small.count == input.filter { $0.value < 40 }.count)
        #expect(Set(large) == Set(input.filter { $0.value >= 40 }) && large.count == input.filter { $0.value >= 40 }.count)
    }
}
