public import SluiceLog
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system with a test's eyes and hands on it: counts the reads, writes and syncs
/// of the files a `StorageObserver` watches, and can hold their `sync()` at a gate. For tests that
/// pin *how* the log is used (how much a fetch reads, whether a step waits for an fsync), not
/// only what comes out.
public struct ObservedStorage: StorageIO {
    public let observer: StorageObserver
    let base = PosixStorage()

    public init(_ observer: StorageObserver) { self.observer = observer }

    public func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        ObservedFile(try base.open(path, mode: mode), path: path, observer: observer)
    }
    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    public func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    public func contentsOfDirectory(_ path: String) throws -> [String] { try base.contentsOfDirectory(path) }
    public func removeFile(_ path: String) throws { try base.removeFile(path) }
    public func removeDirectory(_ path: String) throws { try base.removeDirectory(path) }
    public func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    public func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    public func acquireExclusiveLock(_ path: String) throws -> any StorageLock { try base.acquireExclusiveLock(path) }
}

/// What an `ObservedStorage` watches: reads, writes and syncs of the files `watches` picks.
public final class StorageObserver: Sendable {
    private struct State {
        var bytesRead = 0
        var writes = 0
        var syncs = 0
        var gateClosed = false
        var syncsWaiting = 0
        var holdFirstSyncUntilWrites = 0
        var failSyncs = false
    }

    private let watches: @Sendable (String) -> Bool
    private let state = Mutex(State())

    public init(watching watches: @escaping @Sendable (String) -> Bool) { self.watches = watches }
    public convenience init(pathContains text: String) { self.init { $0.contains(text) } }

    /// Bytes read so far from the watched files.
    public var bytesRead: Int { state.withLock { $0.bytesRead } }
    /// Writes to the watched files so far.
    public var writes: Int { state.withLock { $0.writes } }
    /// Syncs of the watched files begun so far.
    public var syncs: Int { state.withLock { $0.syncs } }
    /// Holds every sync of a watched file from now on, until `openGate()`.
    public func closeGate() { state.withLock { $0.gateClosed = true } }
    public func openGate() { state.withLock { $0.gateClosed = false } }
    /// From now on every sync of a watched file fails (EIO), as a disk that lost the writes.
    public func failSyncs() { state.withLock { $0.failSyncs = true } }

    /// Syncs held at the gate right now.
    public var syncsWaiting: Int { state.withLock { $0.syncsWaiting } }
    /// Counts writes and syncs afresh from now on, and holds the first sync of a watched file
    /// until that many writes to them have landed, so a test knows which writes were waiting
    /// while it ran.
    public func holdFirstSync(untilWrites count: Int) {
        state.withLock { s in
            s.writes = 0
            s.syncs = 0
            s.holdFirstSyncUntilWrites = count
        }
    }

    func read(_ count: Int, from path: String) {
        guard watches(path) else { return }
        state.withLock { $0.bytesRead += count }
    }

    func wrote(_ path: String) {
        guard watches(path) else { return }
        state.withLock { $0.writes += 1 }
    }

    /// Returns once the sync may run (at once for a file not watched).
    /// - Throws: when `failSyncs()` was called.
    func passSync(of path: String) throws {
        guard watches(path) else { return }
        if state.withLock({ $0.failSyncs }) { throw StorageFailure(path: path) }
        let (first, target) = state.withLock { s in
            s.syncs += 1
            return (s.syncs == 1, s.holdFirstSyncUntilWrites)
        }
        if first {
            while writes < target { usleep(200) }
        }
        var counted = false
        while state.withLock({ s in
            if s.gateClosed && !counted { s.syncsWaiting += 1 }
            if !s.gateClosed && counted { s.syncsWaiting -= 1 }
            return s.gateClosed
        }) {
            counted = true
            usleep(1_000)
        }
    }
}

final class ObservedFile: StorageFile {
    let file: any StorageFile
    let path: String
    let observer: StorageObserver

    init(_ file: any StorageFile, path: String, observer: StorageObserver) {
        self.file = file
        self.path = path
        self.observer = observer
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        let count = try file.read(into: buffer, at: offset)
        observer.read(count, from: path)
        return count
    }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try file.write(bytes, at: offset)
        observer.wrote(path)
    }
    func size() throws -> Int64 { try file.size() }
    func truncate(to size: Int64) throws { try file.truncate(to: size) }
    func sync() throws {
        try observer.passSync(of: path)
        try file.sync()
    }
    func close() { file.close() }
}

/// The error of a sync `StorageObserver.failSyncs()` made fail.
public struct StorageFailure: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "fsync of \(path) failed (EIO, injected)" }
}
