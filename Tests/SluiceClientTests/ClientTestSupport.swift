import Foundation
import SluiceClient
import SluiceGroups
import SluiceLog
@_exported import SluiceTestSupport

/// An embedded backend on a fresh directory, with coordinator limits small enough for tests.
final class TestCluster: Sendable {
    let directory = TemporaryDirectory("sluice-client")
    let backend: EmbeddedBackend

    init(topics: [String: Int] = ["orders": 3]) throws {
        var options = LogManager.Options()
        options.backgroundTasks = false
        let log = try LogManager(directory: directory.path, options: options)
        for (topic, partitions) in topics { _ = try log.createTopic(topic, partitions: partitions) }
        var coordinator = GroupCoordinator.Configuration()
        coordinator.minSessionTimeoutMs = 10
        backend = try EmbeddedBackend(log: log, coordinator: coordinator)
    }

    var log: LogManager { backend.log }

    func consumer(group: String?, reset: AutoOffsetReset = .earliest, ackMode: AckMode = .batch, _ tweak: (inout ConsumerConfiguration) -> Void = { _ in })
        throws -> Consumer
    {
        var configuration = ConsumerConfiguration(groupId: group)
        configuration.autoOffsetReset = reset
        configuration.ackMode = ackMode
        configuration.sessionTimeoutMs = 2_000
        configuration.heartbeatIntervalMs = 50
        configuration.maxPollIntervalMs = 5_000
        tweak(&configuration)
        return try Consumer(backend: backend, configuration: configuration)
    }

    /// Appends `count` records `"<prefix>-<i>"` keyed by `i % 7`, durably.
    func produce(_ topic: String = "orders", count: Int, prefix: String = "r", from start: Int = 0) throws {
        let producer = try Producer(backend: backend)
        for i in start..<(start + count) {
            try producer.send(topic: topic, key: Array("k\(i % 7)".utf8), value: Array("\(prefix)-\(i)".utf8))
        }
        try producer.close()
    }

    func committed(_ group: String) -> [TopicPartition: Int64] {
        backend.coordinator.committedOffsets(groupId: group).mapValues(\.offset)
    }

    func endOffsets(_ topic: String = "orders") throws -> [TopicPartition: Int64] {
        var ends: [TopicPartition: Int64] = [:]
        for p in 0..<Int32(try log.partitionCount(topic)) { ends[TopicPartition(topic, p)] = try log.partition(topic, p).highWatermark }
        return ends
    }

    deinit {
        try? backend.close()
        try? backend.log.close()
    }
}

/// Polls every consumer in turn (one thread: joins never block a poll) until `done` holds,
/// handing each non-empty poll to `handle`. Fails after `timeout` seconds.
func pollUntil(
    _ consumers: [Consumer], timeout: Double = 10, handle: (Int, ConsumerRecords) throws -> Void = { _, _ in },
    _ done: () throws -> Bool
) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !done() {
        guard Date() < deadline else { throw TestTimeout() }
        for (i, consumer) in consumers.enumerated() {
            let records = try consumer.poll(timeoutMs: 5)
            if !records.isEmpty { try handle(i, records) }
        }
    }
}

/// Polls every consumer in turn for `seconds`, handing each non-empty poll to `handle`.
func pollFor(_ consumers: [Consumer], seconds: Double, handle: (Int, ConsumerRecords) throws -> Void = { _, _ in }) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        for (i, consumer) in consumers.enumerated() {
            let records = try consumer.poll(timeoutMs: 5)
            if !records.isEmpty { try handle(i, records) }
        }
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    var description: String { "timed out waiting for the consumers" }
}

extension ConsumerRecords {
    var values: [String] { ((try? records()) ?? []).map { String(decoding: $0.value ?? [], as: UTF8.self) } }
}
