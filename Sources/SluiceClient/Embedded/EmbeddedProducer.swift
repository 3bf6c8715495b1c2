import SluiceLog

/// A producer on the embedded log: `LogProducer` (batching, compression, group-commit fsync),
/// whose per-record completions carry the acknowledged offsets.
final class EmbeddedProducer: ProducerBackend {
    private let producer: LogProducer

    init(log: LogManager, configuration: ProducerConfiguration) {
        var settings = LogProducerConfiguration()
        settings.lingerMs = configuration.lingerMs
        settings.batchSize = configuration.batchSize
        settings.bufferMemory = configuration.bufferMemory
        producer = LogProducer(log: log, configuration: settings)
    }

    func send(
        topic: String, partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [RecordHeader],
        timestamp: Int64?, completion: (@Sendable (Result<RecordMetadata, any Error>) -> Void)?
    ) throws {
        var onAcknowledged: RecordCompletion?
        if let completion {
            onAcknowledged = { result in
                completion(result.map { ack in RecordMetadata(topic: ack.topic, partition: ack.partition, offset: ack.offset) })
            }
        }
        _ = try producer.send(
            topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp, completion: onAcknowledged)
    }

    func flush() throws { try producer.flush() }

    func makeSession() throws -> any ProducerSessionBackend { producer.makeSession() }

    func close() throws { try producer.close() }
}
