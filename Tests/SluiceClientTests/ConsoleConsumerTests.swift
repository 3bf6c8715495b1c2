import Dispatch
import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
import SluiceTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sluice consume --group` as a user runs it: the real binary, stopped with Ctrl-C (SIGINT).
@Suite("sluice consume --group")
struct ConsoleConsumerTests {
    @Test func ctrlCCommitsWhatWasPrintedAndLeavesTheGroup() throws {
        let sluice = try SluiceBinary.path()
        let root = TemporaryDirectory("sluice-console")
        let data = root.path + "/data"
        do {
            let log = try LogManager(directory: data)
            _ = try log.createTopic("orders", partitions: 2)
            for p in 0..<Int32(2) {
                _ = try log.partition("orders", p).append(records: (0..<15).map { Record(value: Array("p\(p)-\($0)".utf8), timestamp: 1) })
            }
            try log.close()
        }
        let child = try CrashWorkerProcess(
            executable: sluice, arguments: ["consume", "--data-dir", data, "--topic", "orders", "--group", "g", "--from-beginning"],
            standardErrorPath: root.path + "/stderr")
        let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
        while child.lines.count < 30 && DispatchTime.now().uptimeNanoseconds < deadline {
            guard child.readLines(until: DispatchTime.now().uptimeNanoseconds + 50_000_000) else { break }
        }
        #expect(Set(child.lines).count == 30, "printed \(child.lines.count) lines")
        child.kill(SIGINT)
        #expect(child.wait() == .exited(0), "\(child.standardError)")
        #expect(child.standardError.contains("Processed a total of 30 messages"))

        let log = try LogManager(directory: data, readOnly: true)
        let store = try OffsetStore(log: log)
        #expect(store.committedOffsets(group: "g").mapValues(\.offset) == [TopicPartition("orders", 0): 15, TopicPartition("orders", 1): 15])
        try log.close()

        // The group resumes after its commits: nothing left to print.
        let again = try ChildProcess.run(sluice, ["consume", "--data-dir", data, "--topic", "orders", "--group", "g", "--timeout-ms", "300"])
        #expect(again.succeeded && again.stdout.isEmpty, "\(again)")
    }
}
