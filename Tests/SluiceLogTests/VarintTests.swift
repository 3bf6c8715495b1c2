@testable import SluiceLog
import Testing

/// `Varint.size(of:)` is what the batch builders lay records out by: it must count exactly the
/// bytes `Varint.append` writes, at every width boundary and for both signs.
@Suite struct VarintTests {
    @Test func sizeIsTheLengthOfTheEncoding() {
        var values: [Int64] = [0, 1, -1, .max, .min, .max - 1, .min + 1]
        for shift in 0..<64 {
            let power = Int64(bitPattern: UInt64(1) << UInt64(shift))
            values += [power, power &- 1, power &+ 1, 0 &- power, 0 &- power &- 1, 0 &- power &+ 1, power / 2, 0 &- power / 2]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            values.append(Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...63, using: &generator))
        }
        for value in values {
            var encoded: [UInt8] = []
            Varint.append(value, to: &encoded)
            #expect(Varint.size(of: value) == encoded.count, "\(value)")
        }
    }
}
