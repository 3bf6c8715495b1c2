@_spi(Testing) import Sluice

/// Crashes and restarts.
extension PipelineTestDriver {
    /// Kills the pipeline in the middle of a batch and starts it again, as `kill -9` and a
    /// restart would (see the type's documentation for what a crash keeps and loses).
    ///
    /// Instance `instance` processes until `branch` has processed `afterRecords` more records
    /// in one of its members there (all of the branch's records in that instance when it runs
    /// one thread, the default), and the next one stops it dead, the other instances stepping
    /// as usual meanwhile. Then every instance is killed and as many are started again on a
    /// fresh coordinator. The next `process()` forms the groups and catches up.
    /// - Throws: `crashPointNotReached` if the branch runs out of records before the crash
    ///   point (the instances are crashed and restarted anyway).
    public func crashAndRestart(branch: String, afterRecords records: Int, instance index: Int = 0) throws {
        guard records >= 0 else { throw PipelineTestDriverError.invalidArgument("afterRecords must not be negative, not \(records)") }
        try checkBranch(branch)
        try start()
        try checkInstance(index)
        instances[index].crash(branch: branch, afterRecords: records)
        var crashed = false
        do {
            try runUntilQuiescent(membershipChanged: false)
        } catch is SimulatedCrash {
            crashed = true
        }
        try reopen(graceful: false)
        guard crashed else { throw PipelineTestDriverError.crashPointNotReached(branch: branch, afterRecords: records) }
    }

    /// Stops every instance gracefully (each finishes its batch, flushes, commits and leaves its
    /// groups), closes the log, and starts as many instances again on it, as a redeploy would.
    public func restart() throws {
        try start()
        try reopen(graceful: true)
    }

    /// Stops the instances (closing them, or abandoning them as a crash does), drops the node
    /// with its coordinator, and starts as many instances on a new node over the directory.
    private func reopen(graceful: Bool) throws {
        let node = try openNode()
        let count = instances.count
        for instance in instances {
            if graceful { try instance.close() } else { instance.abandon() }
            retired.append(instance.summary())
        }
        instances = []
        self.node = nil
        try node.close()
        let reopened = try Node(directory: directory, wallClock: wallClock, groupClock: groupClock)
        self.node = reopened
        instances = try (0..<count).map { _ in try makeInstance(on: reopened) }
    }
}
