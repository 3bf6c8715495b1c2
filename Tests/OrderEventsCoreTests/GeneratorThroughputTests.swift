import Foundation
import OrderEventsCore
import Testing

/// Events per second of the generator: reported, not asserted (a debug build is an order of
/// magnitude slower). For the figure that matters:
/// `SLUICE_GENERATOR_EVENTS=1000000 swift test -c release --filter GeneratorThroughputTests`.
@Suite struct GeneratorThroughputTests {
    @Test("generator throughput (reported)")
    func throughput() {
        let count = ProcessInfo.processInfo.environment["SLUICE_GENERATOR_EVENTS"].flatMap { Int($0) } ?? 20_000
        var generator = OrderEventGenerator(seed: 42)
        var bytes: [UInt8] = []
        let clock = ContinuousClock()
        let elapsed = clock.measure { generator.appendLines(count: count, to: &bytes) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print(
            "OrderEventGenerator: \(count) events, \(bytes.count) bytes in \(elapsed) "
                + "= \(Int(Double(count) / seconds)) events/s")
        #expect(generator.nextIndex == count)
    }
}
