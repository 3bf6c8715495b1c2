/// Why a `PipelineTestDriver` call failed. The descriptions say what to change in the test.
public enum PipelineTestDriverError: Error, CustomStringConvertible {
    /// The driver was closed.
    case closed
    /// A call got an argument it cannot use.
    case invalidArgument(String)
    case unknownTopic(String)
    case unknownBranch(String, known: [String])
    case noSuchInstance(Int, count: Int)
    /// `process()` kept consuming for `rounds` rounds (a branch that feeds its own input never
    /// becomes idle); `lastRound` is what each branch consumed in the last one.
    case notQuiescent(rounds: Int, lastRound: [String: Int])
    /// The groups did not settle (or the branches did not catch up) within the rebalance
    /// timeout; `state` describes every group.
    case stuck(state: String)
    /// The branch ran out of records before the planned crash point. The instances were
    /// crashed and restarted anyway (which disarms the crash).
    case crashPointNotReached(branch: String, afterRecords: Int)
    /// A record of `topic` did not decode with the topic's serdes.
    case undecodable(topic: String, partition: Int32, offset: Int64, any Error)
    /// A typed read met a record without a value.
    case tombstone(topic: String, partition: Int32, offset: Int64)
    /// `table` met a record without a key.
    case recordWithoutKey(topic: String, partition: Int32, offset: Int64)
    /// `table` found one key in several partitions, so "latest" has no meaning.
    case keyInSeveralPartitions(topic: String, key: String, partitions: [Int32])
    case unknownStore(String, branch: String, known: [String])
    /// No instance runs the task of that partition (it has no records yet, or no member owns it).
    case storeNotRunning(String, branch: String, partition: Int32, running: [Int32])
    /// The store holds other types than the ones asked for.
    case storeTypeMismatch(String, holds: String, requested: String)

    public var description: String {
        switch self {
        case .closed:
            "the driver is closed"
        case .invalidArgument(let why):
            why
        case .unknownTopic(let topic):
            "topic '\(topic)' does not exist (sink topics exist once the pipeline started: call process() first)"
        case .unknownBranch(let branch, let known):
            "the pipeline has no branch '\(branch)'; its branches are \(known.joined(separator: ", "))"
        case .noSuchInstance(let index, let count):
            "there is no instance \(index); the driver runs \(count) (0..<\(count))"
        case .notQuiescent(let rounds, let lastRound):
            "the pipeline was still consuming after \(rounds) rounds (last round: "
                + lastRound.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "); a branch that writes to a topic it reads, directly or through others, never becomes idle"
        case .stuck(let state):
            "the pipeline did not settle within the rebalance timeout: \(state)"
        case .crashPointNotReached(let branch, let records):
            "branch \(branch) ran out of records before the crash planned after \(records) more; the instances were restarted anyway. Pipe more records, or crash earlier"
        case .undecodable(let topic, let partition, let offset, let error):
            "record \(topic)-\(partition)@\(offset) does not decode with the topic's serdes: \(error)"
        case .tombstone(let topic, let partition, let offset):
            "record \(topic)-\(partition)@\(offset) has no value (a tombstone); read it with rawRecords"
        case .recordWithoutKey(let topic, let partition, let offset):
            "record \(topic)-\(partition)@\(offset) has no key, so it has no place in a table; read the topic with records"
        case .keyInSeveralPartitions(let topic, let key, let partitions):
            "key \(key) is in partitions \(partitions.map(String.init).joined(separator: ", ")) of \(topic): a table needs each key in one partition"
        case .unknownStore(let store, let branch, let known):
            "branch \(branch) has no running state store '\(store)'"
                + (known.isEmpty ? " (no task of it has started: call process() first)" : "; its stores are \(known.joined(separator: ", "))")
        case .storeNotRunning(let store, let branch, let partition, let running):
            "no instance runs the task of partition \(partition) of \(branch)'s store \(store); running partitions: "
                + (running.isEmpty ? "none" : running.map(String.init).joined(separator: ", "))
        case .storeTypeMismatch(let store, let holds, let requested):
            "state store \(store) holds \(holds), not \(requested)"
        }
    }
}
