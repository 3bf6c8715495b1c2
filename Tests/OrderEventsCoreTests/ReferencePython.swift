import Foundation
import SluiceTestSupport
import Testing

/// The reference implementation the port is held to: `python3` running `gen_events.py`.
///
/// The script is vendored next to these tests (`Reference/gen_events.py`, a verbatim copy of the
/// benchmark's `../shared/bench/gen_events.py`) so the proof runs on a checkout of this package
/// alone; ``benchmarkCopy`` lets a test catch the two drifting apart. python3 is required: a
/// byte-identity proof that silently skips proves nothing, so a missing interpreter fails.
enum ReferencePython {
    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent() }

    /// The vendored `gen_events.py`.
    static var generatorScript: String { testsDirectory.appendingPathComponent("Reference/gen_events.py").path }

    /// `../shared/bench/gen_events.py` beside the package, where the benchmark lives.
    static var benchmarkCopy: String {
        testsDirectory
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("../shared/bench/gen_events.py").standardized.path
    }

    /// Runs `python3 arguments` (`$SLUICE_TEST_PYTHON` when set) and returns its stdout.
    static func run(_ arguments: [String], timeout: Double = 300) throws -> [UInt8] {
        let result: ChildOutput
        if let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], !python.isEmpty {
            result = try ChildProcess.run(python, arguments, timeout: timeout)
        } else {
            result = try ChildProcess.run("/usr/bin/env", ["python3"] + arguments, timeout: timeout)
        }
        guard result.succeeded else {
            let hint = result.status == 127 ? " (python3 is not on PATH; set SLUICE_TEST_PYTHON)" : ""
            throw ChildProcessError("python3 \(arguments) failed\(hint): \(result)")
        }
        return result.stdoutBytes
    }

    /// What `python3 gen_events.py count OUT seed` writes to OUT.
    static func generatorOutput(count: Int, seed: Int) throws -> [UInt8] {
        let directory = TemporaryDirectory("order-events-gen")
        let output = directory.path + "/events.jsonl"
        _ = try run([generatorScript, String(count), output, String(seed)])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }
}
