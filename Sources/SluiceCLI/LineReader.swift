#if canImport(Glibc)
import Glibc
#endif

/// Reads newline-separated lines from a file descriptor in large chunks and hands each line out
/// as a view into the buffer (no per-line allocation). A trailing `\r` is kept, as Kafka's
/// console producer keeps it.
struct LineReader {
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private(set) var lineNumber = 0

    init(fd: Int32 = 0, capacity: Int = 1 << 20) {
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// Calls `body` for every line until the input ends. Returns early when `body` returns false.
    mutating func forEachLine(_ body: (_ line: UnsafeRawBufferPointer, _ number: Int) throws -> Bool) throws {
        while true {
            // Hand out every complete line in the buffer.
            var stop = false
            try buffer.withUnsafeBytes { raw in
                while let newline = raw[start..<end].firstIndex(of: 0x0a) {
                    lineNumber += 1
                    let line = UnsafeRawBufferPointer(rebasing: raw[start..<newline])
                    start = newline + 1
                    if try !body(line, lineNumber) { stop = true; return }
                }
            }
            if stop { return }
            if eof {
                if start < end {
                    lineNumber += 1
                    let (s, e) = (start, end)
                    start = end
                    let number = lineNumber
                    _ = try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[s..<e]), number) }
                }
                return
            }
            // Move the partial line to the front and read more.
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                }
                end -= start
                start = 0
            }
            if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { end += n }
        }
    }
}

/// A command-line error with a plain message.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
