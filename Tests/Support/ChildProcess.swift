import Foundation
import Synchronization

/// Serializes spawns: swift-corelibs-foundation's `Process.run()` is not safe to call from
/// several threads at once (parallel test cases crashed in a `memmove` inside it), and children
/// started meanwhile with `posix_spawn` would inherit descriptors it had open.
private let spawnLock = Mutex<Void>(())

/// What a finished child process left behind.
public struct ChildOutput: Sendable, CustomStringConvertible {
    public var status: Int32
    public var signaled: Bool
    public var stdoutBytes: [UInt8]
    public var stderrBytes: [UInt8]

    public init(status: Int32, signaled: Bool, stdoutBytes: [UInt8], stderrBytes: [UInt8]) {
        self.status = status
        self.signaled = signaled
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
    }

    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
    public var succeeded: Bool { status == 0 && !signaled }

    public var description: String {
        "\(signaled ? "killed by signal" : "exit status") \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs other programs (python3, the `sluice` binary) with files for stdin/stdout/stderr, so a
/// chatty child can never fill a pipe and deadlock, and with a timeout, so a hung child fails the
/// test instead of hanging the suite.
public enum ChildProcess {
    /// Runs `spawn` (a `Process.run()`) while no other thread of the test process spawns
    /// (see `spawnLock`).
    public static func serializingSpawns<T>(_ spawn: () throws -> T) throws -> T {
        try spawnLock.withLock { _ in try spawn() }
    }

    public static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil,
        timeout: Double = 120
    ) throws -> ChildOutput {
        let scratch = TemporaryDirectory("sluice-child")
        defer { withExtendedLifetime(scratch) {} }
        let inPath = scratch.path + "/stdin"
        let outPath = scratch.path + "/stdout"
        let errPath = scratch.path + "/stderr"
        guard FileManager.default.createFile(atPath: inPath, contents: Data(stdin)) else {
            throw ChildProcessError("cannot write the stdin file of \(executable) at \(inPath)")
        }
        let child = try serializingSpawns {
            try PosixSpawn.start(executable, arguments, environment: environment, stdin: .file(inPath), stdout: .file(outPath), stderr: .file(errPath))
        }
        guard let exit = PosixSpawn.wait(child, timeout: timeout) else {
            stop(child)
            let soFar = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw ChildProcessError("\(executable) \(arguments) did not finish within \(timeout) s; stderr so far:\n\(soFar)")
        }
        return ChildOutput(
            status: exit.status, signaled: exit.signaled,
            stdoutBytes: [UInt8](FileManager.default.contents(atPath: outPath) ?? Data()),
            stderrBytes: [UInt8](FileManager.default.contents(atPath: errPath) ?? Data()))
    }
}
