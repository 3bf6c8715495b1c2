import SluiceTestSupport
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import SluiceLog


/// An in-memory `StorageIO` that models what a power loss can leave behind, in the manner of
/// SQLite's crash VFS (`test6.c`) and TigerBeetle's simulated storage.
///
/// Every file has two planes: the **durable** bytes and the list of **pending** (unsynced) writes
/// and truncates on top of them; the process sees durable + pending (`visible`, kept up to date).
/// `sync()` promotes a file's pending operations. Directory entries work the same way (the ALICE
/// rule): creating, renaming or removing a name is visible at once but durable only after
/// `syncDirectory` of the parent, so every directory keeps a durable and a visible name table and
/// the unsynced directory operations wait in one global, ordered list.
///
/// Files and directories are inodes, so an open handle keeps working on an unlinked or renamed
/// file, and a directory removed and created again is a new directory.
///
/// Faults: `powerLoss(seed:)` builds the post-crash disk (F2–F5); `fsyncLies` (F6); a failed Nth
/// `sync()` with fsyncgate semantics (F7); a failed or short Nth `write()` (F8); EIO on chosen read
/// ranges (F14); and a crash plan that kills the "process" at the Nth operation of chosen kinds
/// (every later operation fails, as if the process were gone).
final class FaultyStorage: StorageIO {
    /// The kinds of operation a crash plan or a counter can select.
    enum Operation: String, Hashable, Sendable, CaseIterable {
        case write, truncate, sync
        /// A new directory entry: `open(.readWrite)` of a missing file, `createDirectory`, a lock file.
        case create
        case rename, remove
        case syncDirectory

        static let mutations = Set(Operation.allCases)
        static let directoryOperations: Set<Operation> = [.create, .rename, .remove, .syncDirectory]
    }

    /// Kill the process at the `at`-th (1-based) operation whose kind is in `kinds`, before the
    /// operation takes effect or right after it.
    struct CrashPlan: Sendable {
        var at: Int
        var kinds: Set<Operation>
        var afterOperation: Bool
    }

    enum WriteFailure: String, Sendable, CaseIterable {
        /// ENOSPC, nothing written.
        case noSpace
        /// EIO, nothing written.
        case ioError
        /// Part of the bytes written, then ENOSPC (what `pwrite` returning short and then failing leaves).
        case shortWrite
    }

    struct WriteFault: Sendable {
        /// 1-based index among writes whose path contains `pathContains` (all writes when nil).
        var nth: Int
        var failure: WriteFailure
        var pathContains: String? = nil
        /// Keep failing every later matching write (a full disk) until the faults are cleared.
        var persistent = false
    }

    struct SyncFault: Sendable {
        /// 1-based index among `sync()` calls on files whose path contains `pathContains`.
        var nth: Int
        var pathContains: String? = nil
        /// Later syncs fail too. Otherwise they succeed (Linux after a writeback error: the pages
        /// were marked clean, so the data covered by the failed fsync is silently never written).
        var persistent = false
    }

    struct ReadFault: Sendable {
        var pathSuffix: String
        var range: Range<Int64>
    }

    /// What survives of a file's unsynced operations.
    enum FileFate: String, Sendable, CaseIterable {
        /// F2: every unsynced write and truncate is lost.
        case dropUnsynced
        /// F3: a prefix of the unsynced operations survives, the next write torn at a random byte,
        /// 512-byte or 4096-byte boundary.
        case tornWrite
        /// F4: a prefix survives and the file then extends past it with zeros, random bytes or a
        /// copy of an earlier batch of the same file (inode size ahead of data).
        case garbageTail
        /// F5: an earlier unsynced write is lost while a later one survives; the gap reads as zeros.
        case reorderWrites
        /// Everything the process wrote survived (the kernel wrote it back in time).
        case keepAll
        /// Each file draws one of the above.
        case mixed
    }

