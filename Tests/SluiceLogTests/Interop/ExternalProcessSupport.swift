import SluiceTestSupport
import Foundation
import Testing

extension ChildProcess {

    /// The environment of this process without `SLUICE_DATA_DIR` (tests pass `--data-dir`).
    static var cleanEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_DATA_DIR"] = nil
        return environment
    }
}

/// A child that keeps running while the test does other things: its stdin is a pipe the test
/// writes to and closes.
final class BackgroundChild {
    let pid: Int32
    private let executable: String
    private let stdinWriter: FileHandle
    private let scratch = TemporaryDirectory("sluice-child")
    private var exit: ChildExit?

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        self.executable = executable
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ChildProcessError("pipe: \(String(cString: strerror(errno)))") }
        // Close-on-exec, so no other child holds the pipe open (the child gets a copy as stdin).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        defer { close(fds[0]) }
        let output = scratch.path
        do {
            pid = try ChildProcess.serializingSpawns {
                try ChildProcess.spawn(
                    executable, arguments, environment: environment, stdinDescriptor: fds[0], stdoutPath: output + "/stdout",
                    stderrPath: output + "/stderr")
            }
        } catch {
            close(fds[1])
            throw error
        }
        stdinWriter = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
    }

    func write(_ text: String) throws {
        try stdinWriter.write(contentsOf: Data(text.utf8))
    }

    /// Whether the child has not exited yet (`kill(pid, 0)` succeeds until it is reaped).
    var isRunning: Bool { exit == nil && kill(pid, 0) == 0 && !ChildProcess.hasExited(pid) }

    /// Closes stdin and waits for the child to exit (killing it after `timeout`).
    func finish(timeout: Double = 60) throws -> ChildOutput {
        try? stdinWriter.close()
        guard let exit = ChildProcess.waitForExit(pid, timeout: timeout) else {
            ChildProcess.stop(pid)
            self.exit = ChildExit(status: -1, signaled: true)
            throw ChildProcessError("\(executable) did not exit within \(timeout) s after its stdin closed")
        }
        self.exit = exit
        return ChildOutput(
            status: exit.status, signaled: exit.signaled,
            stdoutBytes: [UInt8](FileManager.default.contents(atPath: scratch.path + "/stdout") ?? Data()),
            stderrBytes: [UInt8](FileManager.default.contents(atPath: scratch.path + "/stderr") ?? Data()))
    }

    deinit {
        if exit == nil { ChildProcess.stop(pid) }
    }
}

// MARK: - python3 with kafka-python

enum KafkaPython {
    /// `python3` from PATH (the interpreter CI installs kafka-python into), or `$SLUICE_TEST_PYTHON`.
    static func run(_ arguments: [String], stdin: [UInt8] = [], timeout: Double = 120) throws -> ChildOutput {
        if let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], !python.isEmpty {
            return try ChildProcess.run(python, arguments, stdin: stdin, timeout: timeout)
        }
        return try ChildProcess.run("/usr/bin/env", ["python3"] + arguments, stdin: stdin, timeout: timeout)
    }

    /// The installed kafka-python version, or an error saying exactly what is missing. These
    /// tests FAIL without it (a silently skipped third-party proof proves nothing).
    static let availability: Result<String, ChildProcessError> = {
        let probe = """
            import sys
            try:
                import kafka, kafka.codec, kafka.record
                from kafka.record.default_records import DefaultRecordBatchBuilder
            except ImportError as e:
                print("kafka-python is not installed: %s" % e); sys.exit(3)
            if not kafka.codec.has_zstd():
                print("kafka-python %s is installed but cannot (de)compress zstd: the `zstandard` module is missing" % kafka.__version__); sys.exit(4)
            print(kafka.__version__)
            """
        do {
            let result = try run(["-c", probe], timeout: 60)
            if result.succeeded { return .success(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if result.status == 127 {
                return .failure(ChildProcessError("python3 is not on PATH (set SLUICE_TEST_PYTHON to an interpreter with kafka-python)"))
            }
            return .failure(ChildProcessError(result.stdout + result.stderr))
        } catch {
            return .failure(ChildProcessError("cannot run python3: \(error)"))
        }
    }()

    /// Fails the calling test with install instructions when kafka-python is not usable.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws {
        if case .failure(let error) = availability {
            Issue.record(
                """
                kafka-python (with zstd) is required for the third-party format proof and is not usable here: \(error.description.trimmingCharacters(in: .whitespacesAndNewlines))
                Install it: python3 -m pip install 'kafka-python[zstd]==3.0.12'  (that is kafka-python plus zstandard)
                """, sourceLocation: sourceLocation)
            throw error
        }
    }

    /// `Tests/SluiceLogTests/Interop/verify_segments.py`, found next to this source file.
    static var verifierScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("verify_segments.py").path
    }
}

// MARK: - Directory snapshots

/// Runs `body` and records an issue if anything under `root` was created, removed or changed.
@discardableResult
func expectUnchanged<R>(
    _ root: String, ignoringContentsOf ignored: Set<String> = [], _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) rethrows -> R {
    let before = DirectorySnapshot(root, ignoringContentsOf: ignored)
    let result = try body()
    let after = DirectorySnapshot(root, ignoringContentsOf: ignored)
    let changes = before.differences(to: after)
    #expect(changes.isEmpty, "\(what()) changed the data directory: \(changes.joined(separator: "; "))", sourceLocation: sourceLocation)
    return result
}

// MARK: - Bytes

func hexEncoded(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

