import Foundation

/// Number formats of the job's output.
enum Format {
    /// `1234567` → `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// Fixed-point with `decimals` digits, rounded as C's `printf` and Python's `:.Nf` round
    /// (the exact binary value, to nearest).
    static func fixed(_ value: Double, decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    /// Two decimals with grouped thousands: `1234567.891` → `1,234,567.89`.
    static func money(_ value: Double) -> String {
        let fixed = fixed(value.magnitude, decimals: 2)
        guard let dot = fixed.firstIndex(of: "."), let whole = Int(fixed[..<dot]) else { return fixed }
        return (value < 0 ? "-" : "") + grouped(whole) + fixed[dot...]
    }
}