    /// What survives of the unsynced directory operations.
    enum DirectoryFate: String, Sendable, CaseIterable {
        case dropUnsynced
        /// A prefix of the global order survives (a journaling file system commits metadata in order).
        case orderedPrefix
        case keepAll
        /// Any subset survives (ALICE: file systems that reorder directory operations).
        case anySubset
    }

    // MARK: Model

    fileprivate enum FileOp {
        case write(offset: Int, bytes: [UInt8])
        case truncate(Int)
    }

    fileprivate struct FileNode {
        var durable: [UInt8] = []
        var visible: [UInt8] = []
        var pending: [FileOp] = []
    }

    fileprivate struct DirectoryNode {
        var visible: [String: Int] = [:]
        var durable: [String: Int] = [:]
    }

    fileprivate enum Node {
        case file(FileNode)
        case directory(DirectoryNode)
    }

    fileprivate struct DirectoryOp {
        var directory: Int
        var changes: [(name: String, target: Int?)]
    }

    fileprivate struct Model {
        var nodes: [Int: Node] = [0: .directory(DirectoryNode())]
        var nextID = 1
        var pendingDirectoryOps: [DirectoryOp] = []
        var generation = 0
        var locks: Set<Int> = []

        var crashPlan: CrashPlan?
        var crashCounter = 0
        var crashedAt: String?
        var writeFault: WriteFault?
        var writeCounter = 0
        var syncFault: SyncFault?
        var syncCounter = 0
        var readFaults: [ReadFault] = []
        var fsyncLies = false
        var directorySyncLies = false

        var counts: [Operation: Int] = [:]
        var injected: [String] = []
        /// Paths whose fsync failed, with the operations it dropped from durability.
        var failedSyncs: [String] = []

        /// A new incarnation of the machine: no locks, no crash in progress, no faults armed.
        mutating func startNewGeneration() {
            generation += 1
            locks.removeAll()
            crashedAt = nil
            crashPlan = nil
            writeFault = nil
            syncFault = nil
            readFaults = []
            fsyncLies = false
            directorySyncLies = false
        }
    }

    private let state: Mutex<Model>

    /// - Parameter durableDirectories: directories that exist (durably) before the test starts.
    init(durableDirectories: [String] = ["/data"]) {
        var model = Model()
        for path in durableDirectories {
            var parent = 0
            for name in Self.components(path) {
                if let existing = model.directory(parent)?.visible[name] {
                    parent = existing
                    continue
                }
                let id = model.nextID
                model.nextID += 1
                model.nodes[id] = .directory(DirectoryNode())
                model.mutateDirectory(parent) { directory in
                    directory.visible[name] = id
                    directory.durable[name] = id
                }
                parent = id
            }
        }
        state = Mutex(model)
    }

    private init(model: Model) {
        state = Mutex(model)
    }

    // MARK: Fault control

    /// Arms a crash plan; counting starts now.
    func armCrash(_ plan: CrashPlan?) {
        state.withLock { model in
            model.crashPlan = plan
            model.crashCounter = 0
        }
    }

    func setWriteFault(_ fault: WriteFault?) {
        state.withLock { model in
            model.writeFault = fault
            model.writeCounter = 0
        }
    }

    func setSyncFault(_ fault: SyncFault?) {
        state.withLock { model in
            model.syncFault = fault
            model.syncCounter = 0
        }
    }

    func setReadFaults(_ faults: [ReadFault]) {
        state.withLock { $0.readFaults = faults }
    }

    /// F6: `sync()` (and, with `directories`, `syncDirectory`) report success and do nothing.
    func setFsyncLies(_ lies: Bool, directories: Bool = false) {
        state.withLock { model in
            model.fsyncLies = lies
            model.directorySyncLies = lies && directories
        }
    }

    func clearFaults() {
        state.withLock { model in
            model.crashPlan = nil
            model.writeFault = nil
            model.syncFault = nil
            model.readFaults = []
            model.fsyncLies = false
            model.directorySyncLies = false
        }
    }

