import Foundation
import SluiceTestSupport

/// The `order-events` executable built with the tests, run as a child process.
enum OrderEventsBinary {
    /// `$ORDER_EVENTS_BINARY`, or `order-events` next to the test bundle (see `BuiltProduct.locate`).
    static let located = BuiltProduct.locate("order-events", environmentVariable: "ORDER_EVENTS_BINARY")

    /// Runs `order-events arguments` and returns what it left behind.
    static func run(_ arguments: [String], timeout: Double = 120) throws -> ChildOutput {
        try ChildProcess.run(try located.get(), arguments, timeout: timeout)
    }
}

/// The run summary's line of one branch: `  payment: 20000 consumed, 18058 produced, 0 skipped, 0 dead-lettered`
/// (a stateful branch may add more counts, such as `, 12 late`).
struct BranchLine: Equatable {
    var group: String
    var counts: [String: Int]

    var consumed: Int { counts["consumed"] ?? -1 }
    var deadLettered: Int { counts["dead-lettered"] ?? -1 }

    /// Every branch line of `output`.
    static func all(in output: String) -> [BranchLine] {
        output.split(separator: "\n").compactMap { line -> BranchLine? in
            guard line.hasPrefix("  "), let colon = line.firstIndex(of: ":") else { return nil }
            var counts: [String: Int] = [:]
            for part in line[line.index(after: colon)...].split(separator: ",") {
                let words = part.split(separator: " ")
                guard words.count == 2, let number = Int(words[0]) else { return nil }
                counts[String(words[1])] = number
            }
            guard counts["consumed"] != nil, counts["dead-lettered"] != nil else { return nil }
            return BranchLine(group: line[..<colon].trimmingCharacters(in: .whitespaces), counts: counts)
        }
    }
}
