import Foundation
import Sluice

/// What the job prints on standard output: the load, the run, the outputs, `CHECK` and `RESULT`.
/// Progress and warnings go to standard error.
enum Report {
    static func load(_ report: LoadReport, topic: String, source: String) {
        let megabytes = Format.fixed(Double(report.bytes) / 1e6, decimals: 1)
        let rate = report.seconds > 0 ? Int(Double(report.events) / report.seconds) : 0
        print(
            "loaded \(Format.grouped(report.events)) events (\(megabytes) MB) from \(source) into \(topic) "
                + "in \(Format.fixed(report.seconds, decimals: 2)) s = \(Format.grouped(rate)) events/s")
        if report.unparsed > 0 {
            print(
                "  \(Format.grouped(report.unparsed)) of them did not parse as order events: loaded without key, "
                    + "stamped with the current time (the branches will send them to \(OrderTopics.deadLetters))")
        }
        if report.blankLines > 0 { print("  \(Format.grouped(report.blankLines)) blank lines skipped") }
    }

    static func outputs(_ check: OutputCheck) {
        print("\noutput topics (all runs so far):")
        print(row(OrderTopics.orders.name, Format.grouped(check.orders), "events in"))
        for (topic, count) in [(OrderTopics.payments.name, check.payments), (OrderTopics.shipments.name, check.shipments)] {
            print(row(topic, Format.grouped(count.records), "\(Format.grouped(count.distinctOrders)) distinct orders"))
        }
        print(
            row(
                OrderTopics.deadLetters, Format.grouped(check.deadLetters),
                "from \(Format.grouped(check.deadLetterSources)) source records (a copy per branch that read them)"))
        guard let windows = check.windows else {
            print(row(OrderTopics.regionStatsName, "-", "(no stats branch yet: no windows, no top regions)"))
            return
        }
        print(row(OrderTopics.regionStatsName, Format.grouped(windows.windows), "windows (latest value per region@window)"))
        print("\ntop regions by total USD:")
        for (rank, region) in windows.regions.prefix(5).enumerated() {
            let name = region.region.padding(toLength: 14, withPad: " ", startingAt: 0)
            let orders = leftPadded(Format.grouped(region.count), 10)
            print("  \(rank + 1). \(name)\(orders) orders\(leftPadded(Format.money(region.sumUsd), 18)) USD")
        }
    }

    /// `topic` left-aligned, `count` right-aligned, then `detail`.
    private static func row(_ topic: String, _ count: String, _ detail: String) -> String {
        topic.padding(toLength: 22, withPad: " ", startingAt: 0) + leftPadded(count, 12) + "  " + detail
    }

    /// `RESULT`: source events every branch processed in this run, per second of the run's wall
    /// time (loading excluded), in the format of the benchmark peers' `RESULT` lines.
    static func result(_ summary: RunSummary) -> String {
        let events = summary.branches.map(\.consumed).min() ?? 0
        let rate = summary.seconds > 0 ? Double(events) / summary.seconds : 0
        let seconds = Format.fixed(summary.seconds, decimals: 3)
        return "RESULT peer=sluice events=\(events) secs=\(seconds) events_per_s=\(Format.fixed(rate, decimals: 0))"
    }

    private static func leftPadded(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