    /// Where the simulated process died, or nil while it lives.
    var crashedAt: String? { state.withLock { $0.crashedAt } }
    var hasCrashed: Bool { crashedAt != nil }
    /// Faults injected so far (write and sync failures), for failure messages.
    var injectedFaults: [String] { state.withLock { $0.injected } }
    var failedSyncPaths: [String] { state.withLock { $0.failedSyncs } }

    func count(of kinds: Set<Operation>) -> Int {
        state.withLock { model in kinds.reduce(0) { $0 + (model.counts[$1] ?? 0) } }
    }

    // MARK: Crashes

    /// The process died without a power loss: open handles and locks die with it, the page cache
    /// (every write) survives. Armed faults stay armed; the crash flag is cleared.
    func processCrash() {
        state.withLock { model in
            model.generation += 1
            model.locks.removeAll()
            model.crashedAt = nil
        }
    }

    /// Builds the disk a power loss leaves behind and makes it the whole state: what the process
    /// wrote but did not make durable is dropped, torn, padded with garbage or reordered according
    /// to the fates (drawn from `seed` when nil). Handles, locks and faults are reset.
    /// - Returns: a description of the choices, for failure messages.
    @discardableResult
    func powerLoss(seed: UInt64, file: FileFate? = nil, directory: DirectoryFate? = nil) -> String {
        var rng = SplitMix64(seed: seed)
        let fileFate = file ?? rng.pick([.dropUnsynced, .tornWrite, .garbageTail, .reorderWrites, .mixed, .dropUnsynced, .tornWrite])
        let directoryFate = directory ?? rng.pick([.dropUnsynced, .orderedPrefix, .keepAll])
        return state.withLock { model in
            var notes: [String] = ["files: \(fileFate.rawValue)", "directories: \(directoryFate.rawValue)"]
            // Directories first: which names survive.
            let ops = model.pendingDirectoryOps
            var keep = [Bool](repeating: false, count: ops.count)
            switch directoryFate {
            case .dropUnsynced: break
            case .keepAll: keep = keep.map { _ in true }
            case .orderedPrefix:
                let k = ops.isEmpty ? 0 : rng.int(0...ops.count)
                for i in 0..<k { keep[i] = true }
                notes.append("kept \(k) of \(ops.count) directory operations")
            case .anySubset:
                for i in keep.indices { keep[i] = rng.chance(0.5) }
                notes.append("kept directory operations \(keep.enumerated().filter { $0.element }.map(\.offset)) of \(ops.count)")
            }
            for (i, op) in ops.enumerated() where keep[i] {
                model.mutateDirectory(op.directory) { directory in
                    for change in op.changes { directory.durable[change.name] = change.target }
                }
            }
            for (id, node) in model.nodes {
                if case .directory(var directory) = node {
                    directory.visible = directory.durable
                    model.nodes[id] = .directory(directory)
                }
            }
            model.pendingDirectoryOps.removeAll()
            // Then the bytes of each file.
            for id in model.nodes.keys.sorted() {
                guard case .file(var file) = model.nodes[id] else { continue }
                if !file.pending.isEmpty {
                    var fate = fileFate
                    if fate == .mixed { fate = rng.pick([.dropUnsynced, .tornWrite, .garbageTail, .reorderWrites, .keepAll]) }
                    file.durable = Self.survivor(of: file, fate: fate, rng: &rng)
                    file.pending.removeAll()
                }
                // Also drops what a failed fsync left only in the page cache.
                file.visible = file.durable
                model.nodes[id] = .file(file)
            }
            model.collectGarbage()
            model.startNewGeneration()
            return notes.joined(separator: ", ")
        }
    }

