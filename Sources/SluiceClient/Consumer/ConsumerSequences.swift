import SluiceGroups

/// `Consumer.records()`: every record, one at a time. Asking for the next record marks the
/// previous one processed (and commits it in `record` mode); finishing a poll's records applies
/// the AckMode's batch rule.
public struct ConsumerRecordSequence: AsyncSequence, Sendable {
    public typealias Element = ConsumerRecord
    let consumer: Consumer
    let pollTimeoutMs: Int

    public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer, pollTimeoutMs: pollTimeoutMs) }

    public struct Iterator: AsyncIteratorProtocol {
        let consumer: Consumer
        let pollTimeoutMs: Int
        var batch: ConsumerRecords?
        var buffer: [ConsumerRecord] = []
        var index = 0

        public mutating func next() async throws -> ConsumerRecord? {
            let mode = consumer.configuration.ackMode
            if index > 0, !mode.isManual {
                let previous = buffer[index - 1]
                consumer.markProcessed(previous)
                if mode == .record { try consumer.commitProcessed() }
            }
            if index == buffer.count {
                if let batch { try consumer.afterPoll(count: batch.count) }
                guard let next = try await consumer.nextBatch(pollTimeoutMs: pollTimeoutMs) else { return nil }
                batch = next
                buffer = try next.records()
                index = 0
            }
            index += 1
            return buffer[index - 1]
        }
    }
}

/// `Consumer.batches()`: each poll as one element. Asking for the next batch marks the previous
/// one processed and applies the AckMode.
public struct ConsumerBatchSequence: AsyncSequence, Sendable {
    public typealias Element = ConsumerRecords
    let consumer: Consumer
    let pollTimeoutMs: Int

    public func makeAsyncIterator() -> Iterator { Iterator(consumer: consumer, pollTimeoutMs: pollTimeoutMs) }

    public struct Iterator: AsyncIteratorProtocol {
        let consumer: Consumer
        let pollTimeoutMs: Int
        var previous: ConsumerRecords?

        public mutating func next() async throws -> ConsumerRecords? {
            if let previous {
                if !consumer.configuration.ackMode.isManual { consumer.markProcessed(previous) }
                try consumer.afterPoll(count: previous.count)
            }
            previous = try await consumer.nextBatch(pollTimeoutMs: pollTimeoutMs)
            return previous
        }
    }
}
