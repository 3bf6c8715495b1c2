/// A record header: a UTF-8 key (never null) and an optional value, as in Kafka.
public struct RecordHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record to append: owned bytes, used by producers and tests. The hot read path never
/// materialises these; it hands out `RecordView`s over the decoded batch instead.
public struct Record: Sendable, Hashable {
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// Milliseconds since the epoch (Kafka's CreateTime).
    public var timestamp: Int64

    public init(key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// One record inside a decoded batch. Its buffers point into the batch and are valid only inside
/// the closure that received the view; copy what you keep (`Record(view)`).
public struct RecordView {
    public let offset: Int64
    public let timestamp: Int64
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    public let headerCount: Int
    @usableFromInline let headerBytes: UnsafeRawBufferPointer

    /// The value of the first header named `key` (compared as UTF-8 bytes), without decoding
    /// the others or allocating: the hot-path lookup. `nil` when there is no such header or its
    /// value is null.
    public func headerValue(forKey key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard headerCount > 0 else { return nil }
        var reader = ByteReader(headerBytes)
        do {
            for _ in 0..<headerCount {
                let name = try reader.readBytes(length: reader.readVarint())
                let value = try reader.readBytes(length: reader.readVarint())
                if let name, name.count == key.count, name.elementsEqual(key) { return value }
            }
        } catch {
            // Unreachable: the decoder validated these bytes before handing out the view.
        }
        return nil
    }

    /// Decodes the headers. Allocates; meant for the cold path.
    public func headers() -> [RecordHeader] {
        var reader = ByteReader(headerBytes)
        var out: [RecordHeader] = []
        out.reserveCapacity(headerCount)
        do {
            for _ in 0..<headerCount {
                let keyBytes = try reader.readBytes(length: reader.readVarint()) ?? UnsafeRawBufferPointer(start: nil, count: 0)
                let valueBytes = try reader.readBytes(length: reader.readVarint())
                out.append(RecordHeader(key: String(decoding: keyBytes, as: UTF8.self), value: valueBytes.map { [UInt8]($0) }))
            }
        } catch {
            // Unreachable: the decoder validated these bytes before handing out the view.
        }
        return out
    }
}

extension Record {
    /// Copies a view out of its batch.
    public init(_ view: RecordView) {
        self.init(
            key: view.key.map { [UInt8]($0) },
            value: view.value.map { [UInt8]($0) },
            headers: view.headerCount == 0 ? [] : view.headers(),
            timestamp: view.timestamp
        )
    }
}

/// A record as read back from the log, with the offset the log gave it.
public struct StoredRecord: Sendable, Hashable {
    public var offset: Int64
    public var record: Record

    public init(offset: Int64, record: Record) {
        self.offset = offset
        self.record = record
    }
}