    private static func survivor(of file: FileNode, fate: FileFate, rng: inout SplitMix64) -> [UInt8] {
        var out = file.durable
        let ops = file.pending
        switch fate {
        case .dropUnsynced, .mixed:
            return out
        case .keepAll:
            for op in ops { apply(op, to: &out) }
            return out
        case .tornWrite:
            // Either everything but the last write, which is torn; or a random prefix, then a tear.
            let lastWrite = ops.lastIndex { if case .write = $0 { true } else { false } }
            let tearAt = rng.chance(0.5) ? (lastWrite ?? ops.count - 1) : rng.int(0...(ops.count - 1))
            for op in ops[..<tearAt] { apply(op, to: &out) }
            if case .write(let offset, let bytes) = ops[tearAt] {
                let granularity = rng.pick([1, 512, 4096])
                var cuts: [Int] = [offset]
                if granularity == 1 {
                    if bytes.count > 1 { cuts = [offset + rng.int(0...(bytes.count - 1))] }
                } else {
                    var boundary = (offset / granularity + 1) * granularity
                    while boundary < offset + bytes.count {
                        cuts.append(boundary)
                        boundary += granularity
                    }
                }
                let cut = rng.pick(cuts)
                if cut > offset { apply(.write(offset: offset, bytes: Array(bytes[..<(cut - offset)])), to: &out) }
            }
            return out
        case .garbageTail:
            let k = rng.int(0...ops.count)
            for op in ops[..<k] { apply(op, to: &out) }
            let target = file.visible.count > out.count ? rng.int((out.count + 1)...file.visible.count) : out.count + rng.int(1...4096)
            let length = target - out.count
            switch rng.int(0...2) {
            case 0: out += [UInt8](repeating: 0, count: length)
            case 1: out += rng.bytes(length)
            default:
                let batches = batchRanges(in: file.visible)
                if batches.isEmpty {
                    out += rng.bytes(length)
                } else {
                    var garbage: [UInt8] = []
                    while garbage.count < length { garbage += file.visible[rng.pick(batches)] }
                    out += garbage[..<length]
                }
            }
            return out
        case .reorderWrites:
            var keep = ops.map { _ in rng.chance(0.5) }
            if ops.count >= 2 {
                let later = rng.int(1...(ops.count - 1))
                let earlier = rng.int(0...(later - 1))
                keep[later] = true
                keep[earlier] = false
            }
            for (op, kept) in zip(ops, keep) where kept { apply(op, to: &out) }
            return out
        }
    }

    /// Byte ranges of the RecordBatch frames from the start of `bytes` (stops at the first that
    /// does not fit); used to make "stale copy of an earlier batch" garbage.
    static func batchRanges(in bytes: [UInt8]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var position = 0
        while position + RecordBatchHeader.size <= bytes.count {
            let length = Int(Int32(bitPattern: UInt32(bytes[position + 8]) << 24 | UInt32(bytes[position + 9]) << 16 | UInt32(bytes[position + 10]) << 8 | UInt32(bytes[position + 11])))
            let total = length + RecordBatchHeader.logOverhead
            guard length > 0, bytes[position + 16] == 2, position + total <= bytes.count else { break }
            out.append(position..<(position + total))
            position += total
        }
        return out
    }

    fileprivate static func apply(_ op: FileOp, to bytes: inout [UInt8]) {
        switch op {
        case .write(let offset, let data):
            if bytes.count < offset + data.count { bytes += [UInt8](repeating: 0, count: offset + data.count - bytes.count) }
            bytes.replaceSubrange(offset..<(offset + data.count), with: data)
        case .truncate(let size):
            if size < bytes.count { bytes.removeSubrange(size...) } else { bytes += [UInt8](repeating: 0, count: size - bytes.count) }
        }
    }

    /// A copy of the whole state (both planes) with no live handles, locks or faults: a disk image
    /// to run one recovery on.
    func clone() -> FaultyStorage {
        var model = state.withLock { $0 }
        model.startNewGeneration()
        model.injected = []
        model.failedSyncs = []
        return FaultyStorage(model: model)
    }

    // MARK: Inspection and offline edits (the process is stopped)

    /// What the process would read.
    func contents(of path: String) -> [UInt8]? {
        state.withLock { model in
            guard let id = model.resolve(path), case .file(let file) = model.nodes[id] else { return nil }
            return file.visible
        }
    }

