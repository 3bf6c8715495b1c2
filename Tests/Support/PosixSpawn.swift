import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts child processes with `posix_spawn` directly. Foundation's `Process.run()` on Linux
/// crashed now and then inside a `memmove` (even with spawns serialized), killing the whole test
/// run; this is the little the tests need, with nothing shared between threads.
enum PosixSpawn {
    /// What the child's standard streams are.
    enum Stream {
        /// A file opened for reading (stdin) or created and truncated for writing.
        case file(String)
        /// This descriptor, duplicated (a pipe end).
        case descriptor(Int32)
        case null
    }

    /// Starts `executable` with `arguments` and `environment` (this process's when nil), its
    /// standard streams as given, a clean signal mask and default SIGINT, SIGTERM and SIGPIPE
    /// (test-runner threads block signals, and a child would inherit that).
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String]?, stdin: Stream, stdout: Stream, stderr: Stream
    ) throws -> pid_t {
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, fd, path, fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .descriptor(let source):
                posix_spawn_file_actions_adddup2(&actions, source, fd)
            case .null:
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child = pid_t()
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else { throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(status)))") }
        return child
    }

    /// Waits for `child` to end, up to `timeout` seconds (nil when it is still running then).
    static func wait(_ child: pid_t, timeout: Double) -> ChildExit? {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout) * 1e9)
        var pause: UInt32 = 200
        while true {
            var status: Int32 = 0
            let result = waitpid(child, &status, WNOHANG)
            if result == child {
                let signal = status & 0x7f
                return signal == 0 ? ChildExit(status: (status >> 8) & 0xff, signaled: false) : ChildExit(status: signal, signaled: true)
            }
            if result < 0 && errno != EINTR { return ChildExit(status: -1, signaled: false) }
            if DispatchTime.now().uptimeNanoseconds >= deadline { return nil }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
    }
}

/// How a child process ended: its exit status, or the signal that killed it.
public struct ChildExit: Sendable {
    public var status: Int32
    public var signaled: Bool

    public init(status: Int32, signaled: Bool) {
        self.status = status
        self.signaled = signaled
    }
}

extension ChildProcess {
    /// Starts a child whose stdin is `stdinDescriptor` (a pipe end) and whose stdout and
    /// stderr go to files; call under `serializingSpawns`.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?, stdinDescriptor: Int32, stdoutPath: String,
        stderrPath: String
    ) throws -> Int32 {
        try PosixSpawn.start(
            executable, arguments, environment: environment, stdin: .descriptor(stdinDescriptor), stdout: .file(stdoutPath),
            stderr: .file(stderrPath))
    }

    /// Reaps `pid` once it ends, waiting up to `timeout` seconds (nil if it still runs).
    public static func waitForExit(_ pid: Int32, timeout: Double) -> ChildExit? { PosixSpawn.wait(pid, timeout: timeout) }

    /// Whether `pid` has ended (a zombie, not yet reaped). Does not reap it.
    public static func hasExited(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        #if os(Linux)
        return info._sifields._sigchld.si_pid == pid
        #else
        return info.si_pid == pid
        #endif
    }

    /// Ends `pid`: SIGTERM, then SIGKILL if it is still there 10 s later; reaps it.
    public static func stop(_ pid: Int32) {
        kill(pid, SIGTERM)
        if PosixSpawn.wait(pid, timeout: 10) == nil {
            kill(pid, SIGKILL)
            _ = PosixSpawn.wait(pid, timeout: 10)
        }
    }
}
