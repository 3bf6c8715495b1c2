import Foundation
import SluiceTestSupport

/// The reference the `order-events` executable is held to: `python3 pipeline_plain.py FILE`.
///
/// The script is vendored next to these tests (`Reference/pipeline_plain.py`, a verbatim copy of
/// `../shared/bench/pipeline_plain.py`) so the proof runs on a checkout of this package alone;
/// ``benchmarkCopy`` lets a test catch the two drifting apart. python3 is required: a comparison
/// that silently skips proves nothing, so a missing interpreter fails.
enum ReferencePipeline {
    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent() }

    /// The vendored `pipeline_plain.py`.
    static var script: String { testsDirectory.appendingPathComponent("Reference/pipeline_plain.py").path }

    /// `../shared/bench/pipeline_plain.py` beside the package, where the benchmark lives.
    static var benchmarkCopy: String {
        testsDirectory
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("../shared/bench/pipeline_plain.py").standardized.path
    }

    /// The `CHECK` line of `python3 pipeline_plain.py file` (`$SLUICE_TEST_PYTHON` when set).
    static func check(eventsFile file: String) throws -> CheckLine {
        let result: ChildOutput
        if let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], !python.isEmpty {
            result = try ChildProcess.run(python, [script, file])
        } else {
            result = try ChildProcess.run("/usr/bin/env", ["python3", script, file])
        }
        guard result.succeeded else {
            let hint = result.status == 127 ? " (python3 is not on PATH; set SLUICE_TEST_PYTHON)" : ""
            throw ChildProcessError("python3 pipeline_plain.py \(file) failed\(hint): \(result)")
        }
        return try CheckLine(in: result.stdout)
    }
}

/// A `CHECK in=… kept=… …` line, as `pipeline_plain.py` and `order-events` print it.
struct CheckLine: Equatable, CustomStringConvertible {
    var fields: [String: String]
    var description: String

    /// The first line of `output` that starts with `CHECK `.
    init(in output: String) throws {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("CHECK ") }) else {
            throw ChildProcessError("no CHECK line in:\n\(output)")
        }
        description = String(line)
        fields = [:]
        for field in line.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
    }

    subscript(_ name: String) -> String? { fields[name] }
}