    /// Replaces a file's bytes on the disk (both planes, nothing pending), as an offline edit.
    func replaceContents(of path: String, with bytes: [UInt8]) {
        state.withLock { model in
            guard let id = model.resolve(path), case .file(var file) = model.nodes[id] else { return }
            file.durable = bytes
            file.visible = bytes
            file.pending = []
            model.nodes[id] = .file(file)
        }
    }

    /// Removes a file from the disk at once and durably, as an offline edit.
    func deleteDurably(_ path: String) {
        state.withLock { model in
            guard let (parent, name) = model.parentAndName(path) else { return }
            model.mutateDirectory(parent) { directory in
                directory.visible[name] = nil
                directory.durable[name] = nil
            }
            model.collectGarbage()
        }
    }

    /// Every visible file under `path`, as full paths, sorted.
    func files(under path: String) -> [String] {
        state.withLock { model in
            guard let root = model.resolve(path) else { return [] }
            var out: [String] = []
            func walk(_ id: Int, _ prefix: String) {
                guard let directory = model.directory(id) else { return }
                for (name, child) in directory.visible {
                    switch model.nodes[child] {
                    case .file: out.append(prefix + "/" + name)
                    case .directory: walk(child, prefix + "/" + name)
                    case nil: break
                    }
                }
            }
            walk(root, Self.normalized(path))
            return out.sorted()
        }
    }

    // MARK: StorageIO

    func open(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        try state.withLock { model in
            try model.checkAlive("open", path)
            if let id = model.resolve(path) {
                guard case .file = model.nodes[id] else { throw Self.error("open", path, EISDIR) }
                return FaultyFile(storage: self, id: id, path: path, writable: mode == .readWrite, generation: model.generation)
            }
            guard mode == .readWrite else { throw Self.error("open", path, ENOENT) }
            guard let (parent, name) = model.parentAndName(path), model.directory(parent) != nil else {
                throw Self.error("open", path, ENOENT)
            }
            let id = try model.mutation(.create, "create", path) { model in
                let id = model.nextID
                model.nextID += 1
                model.nodes[id] = .file(FileNode())
                model.changeEntries(parent, [(name, id)])
                return id
            }
            return FaultyFile(storage: self, id: id, path: path, writable: true, generation: model.generation)
        }
    }

    func exists(_ path: String) -> Bool {
        state.withLock { $0.resolve(path) != nil }
    }

    func isDirectory(_ path: String) -> Bool {
        state.withLock { model in model.resolve(path).flatMap { model.directory($0) } != nil }
    }

    func createDirectory(_ path: String) throws {
        try state.withLock { model in
            try model.checkAlive("create directory", path)
            var parent = 0
            var prefix = ""
            for name in Self.components(path) {
                prefix += "/" + name
                guard let directory = model.directory(parent) else { throw Self.error("create directory", prefix, ENOTDIR) }
                if let existing = directory.visible[name] {
                    guard model.directory(existing) != nil else { throw Self.error("create directory", prefix, EEXIST) }
                    parent = existing
                    continue
                }
                let at = parent
                parent = try model.mutation(.create, "create directory", prefix) { model in
                    let id = model.nextID
                    model.nextID += 1
                    model.nodes[id] = .directory(DirectoryNode())
                    model.changeEntries(at, [(name, id)])
                    return id
                }
            }
        }
    }

    func contentsOfDirectory(_ path: String) throws -> [String] {
        try state.withLock { model in
            try model.checkAlive("list", path)
            guard let id = model.resolve(path) else { throw Self.error("list", path, ENOENT) }
            guard let directory = model.directory(id) else { throw Self.error("list", path, ENOTDIR) }
            return directory.visible.keys.sorted()
        }
    }

    func removeFile(_ path: String) throws {
        try state.withLock { model in
            try model.checkAlive("remove", path)
            guard let id = model.resolve(path), let (parent, name) = model.parentAndName(path) else { return }
            if model.directory(id) != nil { throw Self.error("remove", path, EISDIR) }
            try model.mutation(.remove, "remove", path) { model in model.changeEntries(parent, [(name, nil)]) }
        }
    }

