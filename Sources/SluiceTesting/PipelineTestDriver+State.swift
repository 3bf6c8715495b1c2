@_spi(Testing) public import Sluice

/// State: the stores of the running tasks, typed as the test asks, and who owns what.
///
/// A store belongs to one task, one (branch, partition); its name is the one `describe()`
/// lists (`aggregate-2`, or the `named:` given to the operator). A task that has not started
/// yet on the instance owning its partition is started first, which restores its store from
/// the changelog, as its first record would.
extension PipelineTestDriver {
    /// The contents of `branch`'s store `name` for one partition: every key with its aggregate,
    /// or, for a windowed store, every open window (`[Windowed<Key>: Aggregate].self`).
    public func store<Key: Hashable, Value>(
        _ name: String, branch: String, partition: Int32, as type: [Key: Value].Type = [Key: Value].self
    ) throws -> [Key: Value] {
        try typed(try storeContents(name, branch: branch, partition: partition), as: type)
    }

    /// The contents of `branch`'s store `name` over every running partition (each key is in one
    /// partition's task; a key found in two is an error).
    public func store<Key: Hashable, Value>(_ name: String, branch: String, as type: [Key: Value].Type = [Key: Value].self) throws -> [Key: Value] {
        var merged: [Key: Value] = [:]
        var partitionOf: [Key: Int32] = [:]
        for contents in try allContents(name, branch: branch) {
            for (key, value) in try typed(contents, as: type) {
                if let earlier = partitionOf.updateValue(contents.partition, forKey: key) {
                    throw PipelineTestDriverError.invalidArgument(
                        "key \(key) is in partitions \(earlier) and \(contents.partition) of store \(name); read the partitions one by one")
                }
                merged[key] = value
            }
        }
        return merged
    }

    /// The stream time of `branch`'s windowed store `name` for one partition: the largest
    /// timestamp its task has seen (nil before the first, and for key-value stores).
    public func streamTime(ofStore name: String, branch: String, partition: Int32) throws -> Int64? {
        try storeContents(name, branch: branch, partition: partition).streamTime
    }

    /// The partitions `branch`'s members in instance `index` own (its source and repartition
    /// topics), as of their last poll.
    public func assignment(branch: String, instance index: Int) throws -> Set<TopicPartition> {
        try checkBranch(branch)
        try start()
        try checkInstance(index)
        return instances[index].assignment(of: branch)
    }

    // MARK: Lookup

    private func storeContents(_ name: String, branch: String, partition: Int32) throws -> StateStoreContents {
        let all = try allContents(name, branch: branch)
        guard let contents = all.first(where: { $0.partition == partition }) else {
            throw PipelineTestDriverError.storeNotRunning(name, branch: branch, partition: partition, running: all.map(\.partition).sorted())
        }
        return contents
    }

    private func allContents(_ name: String, branch: String) throws -> [StateStoreContents] {
        try checkBranch(branch)
        try start()
        let stores = try instances.flatMap { try $0.stateStores() }.filter { $0.branch == branch }
        let named = stores.filter { $0.name == name }
        guard !named.isEmpty else {
            throw PipelineTestDriverError.unknownStore(name, branch: branch, known: Array(Set(stores.map(\.name))).sorted())
        }
        return named.sorted { $0.partition < $1.partition }
    }

    private func typed<Key: Hashable, Value>(_ contents: StateStoreContents, as type: [Key: Value].Type) throws -> [Key: Value] {
        let mismatch = PipelineTestDriverError.storeTypeMismatch(
            contents.name, holds: "[\(contents.keyType): \(contents.valueType)]", requested: "\(type)")
        guard contents.keyType == Key.self, contents.valueType == Value.self else { throw mismatch }
        var result: [Key: Value] = [:]
        for entry in contents.entries {
            guard let key = entry.key as? Key, let value = entry.value as? Value else { throw mismatch }
            result[key] = value
        }
        return result
    }
}
