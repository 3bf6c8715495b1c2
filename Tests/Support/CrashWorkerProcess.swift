import Foundation

#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// The `SluiceTestWorker` executable (target in Tests/Workers) that crash tests run as a child.
public enum CrashTestWorker {
    public static let name = "SluiceTestWorker"

    /// `$SLUICE_TEST_WORKER`, or `SluiceTestWorker` in the build products directory the tests
    /// run from (see `BuiltProduct.locate`).
    static let located: Result<String, CrashWorkerError> =
        BuiltProduct.locate(name, environmentVariable: "SLUICE_TEST_WORKER").mapError { CrashWorkerError($0.description) }

    /// The worker's path, or an error saying where it was looked for.
    public static func path() throws -> String { try located.get() }
}

public struct CrashWorkerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A worker child started with `posix_spawn`: stdout is a pipe the parent reads line by line
/// while the child runs (so the child never blocks on a full pipe), stderr goes to a file, stdin
/// is /dev/null. Meant to be killed: `kill(SIGKILL)`, then `wait()`, then `drain()` collects
/// every line the child wrote before it died.
///
/// Single-threaded use only (one test drives it).
public final class CrashWorkerProcess {
    public enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    public let pid: pid_t
    public let standardErrorPath: String
    private let output: Int32
    private var pending: [UInt8] = []
    private var endOfOutput = false
    /// Complete lines read so far, without their newline.
    public private(set) var lines: [String] = []
    public private(set) var termination: Termination?

    /// Starts `executable` with `arguments` and the test process's environment.
    public init(executable: String, arguments: [String], standardErrorPath: String) throws {
        // Close-on-exec, so other children cannot hold the pipe open. (Another test's child
        // spawned between pipe() and fcntl() could still inherit it; that only delays seeing an
        // early exit until the kill deadline, since nothing here waits for end of file.)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw CrashWorkerError("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let child: pid_t
        do {
            child = try PosixSpawn.start(
                executable, arguments, environment: nil, stdin: .null, stdout: .descriptor(fds[1]), stderr: .file(standardErrorPath))
        } catch {
            close(fds[0])
            close(fds[1])
            throw CrashWorkerError("\(error)")
        }
        close(fds[1])
        pid = child
        output = fds[0]
        self.standardErrorPath = standardErrorPath
    }

    deinit {
        if termination == nil {
            _ = systemKill(pid, SIGKILL)
            _ = wait()
        }
        close(output)
    }

    /// Reads output until `deadline` (`DispatchTime.now().uptimeNanoseconds` scale) or until the
    /// child closes its stdout (it exited).
    /// - Returns: false when the child's output ended before the deadline.
    @discardableResult
    public func readLines(until deadline: UInt64) -> Bool {
        while !endOfOutput {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return true }
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let waitMs = Int32(min((deadline - now + 999_999) / 1_000_000, 1000))
            let ready = poll(&poller, 1, waitMs)
            if ready < 0 && errno != EINTR { break }
            if ready > 0 { readAvailable() }
        }
        return false
    }

    /// Sends `signal` to the child (SIGKILL unless told otherwise).
    public func kill(_ signal: Int32 = SIGKILL) {
        _ = systemKill(pid, signal)
    }

    /// Reaps the child (blocking until it is gone).
    @discardableResult
    public func wait() -> Termination {
        if let termination { return termination }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        let result: Termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        termination = result
        return result
    }

    /// After `wait()`: reads everything the dead child left in the pipe. A last line without its
    /// newline (impossible with one write(2) per line, which a kill cannot cut) is returned.
    public func drain() -> String? {
        precondition(termination != nil, "drain() reads what a finished child wrote; wait() first")
        let flags = fcntl(output, F_GETFL)
        _ = fcntl(output, F_SETFL, flags | O_NONBLOCK)
        while !endOfOutput {
            if !readAvailable() { break }
        }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }

    /// What the child wrote to stderr (the file), for failure reports.
    public var standardError: String {
        (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? ""
    }

    /// One read(2). - Returns: whether it read anything.
    @discardableResult
    private func readAvailable() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var count = 0
        repeat {
            count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        } while count < 0 && errno == EINTR
        if count == 0 {
            endOfOutput = true
            return false
        }
        guard count > 0 else { return false }  // EAGAIN: nothing more for now
        pending.append(contentsOf: buffer[0..<count])
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        return true
    }
}

private func systemKill(_ pid: pid_t, _ signal: Int32) -> Int32 { kill(pid, signal) }