    func removeDirectory(_ path: String) throws {
        guard isDirectory(path) else { return }
        for name in try contentsOfDirectory(path) {
            let child = path + "/" + name
            if isDirectory(child) { try removeDirectory(child) } else { try removeFile(child) }
        }
        try state.withLock { model in
            try model.checkAlive("remove directory", path)
            guard let id = model.resolve(path), let (parent, name) = model.parentAndName(path) else { return }
            if let directory = model.directory(id), !directory.visible.isEmpty { throw Self.error("remove directory", path, ENOTEMPTY) }
            try model.mutation(.remove, "remove directory", path) { model in model.changeEntries(parent, [(name, nil)]) }
        }
    }

    func rename(_ source: String, to destination: String) throws {
        try state.withLock { model in
            try model.checkAlive("rename \(source) to", destination)
            guard let id = model.resolve(source), let (from, oldName) = model.parentAndName(source) else {
                throw Self.error("rename \(source) to", destination, ENOENT)
            }
            guard let (to, newName) = model.parentAndName(destination), model.directory(to) != nil else {
                throw Self.error("rename \(source) to", destination, ENOENT)
            }
            try model.mutation(.rename, "rename \(source) to", destination) { model in
                if from == to {
                    model.changeEntries(from, [(oldName, nil), (newName, id)])
                } else {
                    model.changeEntries(to, [(newName, id)])
                    model.changeEntries(from, [(oldName, nil)])
                }
            }
        }
    }

    func syncDirectory(_ path: String) throws {
        try state.withLock { model in
            try model.checkAlive("fsync directory", path)
            guard let id = model.resolve(path), model.directory(id) != nil else { throw Self.error("open directory", path, ENOENT) }
            try model.mutation(.syncDirectory, "fsync directory", path) { model in
                guard !model.directorySyncLies else { return }
                var rest: [DirectoryOp] = []
                for op in model.pendingDirectoryOps {
                    if op.directory == id {
                        model.mutateDirectory(id) { directory in
                            for change in op.changes { directory.durable[change.name] = change.target }
                        }
                    } else {
                        rest.append(op)
                    }
                }
                model.pendingDirectoryOps = rest
            }
        }
    }

    func acquireExclusiveLock(_ path: String) throws -> any StorageLock {
        let file = try open(path, mode: .readWrite)
        guard let id = (file as? FaultyFile)?.id else { throw Self.error("lock", path, EINVAL) }
        return try state.withLock { model in
            try model.checkAlive("lock", path)
            guard !model.locks.contains(id) else { throw Self.error("lock", path, EWOULDBLOCK) }
            model.locks.insert(id)
            return FaultyLock(storage: self, id: id, generation: model.generation)
        }
    }

    // MARK: File operations (called by FaultyFile)

