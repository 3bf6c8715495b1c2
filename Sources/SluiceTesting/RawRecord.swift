public import SluiceLog

/// A record as stored, bytes and all: what `PipelineTestDriver.rawRecords` returns, for dead
/// letters (original bytes plus `sluice.*` error headers) and anything a serde cannot read.
public struct RawRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the epoch.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The value of the last header named `key` (nil if there is none, or its value is null).
    public func header(_ key: String) -> [UInt8]? {
        headers.last { $0.key == key }?.value
    }
}
