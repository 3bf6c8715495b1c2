import Foundation
import SluiceLog
import Synchronization

func environment(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name]
}

/// Writes to standard error (progress, summaries, warnings) so standard output stays data.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Opens the data directory, printing whatever recovery had to do.
func openLog(_ options: DataDirectoryOptions, readOnly: Bool) throws -> LogManager {
    let log = try LogManager(directory: options.path, readOnly: readOnly)
    for line in log.recoveryReport { printError("sluice: \(line)") }
    return log
}

/// Parses repeated `key=value` options (`--config`, `--property`).
func parseAssignments(_ values: [String], option: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for value in values {
        guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
            throw LogError(.invalidConfig, "\(option) expects key=value, got '\(value)'")
        }
        out[String(value[..<equals])] = String(value[value.index(after: equals)...])
    }
    return out
}

/// Buffered standard output: one `write` per many records instead of one per line.
final class OutputBuffer {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func append(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }
    func append(_ text: String) { buffer.append(contentsOf: text.utf8) }
    func append(_ byte: UInt8) { buffer.append(byte) }

    func flushIfFull() { if buffer.count >= 1 << 16 { flush() } }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Set by SIGINT/SIGTERM so long-running commands can finish cleanly.
enum Interrupt {
    private static let flag = Atomic<Int>(0)

    static func install() {
        signal(SIGINT) { _ in Interrupt.flag.store(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interrupt.flag.store(1, ordering: .relaxed) }
        // A parent may have started us with these blocked (the mask is inherited); Ctrl-C must
        // still reach the commit-and-leave path.
        var stop = sigset_t()
        sigemptyset(&stop)
        sigaddset(&stop, SIGINT)
        sigaddset(&stop, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stop, nil)
    }

    static var requested: Bool { flag.load(ordering: .relaxed) != 0 }
}

/// Monotonic nanoseconds.
enum DispatchClock {
    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }
}

func sleepMilliseconds(_ ms: Int) {
    usleep(UInt32(ms * 1000))
}
