@testable import OrderEventsCore
import Testing

/// `price` and `amount` are written from integer cents without a `Double`; this holds that
/// shortcut to Python's `repr(round(c / 100, 2))` for every value the generator can produce
/// (0...2 items × qty 5 × 49 999 cents = 499 990).
@Suite struct PythonFloatReprTests {
    static let largestTotalCents = 2 * 5 * 49_999

    @Test("hundredths print as repr(round(c / 100, 2)) for every reachable c")
    func everyReachableValue() throws {
        let expected = try ReferencePython.run([
            "-c",
            "import sys; sys.stdout.write('\\n'.join(repr(round(c / 100, 2)) for c in range(\(Self.largestTotalCents + 1))))",
        ])
        var actual: [UInt8] = []
        actual.reserveCapacity(expected.count)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            for cents in 0...Self.largestTotalCents {
                if cents > 0 { actual.append(UInt8(ascii: "\n")) }
                var writer = OrderEventGenerator.ASCIIWriter(scratch.baseAddress!)
                writer.writeHundredths(cents)
                actual.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<writer.count]))
            }
        }
        if actual != expected {
            Issue.record(Comment(rawValue: OrderEventGeneratorTests.firstDifference(actual, expected)))
        }
    }
}
