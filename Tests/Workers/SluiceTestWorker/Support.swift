// Pieces every worker subcommand uses: unbuffered line output, option parsing, a seeded RNG.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines to the parent. Each line is one write(2) call, so lines from different threads never
/// interleave (on a pipe, writes up to PIPE_BUF = 4096 bytes are atomic) and nothing sits in a
/// user-space buffer when the process is killed.
enum Output {
    static func line(_ text: String) {
        precondition(!text.contains("\n") && text.utf8.count < 4000, "output lines are single, short lines")
        write(fd: 1, Array((text + "\n").utf8))
    }

    static func standardError(_ text: String) {
        write(fd: 2, Array(text.utf8))
    }

    /// Reports a failure to the parent and exits with status 3.
    static func fail(_ message: String) -> Never {
        let flat = message.split(whereSeparator: \.isNewline).joined(separator: " | ")
        line("error " + String(flat.prefix(3000)))
        standardError("SluiceTestWorker: \(message)\n")
        exit(3)
    }

    private static func write(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    exit(4)  // the parent is gone (EPIPE when SIGPIPE is ignored): nobody to report to
                }
                done += n
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

struct UsageError: Error {
    var message: String
}

/// `--name value` options; every option takes exactly one value and may repeat.
struct Options {
    private var values: [String: [String]] = [:]
    private var known: Set<String>

    init(_ arguments: [String], known: Set<String>) throws {
        self.known = known
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else { throw UsageError(message: "unexpected argument '\(argument)'") }
            let name = String(argument.dropFirst(2))
            guard known.contains(name) else {
                throw UsageError(message: "unknown option --\(name); known: \(known.sorted().map { "--" + $0 }.joined(separator: " "))")
            }
            guard index + 1 < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
            values[name, default: []].append(arguments[index + 1])
            index += 2
        }
    }

    func string(_ name: String) throws -> String {
        precondition(known.contains(name))
        guard let value = values[name]?.last else { throw UsageError(message: "--\(name) is required") }
        return value
    }

    func string(_ name: String, default fallback: String) -> String {
        precondition(known.contains(name))
        return values[name]?.last ?? fallback
    }

    func all(_ name: String) -> [String] {
        precondition(known.contains(name))
        return values[name] ?? []
    }

    func int(_ name: String, default fallback: Int? = nil) throws -> Int {
        guard let text = values[name]?.last else {
            if let fallback { return fallback }
            throw UsageError(message: "--\(name) is required")
        }
        guard let value = Int(text) else { throw UsageError(message: "--\(name) must be an integer, got '\(text)'") }
        return value
    }

    func uint64(_ name: String, default fallback: UInt64) throws -> UInt64 {
        guard let text = values[name]?.last else { return fallback }
        guard let value = UInt64(text) else { throw UsageError(message: "--\(name) must be an unsigned integer, got '\(text)'") }
        return value
    }
}


func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
