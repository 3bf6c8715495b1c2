public import SluiceGroups
public import SluiceLog
import Synchronization

/// The backend for the embedded log: one `LogManager` (a data directory this process owns) and
/// its `GroupCoordinator`, with consumers and producers running in this process.
///
/// Owns two background threads: the coordinator's timer (session and rebalance timeouts) and
/// the consumers' heartbeats. `close()` stops both and, if this backend opened the log, closes it.
public final class EmbeddedBackend: Backend {
    public let log: LogManager
    public let coordinator: GroupCoordinator
    private let ownsLog: Bool
    private let consumers = Mutex<[ObjectIdentifier: WeakConsumer]>([:])
    private let heartbeatThread = Mutex<TimerThread?>(nil)

    private struct WeakConsumer: @unchecked Sendable {  // only read under the lock
        weak var consumer: EmbeddedConsumer?
    }

    /// Opens (creating when missing) the data directory `directory`.
    public convenience init(directory: String, coordinator configuration: GroupCoordinator.Configuration = .init()) throws {
        let log = try LogManager(directory: directory)
        do {
            try self.init(log: log, coordinator: configuration, ownsLog: true)
        } catch {
            try? log.close()
            throw error
        }
    }

    /// Runs on an already open log (which the caller keeps and closes).
    public convenience init(log: LogManager, coordinator configuration: GroupCoordinator.Configuration = .init()) throws {
        try self.init(log: log, coordinator: configuration, ownsLog: false)
    }

    private init(log: LogManager, coordinator configuration: GroupCoordinator.Configuration, ownsLog: Bool) throws {
        self.log = log
        self.ownsLog = ownsLog
        coordinator = try GroupCoordinator(log: log, configuration: configuration)
        coordinator.startTimer()
    }

    public func makeConsumer(_ configuration: ConsumerConfiguration) throws -> any ConsumerBackend {
        try makeConsumer(configuration, wakeups: nil)
    }

    private func makeConsumer(_ configuration: ConsumerConfiguration, wakeups: DataSignal?) throws -> EmbeddedConsumer {
        try EmbeddedConsumer(log: log, coordinator: coordinator, configuration: configuration, heartbeats: self, wakeups: wakeups)
    }

    /// This backend, except that every consumer made through the view also notifies `wakeups`
    /// when it has something to do (data in its partitions, a group response or rebalance, a
    /// `wakeup()`). A thread that polls several consumers in turn waits on `wakeups` once
    /// instead of inside one consumer's `poll`, which would sleep through the others' news.
    public func notifying(_ wakeups: DataSignal) -> any Backend { Notifying(base: self, wakeups: wakeups) }

    private struct Notifying: Backend {
        let base: EmbeddedBackend
        let wakeups: DataSignal

        func makeConsumer(_ configuration: ConsumerConfiguration) throws -> any ConsumerBackend {
            try base.makeConsumer(configuration, wakeups: wakeups)
        }

        func makeProducer(_ configuration: ProducerConfiguration) throws -> any ProducerBackend { try base.makeProducer(configuration) }
        func partitionCount(of topic: String) throws -> Int { try base.partitionCount(of: topic) }
    }

    public func makeProducer(_ configuration: ProducerConfiguration) throws -> any ProducerBackend {
        EmbeddedProducer(log: log, configuration: configuration)
    }

    public func partitionCount(of topic: String) throws -> Int { try log.partitionCount(topic) }

    func register(_ consumer: EmbeddedConsumer) {
        consumers.withLock { $0[ObjectIdentifier(consumer)] = WeakConsumer(consumer: consumer) }
        heartbeatThread.withLock { thread in
            guard thread == nil else { return }
            thread = TimerThread(intervalMs: 100, name: "sluice-heartbeat") { [weak self] in self?.heartbeat() }
        }
    }

    func deregister(_ consumer: EmbeddedConsumer) {
        consumers.withLock { $0[ObjectIdentifier(consumer)] = nil }
    }

    /// One pass of the heartbeat thread's work, now, on the caller's thread: each consumer of
    /// this backend sends the heartbeat its interval makes due (and leaves its group once
    /// `max.poll.interval.ms` passed without a poll), by the coordinator's clock. For a test
    /// that moves that clock by hand and must not wait for the thread's next pass.
    @_spi(Testing) public func sendDueHeartbeats() { heartbeat() }

    private func heartbeat() {
        let live = consumers.withLock { consumers in
            consumers = consumers.filter { $0.value.consumer != nil }
            return consumers.values.compactMap(\.consumer)
        }
        for consumer in live { consumer.heartbeatIfDue() }
    }

    /// Stops the background threads; closes the log if this backend opened it.
    public func close() throws {
        heartbeatThread.withLock { thread in
            thread?.stop()
            thread = nil
        }
        coordinator.stopTimer()
        if ownsLog { try log.close() }
    }
}
