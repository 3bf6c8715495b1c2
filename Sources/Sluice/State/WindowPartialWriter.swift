import SluiceLog
import SluiceWindows

/// The first half's output of a pre-aggregated windowed aggregation: writes a task's running
/// aggregate of a (key, window) to the repartition topic, keyed by the grouping key (so every
/// partial of a key meets in one task) with the window bounds before the aggregate, and tags it
/// with its producer (this task) and the key's version in a `sluice.origin` header, which is
/// what lets `WindowCombineStore` keep only the newest partial of each producer.
///
/// Value layout: `i64 start, i64 end` (big-endian), then the aggregate serde's bytes.
final class WindowPartialWriter<Key, Aggregate> {
    private let topic: String
    private let keySerde: any Serde<Key>
    private let aggregateSerde: any Serde<Aggregate>
    private let context: TaskContext
    private let producer: UInt32
    private var keyBytes: [UInt8] = []
    private var valueBytes: [UInt8] = []
    private var headers = [RecordHeader(key: RecordOrigin.headerKey, value: [UInt8](repeating: 0, count: RecordOrigin.encodedSize))]

    init(topic: TopicName, producer: TopicName, keySerde: any Serde<Key>, aggregateSerde: any Serde<Aggregate>, context: TaskContext) {
        self.topic = topic.resolved(in: context.scope)
        self.producer = RecordOrigin.source(of: producer.resolved(in: context.scope))
        self.keySerde = keySerde
        self.aggregateSerde = aggregateSerde
        self.context = context
    }

    /// Writes `aggregate`, the running aggregate of `key`'s `window` in this task, as of
    /// `version` (`AppliedOrigins.version(of:)`), timestamped with the window's latest record.
    func write(key: Key, window: Window, aggregate: Aggregate, timestamp: Int64, version: Int64) throws {
        keyBytes.removeAll(keepingCapacity: true)
        try keySerde.encode(key, into: &keyBytes)
        valueBytes.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: window.start.bigEndian) { valueBytes.append(contentsOf: $0) }
        withUnsafeBytes(of: window.end.bigEndian) { valueBytes.append(contentsOf: $0) }
        try aggregateSerde.encode(aggregate, into: &valueBytes)
        let origin = RecordOrigin(source: producer, partition: context.partition, offset: version)
        headers[0].value?.withUnsafeMutableBytes { origin.write(into: $0) }
        try context.send(topic: topic, partition: nil, key: keyBytes, value: valueBytes, headers: headers, timestamp: timestamp)
    }
}
