import Foundation
import OrderEventsCore
import SluiceLog
import SluiceTestSupport
import Testing

/// The real `order-events` binary against `pipeline_plain.py` on the same events.
@Suite("order-events end to end")
struct OrderEventsRunTests {
    /// The fields both print whatever branches exist; the window fields come with the stats branch.
    static let countFields = ["in", "kept", "payments", "shipping"]
    /// Branches that read each source record once (a stateful branch also counts what it reads
    /// back from its repartition topic).
    static let statelessBranches: Set<String> = ["payment", "shipping"]

    @Test("--generate: CHECK equals pipeline_plain.py's; a second run without --reset processes nothing")
    func generatedEventsMatchTheReference() throws {
        let directory = TemporaryDirectory("order-events-run")
        let data = directory.path + "/data"
        let first = try OrderEventsBinary.run(["--generate", "20000", "--seed", "7", "--until-idle", "--no-progress", "--data-dir", data])
        try #require(first.succeeded, "\(first)")
        let check = try CheckLine(in: first.stdout)

        let events = directory.path + "/events.jsonl"
        var generator = OrderEventGenerator(seed: 7)
        try generator.write(count: 20_000, toFileAt: events)
        let reference = try ReferencePipeline.check(eventsFile: events)
        #expect(reference["in"] == "20000")
        for field in Self.countFields {
            #expect(check[field] == reference[field], "\(field): order-events \(check) vs pipeline_plain.py \(reference)")
        }
        Self.expectWindowsMatch(check, reference)
        let branches = BranchLine.all(in: first.stdout)
        #expect(Set(branches.map(\.group)).isSuperset(of: Self.statelessBranches), "\(first.stdout)")
        #expect(branches.allSatisfy { $0.deadLettered == 0 }, "\(first.stdout)")
        for branch in branches where Self.statelessBranches.contains(branch.group) {
            #expect(branch.consumed == 20_000, "\(branch)")
        }
        #expect(first.stdout.contains("RESULT peer=sluice events=20000 "))

        let second = try OrderEventsBinary.run(["--until-idle", "--no-progress", "--data-dir", data])
        try #require(second.succeeded, "\(second)")
        #expect(BranchLine.all(in: second.stdout).map(\.consumed) == branches.map { _ in 0 }, "\(second.stdout)")
        #expect(try CheckLine(in: second.stdout) == check, "the outputs did not change")
        #expect(second.stdout.contains("RESULT peer=sluice events=0 "))
    }

