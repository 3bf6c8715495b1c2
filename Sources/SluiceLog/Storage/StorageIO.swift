/// The file-system operations the log uses, and nothing else. Production uses `PosixStorage`;
/// tests swap in a fault-injecting implementation that models power loss (unsynced writes
/// dropped or torn), failed fsyncs and full disks. Keeping the surface this small is what makes
/// that model tractable.
///
/// Durability contract the log relies on (and the fault model checks): data written with
/// `write` survives a process crash at once, and a power loss only after `sync()` on that file;
/// a new, renamed or deleted directory entry survives a power loss only after `syncDirectory`.
public protocol StorageIO: Sendable {
    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile
    func exists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    /// Creates the directory and any missing parents.
    func createDirectory(_ path: String) throws
    /// Names (not paths) of the entries in a directory.
    func contentsOfDirectory(_ path: String) throws -> [String]
    func removeFile(_ path: String) throws
    /// Removes a directory and everything in it.
    func removeDirectory(_ path: String) throws
    /// Atomically replaces `destination` with `source`.
    func rename(_ source: String, to destination: String) throws
    /// Makes the directory's entries (creations, renames, deletions) durable.
    func syncDirectory(_ path: String) throws
    /// Takes an exclusive, non-blocking lock on `path` (created if missing) that lasts until the
    /// returned object is released or the process dies. Throws `StorageError` with EWOULDBLOCK
    /// when another process holds it.
    func acquireExclusiveLock(_ path: String) throws -> any StorageLock
}

/// A held lock; `release()` (or process exit) frees it.
public protocol StorageLock: AnyObject, Sendable {
    func release()
}

public enum FileOpenMode: Sendable {
    case readOnly
    /// Read and write; creates the file when missing.
    case readWrite
}

/// An open file addressed by absolute position (`pread`/`pwrite` style), so readers and the
/// writer never share a file cursor.
public protocol StorageFile: AnyObject, Sendable {
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (0 at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    /// Writes all of `bytes` at `offset`, or throws (a short write is an error).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws
    func size() throws -> Int64
    func truncate(to size: Int64) throws
    /// Makes every write so far durable (`fdatasync`).
    func sync() throws
    func close()
}

extension StorageFile {
    /// Reads exactly `count` bytes at `offset` (fewer only at the end of the file).
    /// The array is not cleared first: a fetch reads hundreds of kilobytes this way, and only
    /// the bytes the file gave are ever counted as its contents.
    public func read(count: Int, at offset: Int64) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: max(count, 0)) { buffer, filled in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            while filled < count {
                let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), at: offset + Int64(filled))
                if n == 0 { break }
                filled += n
            }
        }
    }

    /// Like `read(count:at:)`, reusing `buffer`'s storage (for scans that read many chunks).
    public func read(into buffer: inout [UInt8], count: Int, at offset: Int64) throws {
        if buffer.count > count { buffer.removeLast(buffer.count - count) } else { buffer.appendZeros(count - buffer.count) }
        var filled = 0
        try buffer.withUnsafeMutableBytes { raw in
            while filled < count {
                let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), at: offset + Int64(filled))
                if n == 0 { break }
                filled += n
            }
        }
        if filled < count { buffer.removeSubrange(filled...) }
    }

    public func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    public func readAll() throws -> [UInt8] {
        try read(count: Int(size()), at: 0)
    }
}

/// A storage error with the path and the operating system's reason.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let errno: Int32
    public let reason: String

    public init(operation: String, path: String, errno: Int32, reason: String) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.reason = reason
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}