    fileprivate func read(_ handle: FaultyFile, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try state.withLock { model in
            try model.checkHandle(handle, "read")
            guard case .file(let file) = model.nodes[handle.id] else { throw Self.error("read", handle.path, EBADF) }
            let start = Int(offset)
            let count = max(0, min(buffer.count, file.visible.count - start))
            let range = offset..<(offset + Int64(count))
            if count > 0, let fault = model.readFaults.first(where: { handle.path.hasSuffix($0.pathSuffix) && $0.range.overlaps(range) }) {
                model.injected.append("EIO reading \(handle.path) \(range) (fault \(fault.range))")
                throw Self.error("read", handle.path, EIO)
            }
            if count > 0 {
                file.visible.withUnsafeBytes { raw in
                    buffer.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: count)
                }
            }
            return count
        }
    }

    fileprivate func write(_ handle: FaultyFile, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        let data = [UInt8](bytes)
        try state.withLock { model in
            try model.checkHandle(handle, "write")
            guard handle.writable else { throw Self.error("write", handle.path, EBADF) }
            if let fault = model.writeFault, fault.pathContains.map({ handle.path.contains($0) }) ?? true {
                model.writeCounter += 1
                if model.writeCounter == fault.nth || (fault.persistent && model.writeCounter > fault.nth) {
                    model.injected.append("\(fault.failure.rawValue) on write #\(model.writeCounter) of \(data.count) bytes to \(handle.path) at \(offset)")
                    switch fault.failure {
                    case .noSpace: throw Self.error("write", handle.path, ENOSPC)
                    case .ioError: throw Self.error("write", handle.path, EIO)
                    case .shortWrite:
                        let written = data.count / 2
                        if written > 0 {
                            try model.mutation(.write, "write", handle.path) { model in
                                model.applyToFile(handle.id, .write(offset: Int(offset), bytes: Array(data[..<written])))
                            }
                        }
                        throw Self.error("write", handle.path, ENOSPC)
                    }
                }
            }
            try model.mutation(.write, "write", handle.path) { model in
                model.applyToFile(handle.id, .write(offset: Int(offset), bytes: data))
            }
        }
    }

    fileprivate func size(_ handle: FaultyFile) throws -> Int64 {
        try state.withLock { model in
            try model.checkHandle(handle, "stat")
            guard case .file(let file) = model.nodes[handle.id] else { throw Self.error("stat", handle.path, EBADF) }
            return Int64(file.visible.count)
        }
    }

    fileprivate func truncate(_ handle: FaultyFile, to size: Int64) throws {
        try state.withLock { model in
            try model.checkHandle(handle, "truncate")
            guard handle.writable else { throw Self.error("truncate", handle.path, EINVAL) }
            try model.mutation(.truncate, "truncate", handle.path) { model in
                model.applyToFile(handle.id, .truncate(Int(size)))
            }
        }
    }

    fileprivate func sync(_ handle: FaultyFile) throws {
        try state.withLock { model in
            try model.checkHandle(handle, "fdatasync")
            if let fault = model.syncFault, fault.pathContains.map({ handle.path.contains($0) }) ?? true {
                model.syncCounter += 1
                if model.syncCounter == fault.nth || (fault.persistent && model.syncCounter > fault.nth) {
                    // fsyncgate: the pending pages are marked clean without reaching the disk. They
                    // stay readable, but no later fsync writes them, and a power loss loses them.
                    guard case .file(var file) = model.nodes[handle.id] else { throw Self.error("fdatasync", handle.path, EBADF) }
                    model.injected.append("EIO on fsync #\(model.syncCounter) of \(handle.path), dropping \(file.pending.count) unsynced operations")
                    model.failedSyncs.append(handle.path)
                    file.pending.removeAll()
                    model.nodes[handle.id] = .file(file)
                    throw Self.error("fdatasync", handle.path, EIO)
                }
            }
            try model.mutation(.sync, "fdatasync", handle.path) { model in
                guard !model.fsyncLies, case .file(var file) = model.nodes[handle.id] else { return }
                for op in file.pending { Self.apply(op, to: &file.durable) }
                file.pending.removeAll()
                model.nodes[handle.id] = .file(file)
            }
        }
    }

    fileprivate func release(_ lock: FaultyLock) {
        state.withLock { model in
            if model.generation == lock.generation { model.locks.remove(lock.id) }
        }
    }

    // MARK: Helpers

    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    static func normalized(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }

    static func error(_ operation: String, _ path: String, _ code: Int32) -> StorageError {
        StorageError(operation: operation, path: path, errno: code, reason: String(cString: strerror(code)))
    }
}

extension FaultyStorage.Model {
    func resolve(_ path: String) -> Int? {
        var id = 0
        for name in FaultyStorage.components(path) {
            guard let directory = directory(id), let child = directory.visible[name] else { return nil }
            id = child
        }
        return id
    }

    func parentAndName(_ path: String) -> (Int, String)? {
        var names = FaultyStorage.components(path)
        guard let name = names.popLast() else { return nil }
        guard let parent = resolve("/" + names.joined(separator: "/")) else { return nil }
        return (parent, name)
    }

