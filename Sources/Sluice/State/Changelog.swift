import SluiceLog

/// A state store's compacted changelog topic: one partition per task, each record the latest
/// state of one key (a tombstone once the key has none). Replaying a partition rebuilds the
/// task's store, which is how a restarted or reassigned task picks up where the last owner's
/// last commit left it (Kafka Streams' changelog restoration).
///
/// Guarantee: the runtime flushes changelog writes with the sink writes, before the offsets
/// they cover are committed, so a restored store never lags behind the committed input.
/// It can be ahead (state written, commit lost in a crash): the replayed input is then counted
/// twice, the at-least-once duplicate the runtime documents.
struct Changelog {
    let topic: String
    let partition: Int32
    let store: String

    /// The changelog of `store` for the task of `context`: its partition of
    /// `<pipeline>-<group>-<store>-changelog`.
    init(store: String, context: TaskContext) {
        self.store = store
        topic = StoreDescriptor(name: store, kind: "").changelog.resolved(in: context.scope)
        partition = context.partition
    }

    /// One key's latest state: its value and the origins it has applied (`AppliedOrigins`).
    struct Entry {
        var value: [UInt8]
        var applied: [UInt8]
    }

    /// The latest value of every key (tombstones removed), and the largest record timestamp.
    func replay(from log: LogManager) throws -> (entries: [[UInt8]: Entry], latestTimestamp: Int64?) {
        var entries: [[UInt8]: Entry] = [:]
        let appliedKey = Array(AppliedOrigins<Int>.headerKey.utf8)
        var latest: Int64?
        guard log.topicNames(includeInternal: true).contains(topic) else { return (entries, nil) }
        let stored = try log.partition(topic, partition)
        try stored.forEachRecord(from: stored.logStartOffset) { view in
            guard let key = view.key else { return }
            if let value = view.value {
                let applied = appliedKey.withUnsafeBytes { view.headerValue(forKey: $0) }
                entries[Array(key)] = Entry(value: Array(value), applied: applied.map { Array($0) } ?? [])
            } else {
                entries[Array(key)] = nil
            }
            latest = max(latest ?? view.timestamp, view.timestamp)
        }
        return (entries, latest)
    }

    /// Writes `key`'s state, with the origins it has applied in a `sluice.applied` header.
    func write(key: [UInt8], value: [UInt8]?, applied: [UInt8], timestamp: Int64, context: TaskContext) throws {
        let headers = value == nil ? [] : [RecordHeader(key: AppliedOrigins<Int>.headerKey, value: applied)]
        try context.send(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp)
    }
}

/// What tests and tools can ask any state store.
protocol StateStoreView: AnyObject {
    var name: String { get }
    /// Keys (or key × window pairs) currently held.
    var entryCount: Int { get }
}

/// A store whose stream time can move on without a record (`PipelineTestDriver.advanceStreamTime`):
/// windows that closes are forwarded and dropped as a record with that timestamp would close
/// them; the task's batch end then writes the changelog.
protocol StreamTimeAdvancing: StateStoreView {
    func advance(streamTime: Int64) throws
}
