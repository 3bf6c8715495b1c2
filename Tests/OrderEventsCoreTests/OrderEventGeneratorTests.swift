import Foundation
import OrderEventsCore
import SluiceTestSupport
import Testing

/// The port writes exactly the bytes of `gen_events.py`: whole files against Python for several
/// seeds, plus pinned lines that need no interpreter.
@Suite struct OrderEventGeneratorTests {
    @Test("20,000 events are byte-identical to gen_events.py", arguments: [42, 7, 123_456_789])
    func byteIdenticalToPython(seed: Int) throws {
        let count = 20_000
        let expected = try ReferencePython.generatorOutput(count: count, seed: seed)
        var generator = OrderEventGenerator(seed: seed)
        var actual: [UInt8] = []
        generator.appendLines(count: count, to: &actual)
        if actual != expected {
            Issue.record(Comment(rawValue: Self.firstDifference(actual, expected)))
        }
        #expect(expected.count(where: { $0 == UInt8(ascii: "\n") }) == count)
    }

    @Test("the vendored gen_events.py is the benchmark's, when the benchmark is beside the package")
    func vendoredScriptMatchesBenchmark() throws {
        let benchmark = ReferencePython.benchmarkCopy
        guard FileManager.default.fileExists(atPath: benchmark) else { return }  // a lone checkout: the copy is the pin
        #expect(
            FileManager.default.contents(atPath: ReferencePython.generatorScript)
                == FileManager.default.contents(atPath: benchmark),
            "Tests/OrderEventsCoreTests/Reference/gen_events.py differs from \(benchmark): re-copy it and re-check the port")
    }

    @Test("the first lines for seed 42 are pinned")
    func pinnedLines() {
        var generator = OrderEventGenerator()
        let lines = (0..<3).map { _ in String(decoding: generator.next(), as: UTF8.self) }
        #expect(
            lines == [
                #"{"order_id":"ord-000000000","customer_id":"cust-036579","region":"us-west","amount":487.44,"currency":"BRL","items":[{"sku":"SKU-00457","qty":3,"price":162.48}],"status":"shipped","ts":1700000000040}"#,
                #"{"order_id":"ord-000000001","customer_id":"cust-057314","region":"eu-central","amount":21.51,"currency":"INR","items":[{"sku":"SKU-00191","qty":1,"price":21.51}],"status":"cancelled","ts":1700000000045}"#,
                #"{"order_id":"ord-000000002","customer_id":"cust-117757","region":"ap-south","amount":1384.6,"currency":"USD","items":[{"sku":"SKU-00451","qty":5,"price":276.92}],"status":"created","ts":1700000000046}"#,
            ])
        #expect(generator.nextIndex == 3)
    }

    @Test("next, appendLines and write(count:toFileAt:) continue one sequence")
    func entryPointsAgree() throws {
        var byLine = OrderEventGenerator(seed: 9)
        var expected: [UInt8] = []
        for _ in 0..<2_500 { expected += byLine.next() + [UInt8(ascii: "\n")] }

        var inBulk = OrderEventGenerator(seed: 9)
        var bulk: [UInt8] = []
        inBulk.appendLines(count: 1_000, to: &bulk)
        inBulk.appendLines(count: 1_500, to: &bulk)
        #expect(bulk == expected)

        let directory = TemporaryDirectory("order-events-gen")
        let path = directory.path + "/events.jsonl"
        var toFile = OrderEventGenerator(seed: 9)
        try toFile.write(count: 2_500, toFileAt: path, chunkBytes: 4_096)  // many chunks
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == expected)

        try toFile.write(count: 0, toFileAt: path)
        #expect(FileManager.default.contents(atPath: path)?.isEmpty == true)
    }

    /// Where two JSON-lines outputs first part: line number and both lines.
    static func firstDifference(_ actual: [UInt8], _ expected: [UInt8]) -> String {
        let actualLines = actual.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (number, (a, e)) in zip(actualLines, expectedLines).enumerated() where a != e {
            return """
                first difference at line \(number + 1):
                  swift:  \(String(decoding: a, as: UTF8.self))
                  python: \(String(decoding: e, as: UTF8.self))
                """
        }
        return "outputs differ in length: swift \(actualLines.count) lines (\(actual.count) bytes), "
            + "python \(expectedLines.count) lines (\(expected.count) bytes)"
    }
}
