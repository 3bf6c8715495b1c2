import SluiceClient
import SluiceLog
import Synchronization

/// What one task — one (sub-topology, partition) of a branch — uses while it runs: its stream
/// thread's producer session (shared with the thread's other tasks), the log its stores
/// restore from, reusable encoding buffers, and the hooks its stateful operators run at the
/// end of every batch. Owned by the branch's thread; never shared.
public final class TaskContext {
    /// The partition this task processes (of each of its source topics).
    public let partition: Int32
    @usableFromInline let scope: TopologyScope
    /// The stream thread's session: records are batched on the thread, made durable when the
    /// branch flushes it before committing (see `BranchTask.finishBatch`).
    let output: ProducerSession
    let log: LogManager
    let metrics: BranchMetrics
    /// Shared with the other tasks of the stream thread (see `DecodedRecordCache`).
    @usableFromInline let decodedRecords: DecodedRecordCache
    /// Where the record being processed entered the branch (set before each record). It lives
    /// behind a pointer: written for every record, a stored class property would cost a
    /// dynamic exclusivity check each time.
    @usableFromInline var origin: RecordOrigin {
        get { originCell.pointee }
        set { originCell.pointee = newValue }
    }
    private let originCell: UnsafeMutablePointer<RecordOrigin> = {
        let cell = UnsafeMutablePointer<RecordOrigin>.allocate(capacity: 1)
        cell.initialize(to: RecordOrigin(source: 0, partition: 0, offset: 0))
        return cell
    }()
    /// `[sluice.origin: origin]`, reused so that repartition writes do not allocate.
    private var originHeaders = [RecordHeader(key: RecordOrigin.headerKey, value: [UInt8](repeating: 0, count: RecordOrigin.encodedSize))]
    /// Where `TopicWriter` encodes keys whose serde needs a buffer (`Serde.withEncoded`).
    @usableFromInline let keyScratch = ScratchBytes(capacity: 256)
    /// Where `TopicWriter` encodes values whose serde needs a buffer (`Serde.withEncoded`).
    @usableFromInline let valueScratch = ScratchBytes(capacity: 4096)
    /// Run in order before the branch flushes and commits: stores forward their coalesced
    /// updates and write their changelogs (upstream operators first).
    private var batchEndHooks: [() throws -> Void] = []
    /// Records sent since the last `endBatch`, added to `metrics.produced` there (one atomic
    /// add per batch instead of per record).
    private var producedInBatch = 0
    /// Hands a `split` route's entry point (an `Emit<Key, Value>`) from the route's chain to the
    /// split that feeds it, while the task builds its chains.
    var routeEntry: Any?
    /// The task's state stores by name, for tests and tools.
    private(set) var stores: [String: any StateStoreView] = [:]

    init(
        partition: Int32, scope: TopologyScope, output: ProducerSession, log: LogManager, metrics: BranchMetrics,
        decodedRecords: DecodedRecordCache
    ) {
        self.decodedRecords = decodedRecords
        self.partition = partition
        self.scope = scope
        self.output = output
        self.log = log
        self.metrics = metrics
    }

    @usableFromInline
    func send(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, timestamp: Int64) throws {
        try send(topic: topic, partition: partition, key: key, value: value, headers: [], timestamp: timestamp)
    }

    func send(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], timestamp: Int64) throws {
        try withOptional(key) { key in
            try withOptional(value) { value in
                try output.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
            }
        }
        producedInBatch += 1
    }

    deinit { originCell.deallocate() }

    /// `send` of encoded bytes, with the current record's origin in a `sluice.origin` header
    /// when `withOrigin` (repartition writes).
    @usableFromInline
    func send(
        topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, withOrigin: Bool, timestamp: Int64
    ) throws {
        if withOrigin {
            let origin = origin
            originHeaders[0].value?.withUnsafeMutableBytes { origin.write(into: $0) }
            try output.send(topic: topic, partition: partition, key: key, value: value, headers: originHeaders, timestamp: timestamp)
        } else {
            try output.send(topic: topic, partition: partition, key: key, value: value, headers: [], timestamp: timestamp)
        }
        producedInBatch += 1
    }

    /// `send` with the current record's origin in a `sluice.origin` header (repartition writes).
    @usableFromInline
    func sendWithOrigin(topic: String, key: [UInt8]?, value: [UInt8]?, timestamp: Int64) throws {
        let origin = origin
        originHeaders[0].value?.withUnsafeMutableBytes { origin.write(into: $0) }
        try send(topic: topic, partition: nil, key: key, value: value, headers: originHeaders, timestamp: timestamp)
    }

    /// Registers a state store and its end-of-batch work. Operators are built downstream first,
    /// so each new hook goes to the front: upstream stores forward before downstream ones flush.
    func attach(store: any StateStoreView, atBatchEnd hook: @escaping () throws -> Void) {
        stores[store.name] = store
        batchEndHooks.insert(hook, at: 0)
    }

    /// Runs every batch-end hook; the caller flushes the producer session and commits afterwards.
    func endBatch() throws {
        for hook in batchEndHooks { try hook() }
        if producedInBatch > 0 {
            metrics.produced.add(producedInBatch, ordering: .relaxed)
            producedInBatch = 0
        }
    }
}

func withOptional<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}

/// A byte buffer one thread reuses from record to record (`TaskContext.keyScratch`).
///
/// Why a pointer: a stored `var` of a class is checked for exclusive access at run time on
/// every use from code the compiler cannot see whole (`TopicWriter.write` is inlined into the
/// pipeline's module), two `swift_beginAccess` calls per record each. The buffer belongs to one
/// task context, which one thread uses at a time, and `TopicWriter` uses it only for the
/// length of one encode-and-send, which does not reach it again.
@usableFromInline
final class ScratchBytes {
    @usableFromInline let pointer: UnsafeMutablePointer<[UInt8]>

    init(capacity: Int) {
        pointer = .allocate(capacity: 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        pointer.initialize(to: bytes)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}
