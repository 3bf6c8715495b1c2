import SluiceClient
import SluiceGroups
import SluiceLog

/// The tasks of one branch in this process: one per (sub-topology, partition) the branch's
/// consumer owns, each with its own operator chain and state stores (Kafka Streams'
/// `StreamTask`). A task starts when the first record of its partition arrives, restoring its
/// stores from their changelogs, and is dropped when the partition is revoked or lost; the
/// next owner restores the same state.
///
/// Single owner: only the branch's thread touches it — the poll loop, and the rebalance
/// listener the consumer calls from inside `poll` — hence `@unchecked Sendable` without a lock.
final class BranchTasks: @unchecked Sendable {
    private struct Key: Hashable {
        var subTopology: Int
        var partition: Int32
    }

    /// One running task: its context (stores, batch hooks) and handlers by resolved topic.
    private final class Task {
        let context: TaskContext
        let handlers: [String: SourceHandler]

        init(context: TaskContext, handlers: [String: SourceHandler]) {
            self.context = context
            self.handlers = handlers
        }
    }

    private let subTopologies: [SubTopology]
    private let subTopologyOfTopic: [String: Int]
    private let scope: TopologyScope
    private let makeContext: (Int32) -> TaskContext
    private var tasks: [Key: Task] = [:]
    /// Tasks that processed records since the last `endBatch`, in first-touch order.
    private var touched: [Task] = []

    /// The resolved topics the branch's group subscribes to.
    let topics: [String]

    init(subTopologies: [SubTopology], scope: TopologyScope, makeContext: @escaping (Int32) -> TaskContext) {
        self.subTopologies = subTopologies
        self.scope = scope
        self.makeContext = makeContext
        var byTopic: [String: Int] = [:]
        var topics: [String] = []
        for (index, sub) in subTopologies.enumerated() {
            for source in sub.sources {
                let name = source.resolved(in: scope)
                byTopic[name] = index
                topics.append(name)
            }
        }
        subTopologyOfTopic = byTopic
        self.topics = topics
    }

    /// Whether some task reads several topics (a merge), which must then be co-partitioned:
    /// partition `p` of each at the same member.
    var needsCopartitioning: Bool { subTopologies.contains { $0.sources.count > 1 } }

    /// What processes the records of one source partition: the task's handler for that topic,
    /// the task's context (to set each record's origin) and the topic's origin hash.
    ///
    /// The handler and context are unretained: their task holds them, and a task is dropped
    /// only when its partition is revoked, between polls, never while its records are
    /// processed. Strong references would be retained and released around every record.
    struct Reader {
        let handler: Unmanaged<SourceHandler>
        let context: Unmanaged<TaskContext>
        let source: UInt32
    }

    /// The reader for records of `topic`-`partition`, starting its task if needed.
    func reader(for tp: TopicPartition) throws -> Reader {
        guard let index = subTopologyOfTopic[tp.topic] else {
            throw PipelineError.invalid("branch \(scope.group) received records of \(tp.topic), which none of its streams reads")
        }
        let key = Key(subTopology: index, partition: tp.partition)
        let task: Task
        if let running = tasks[key] {
            task = running
        } else {
            let context = makeContext(tp.partition)
            let built = try subTopologies[index].build(context)
            var handlers: [String: SourceHandler] = [:]
            for (name, handler) in built { handlers[name.resolved(in: scope)] = handler }
            task = Task(context: context, handlers: handlers)
            tasks[key] = task
        }
        if !touched.contains(where: { $0 === task }) { touched.append(task) }
        guard let handler = task.handlers[tp.topic] else {
            throw PipelineError.invalid("branch \(scope.group) has no handler for \(tp.topic)")
        }
        return Reader(handler: .passUnretained(handler), context: .passUnretained(task.context), source: RecordOrigin.source(of: tp.topic))
    }

    /// The handler for records of `topic`-`partition`, starting its task if needed.
    func handler(for tp: TopicPartition) throws -> SourceHandler { try reader(for: tp).handler.takeUnretainedValue() }

    /// Ends the batch of every task that processed records: stores forward their coalesced
    /// updates and write their changelogs. The caller flushes the producer, then commits.
    func endBatch() throws {
        for task in touched { try task.context.endBatch() }
        touched.removeAll(keepingCapacity: true)
    }

    /// Drops the tasks of partitions this member no longer owns. Their state is in the
    /// changelog as of their last batch, which the next owner restores.
    func drop(_ partitions: [TopicPartition]) {
        for tp in partitions {
            guard let index = subTopologyOfTopic[tp.topic] else { continue }
            let key = Key(subTopology: index, partition: tp.partition)
            if let task = tasks.removeValue(forKey: key) { touched.removeAll { $0 === task } }
        }
    }

    /// Sub-topologies of the branch, in dataflow order.
    var subTopologyCount: Int { subTopologies.count }

    /// Moves the stream time of every windowed store of the tasks of sub-topology `index` to
    /// `streamTime` (see `StreamTimeAdvancing`), then ends those tasks' batch.
    func advanceStreamTime(to streamTime: Int64, subTopology index: Int) throws {
        for (key, task) in tasks where key.subTopology == index {
            let stores = task.context.stores.values.compactMap { $0 as? any StreamTimeAdvancing }
            guard !stores.isEmpty else { continue }
            for store in stores { try store.advance(streamTime: streamTime) }
            try task.context.endBatch()
        }
    }

    /// The state stores of the running tasks, by (store name, partition).
    func stores() -> [(partition: Int32, store: any StateStoreView)] {
        tasks.flatMap { key, task in task.context.stores.values.map { (key.partition, $0) } }
    }
}