    @Test("--input with garbage lines: 3 dead letters per branch, CHECK right for the good events")
    func garbageGoesToTheDeadLetterTopic() throws {
        let directory = TemporaryDirectory("order-events-garbage")
        let data = directory.path + "/data"
        var generator = OrderEventGenerator(seed: 11)
        let good = (0..<2_000).map { _ in String(decoding: generator.next(), as: UTF8.self) }
        let garbage = [
            "this is not json",
            #"{"order_id":"ord-bad","ts":1700000000000}"#,  // JSON with a key and a time, but no order
            #"{"order_id":"ord-cut","customer_id":"cust-1","region""#,
        ]
        var lines = good
        lines.insert(garbage[0], at: 0)
        lines.insert(garbage[1], at: 1_000)
        lines.append(garbage[2])
        let input = directory.path + "/mixed.jsonl"
        let goodOnly = directory.path + "/good.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        try (good.joined(separator: "\n") + "\n").write(toFile: goodOnly, atomically: true, encoding: .utf8)

        let run = try OrderEventsBinary.run(["--input", input, "--until-idle", "--no-progress", "--data-dir", data])
        try #require(run.succeeded, "\(run)")
        let check = try CheckLine(in: run.stdout)
        let reference = try ReferencePipeline.check(eventsFile: goodOnly)
        #expect(check["in"] == "2003")
        for field in Self.countFields.dropFirst() {
            #expect(check[field] == reference[field], "\(field): order-events \(check) vs pipeline_plain.py \(reference)")
        }
        Self.expectWindowsMatch(check, reference)

        let branches = BranchLine.all(in: run.stdout)
        #expect(Set(branches.map(\.group)).isSuperset(of: Self.statelessBranches), "\(run.stdout)")
        for branch in branches {
            #expect(branch.deadLettered == 3, "\(branch)")
            if Self.statelessBranches.contains(branch.group) { #expect(branch.consumed == 2_003, "\(branch)") }
        }
        let deadLetters = try Self.values(of: "orders-dead-letters", in: data)
        #expect(deadLetters.count == 3 * branches.count)
        for line in garbage {
            #expect(deadLetters.filter { $0.value == line }.count == branches.count, "\(line) once per branch")
        }
        #expect(deadLetters.allSatisfy { $0.headers.contains("sluice.error") && $0.headers.contains("sluice.source.offset") })
    }

    @Test(
        "bad options: a non-zero exit and one line naming the option",
        arguments: [
            (["--generate", "-5"], "--generate"),
            (["--generate", "0"], "--generate"),
            (["--generate", "ten"], "--generate"),
            (["--input", "/nonexistent/events.jsonl"], "--input"),
            (["--generate", "10", "--input", "EVENTS_FILE"], "--input"),
            (["--partitions", "0", "--generate", "10"], "--partitions"),
            (["--seed", "3"], "--seed"),
            (["--until-idle", "--bogus"], "--bogus"),
        ])
    func badOptions(arguments: [String], option: String) throws {
        let directory = TemporaryDirectory("order-events-bad")
        let events = directory.path + "/events.jsonl"
        var generator = OrderEventGenerator()
        try generator.write(count: 10, toFileAt: events)
        let arguments = arguments.map { $0 == "EVENTS_FILE" ? events : $0 }
        let run = try OrderEventsBinary.run(arguments + ["--no-progress", "--data-dir", directory.path + "/data"])
        #expect(!run.succeeded && run.status != 0, "\(run)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(option), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"), "nothing is created for bad options")
    }

    @Test("nothing to process: no 'orders' topic is a clear error")
    func missingOrdersTopic() throws {
        let directory = TemporaryDirectory("order-events-empty")
        let run = try OrderEventsBinary.run(["--until-idle", "--no-progress", "--data-dir", directory.path + "/data"])
        #expect(run.status != 0, "\(run)")
        #expect(run.stderr.contains("orders") && run.stderr.contains("--generate"), "\(run)")
    }

    @Test("the vendored pipeline_plain.py is the benchmark's, when the benchmark is beside the package")
    func vendoredScriptMatchesBenchmark() {
        let benchmark = ReferencePipeline.benchmarkCopy
        guard FileManager.default.fileExists(atPath: benchmark) else { return }  // a lone checkout: the copy is the pin
        #expect(
            FileManager.default.contents(atPath: ReferencePipeline.script) == FileManager.default.contents(atPath: benchmark),
            "Tests/OrderEventsTests/Reference/pipeline_plain.py differs from \(benchmark): re-copy it")
    }

    /// With the stats branch in place both lines carry the window fields, which must agree
    /// (the USD sum up to float summation order: the two add the same terms in other orders).
    static func expectWindowsMatch(_ check: CheckLine, _ reference: CheckLine) {
        guard check["windows"] != nil else { return }
        #expect(check["windows"] == reference["windows"], "\(check) vs \(reference)")
        #expect(check["win_count"] == reference["win_count"], "\(check) vs \(reference)")
        let sum = check["win_sum"].flatMap(Double.init)
        let expected = reference["win_sum"].flatMap(Double.init)
        #expect(sum != nil && expected != nil && abs(sum! - expected!) <= 0.011, "\(check) vs \(reference)")
    }

    /// Every record value of `topic` as text, with its header keys.
    static func values(of topic: String, in data: String) throws -> [(value: String, headers: Set<String>)] {
        let log = try LogManager(directory: data, readOnly: true)
        defer { try? log.close() }
        var out: [(value: String, headers: Set<String>)] = []
        for id in 0..<Int32(try log.partitionCount(topic)) {
            try log.partition(topic, id).forEachRecord(from: 0) { record in
                let value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
                out.append((value, Set(record.headers().map(\.key))))
            }
        }
        return out
    }
}
