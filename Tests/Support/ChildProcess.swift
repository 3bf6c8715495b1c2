import Foundation
import Synchronization

/// Serializes `Process.run()`: swift-corelibs-foundation's spawn is not safe to call from
/// several threads at once (parallel test cases crashed in a `memmove` inside it).
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
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("sluice-child-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        let inPath = scratch + "/stdin"
        let outPath = scratch + "/stdout"
        let errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? input.close()
            try? output.close()
            try? errors.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try serializingSpawns { try process.run() }
        } catch {
            throw ChildProcessError("cannot start \(executable): \(error)")
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = finished.wait(timeout: .now() + 10)
            let soFar = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw ChildProcessError("\(executable) \(arguments) did not finish within \(timeout) s; stderr so far:\n\(soFar)")
        }
        process.waitUntilExit()
        return ChildOutput(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            stdoutBytes: [UInt8](FileManager.default.contents(atPath: outPath) ?? Data()),
            stderrBytes: [UInt8](FileManager.default.contents(atPath: errPath) ?? Data()))
    }
}
