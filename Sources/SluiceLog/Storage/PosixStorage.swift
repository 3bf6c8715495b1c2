import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `StorageIO` over POSIX calls: `pread`/`pwrite`, `fdatasync`, `rename`, directory `fsync`.
public struct PosixStorage: StorageIO {
    public init() {}

    public func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let flags: Int32 = mode == .readOnly ? O_RDONLY : (O_RDWR | O_CREAT)
        let fd = path.withCString { systemOpen($0, flags | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw Self.error("open", path) }
        return PosixFile(fd: fd, path: path)
    }

    public func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func createDirectory(_ path: String) throws {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix) {
                if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw Self.error("create directory", prefix) }
            }
            prefix += "/"
        }
    }

    public func contentsOfDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw Self.error("list", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func removeFile(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw Self.error("remove", path) }
    }

    public func removeDirectory(_ path: String) throws {
        guard isDirectory(path) else { return }
        for name in try contentsOfDirectory(path) {
            let child = path + "/" + name
            if isDirectory(child) { try removeDirectory(child) } else { try removeFile(child) }
        }
        if rmdir(path) != 0 && errno != ENOENT { throw Self.error("remove directory", path) }
    }

    public func rename(_ source: String, to destination: String) throws {
        if systemRename(source, destination) != 0 { throw Self.error("rename \(source) to", destination) }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = systemOpen(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        guard fd >= 0 else { throw Self.error("open directory", path) }
        defer { systemClose(fd) }
        if fsync(fd) != 0 { throw Self.error("fsync directory", path) }
    }

    public func acquireExclusiveLock(_ path: String) throws -> any StorageLock {
        let fd = systemOpen(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.error("open lock file", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let failure = Self.error("lock", path)
            systemClose(fd)
            throw failure
        }
        // Record the holder so a refused opener can name it.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return PosixLock(fd: fd)
    }

    static func error(_ operation: String, _ path: String) -> StorageError {
        let code = errno
        return StorageError(operation: operation, path: path, errno: code, reason: String(cString: strerror(code)))
    }
}

/// An open POSIX file descriptor. Immutable after creation; the kernel serialises positional
/// reads and writes, so it is safe to share between threads.
final class PosixFile: StorageFile {
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { systemClose(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw PosixStorage.error("read", path) }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw PosixStorage.error("write", path)
            }
            done += n
        }
    }

    func size() throws -> Int64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PosixStorage.error("stat", path) }
        return Int64(info.st_size)
    }

    func truncate(to size: Int64) throws {
        if ftruncate(fd, off_t(size)) != 0 { throw PosixStorage.error("truncate", path) }
    }

    func sync() throws {
        if fdatasync(fd) != 0 { throw PosixStorage.error("fdatasync", path) }
    }

    func close() {}
}

/// An `flock` held on an open descriptor; closing the descriptor releases it.
final class PosixLock: StorageLock {
    private let fd: Int32
    private let released = Mutex(false)

    init(fd: Int32) { self.fd = fd }

    func release() {
        let first = released.withLock { done in
            defer { done = true }
            return !done
        }
        if first { systemClose(fd) }
    }

    deinit { release() }
}

// Unambiguous names for the C functions that share a name with Swift methods here.
private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
@discardableResult private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRename(_ a: String, _ b: String) -> Int32 { rename(a, b) }