    func directory(_ id: Int) -> FaultyStorage.DirectoryNode? {
        if case .directory(let directory) = nodes[id] { return directory }
        return nil
    }

    mutating func mutateDirectory(_ id: Int, _ body: (inout FaultyStorage.DirectoryNode) -> Void) {
        guard case .directory(var directory) = nodes[id] else { return }
        body(&directory)
        nodes[id] = .directory(directory)
    }

    /// A visible, not yet durable change of names in one directory.
    mutating func changeEntries(_ id: Int, _ changes: [(name: String, target: Int?)]) {
        mutateDirectory(id) { directory in
            for change in changes { directory.visible[change.name] = change.target }
        }
        pendingDirectoryOps.append(FaultyStorage.DirectoryOp(directory: id, changes: changes))
    }

    mutating func applyToFile(_ id: Int, _ op: FaultyStorage.FileOp) {
        guard case .file(var file) = nodes[id] else { return }
        FaultyStorage.apply(op, to: &file.visible)
        file.pending.append(op)
        nodes[id] = .file(file)
    }

    func checkAlive(_ operation: String, _ path: String) throws {
        if let crashedAt { throw FaultyStorage.error(operation + " (the process crashed at \(crashedAt))", path, EIO) }
    }

    func checkHandle(_ handle: FaultyFile, _ operation: String) throws {
        try checkAlive(operation, handle.path)
        guard handle.generation == generation else {
            throw FaultyStorage.error(operation + " through a handle from before a crash", handle.path, EBADF)
        }
    }

    /// Runs one state-changing operation under the crash plan: counts it, and kills the process
    /// before or after it when the plan says so.
    @discardableResult
    mutating func mutation<R>(_ kind: FaultyStorage.Operation, _ operation: String, _ path: String, _ body: (inout Self) throws -> R) throws -> R {
        counts[kind, default: 0] += 1
        var dies = false
        if let plan = crashPlan, plan.kinds.contains(kind) {
            crashCounter += 1
            dies = crashCounter == plan.at
        }
        guard dies, let plan = crashPlan else { return try body(&self) }
        let point = "\(plan.afterOperation ? "after" : "before") \(kind.rawValue) #\(plan.at) (\(operation) \(path))"
        if plan.afterOperation { _ = try body(&self) }
        crashedAt = point
        throw FaultyStorage.error(operation + " (simulated crash \(point))", path, EIO)
    }

    /// Drops every node no longer reachable from the root through visible names (open handles to
    /// such files keep their id but find no node: the file is gone).
    mutating func collectGarbage() {
        var reachable: Set<Int> = [0]
        var stack = [0]
        while let id = stack.popLast() {
            guard let directory = directory(id) else { continue }
            for child in Set(directory.visible.values).union(directory.durable.values) where !reachable.contains(child) {
                reachable.insert(child)
                stack.append(child)
            }
        }
        for id in nodes.keys where !reachable.contains(id) { nodes[id] = nil }
    }
}

/// A handle on one `FaultyStorage` file (an inode: it follows renames and outlives unlinks).
final class FaultyFile: StorageFile {
    let storage: FaultyStorage
    let id: Int
    let path: String
    let writable: Bool
    let generation: Int

    init(storage: FaultyStorage, id: Int, path: String, writable: Bool, generation: Int) {
        self.storage = storage
        self.id = id
        self.path = path
        self.writable = writable
        self.generation = generation
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try storage.read(self, into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try storage.write(self, bytes, at: offset)
    }

    func size() throws -> Int64 { try storage.size(self) }
    func truncate(to size: Int64) throws { try storage.truncate(self, to: size) }
    func sync() throws { try storage.sync(self) }
    func close() {}
}

final class FaultyLock: StorageLock {
    let storage: FaultyStorage
    let id: Int
    let generation: Int

    init(storage: FaultyStorage, id: Int, generation: Int) {
        self.storage = storage
        self.id = id
        self.generation = generation
    }

    func release() { storage.release(self) }
}
