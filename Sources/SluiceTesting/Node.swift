import SluiceClient
import SluiceGroups
import SluiceLog

/// What one process of the embedded log has: the log, its backend (the group coordinator and
/// the consumers' heartbeat thread), and a producer for the records the test pipes in. Every
/// pipeline instance of the driver runs on the same node, as the threads of one process would;
/// a crash drops the node, coordinator and all, and a restart opens a new one on the directory.
///
/// Background work that would run on its own time is off: the log's retention and compaction
/// thread, and the coordinator's timer (the driver calls `coordinator.tick()` itself).
final class Node {
    let log: LogManager
    let backend: EmbeddedBackend
    /// Piped records go through it; `PipelineTestDriver.flushInput()` makes them durable.
    let input: Producer

    /// How long a new group waits for more members before its first generation forms
    /// (`group.initial.rebalance.delay.ms`, Kafka's broker default): every member the driver
    /// starts joins the first generation, with no heartbeat needed.
    static let initialRebalanceDelayMs: Int64 = 3_000

    init(directory: String, wallClock: ManualClock, groupClock: GroupClock) throws {
        var options = LogManager.Options()
        options.backgroundTasks = false
        log = try LogManager(directory: directory, clock: wallClock.read, options: options)
        var coordinator = GroupCoordinator.Configuration()
        coordinator.clock = groupClock.read
        coordinator.initialRebalanceDelayMs = Self.initialRebalanceDelayMs
        do {
            backend = try EmbeddedBackend(log: log, coordinator: coordinator)
            backend.coordinator.stopTimer()
            // Batches of piped records end only at a flush (or when full), never on a linger
            // timer: how the input is cut into stored batches, and so every poll, is the same
            // from run to run.
            var producer = ProducerConfiguration()
            producer.lingerMs = 86_400_000
            input = try Producer(backend: backend, configuration: producer)
        } catch {
            try? log.close()
            throw error
        }
    }

    var coordinator: GroupCoordinator { backend.coordinator }

    /// Partitions of `topic`, nil if it does not exist.
    func partitionCount(of topic: String) -> Int? {
        guard log.topicNames(includeInternal: true).contains(topic) else { return nil }
        return try? log.partitionCount(topic)
    }

    /// Flushes the input, stops the backend's threads and closes the log. Every step of the
    /// close is tried; the first error is thrown.
    func close() throws {
        var failure: (any Error)?
        do { try input.close() } catch { failure = error }
        do { try backend.close() } catch { failure = failure ?? error }
        do { try log.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }
}
