/// A topic with the types of its keys and values. The serdes come with the types, so
/// `stream.to(topic)` compiles only when the stream carries exactly those types.
public struct Topic<Key, Value>: Sendable {
    public let name: String
    public let keySerde: any Serde<Key>
    public let valueSerde: any Serde<Value>

    public init(_ name: String, key: some Serde<Key>, value: some Serde<Value>) {
        self.name = name
        self.keySerde = key
        self.valueSerde = value
    }
}

extension Topic where Key == String, Value: Codable & Sendable {
    /// String keys, JSON values: the usual shape of an event topic.
    public init(_ name: String) {
        self.init(name, key: StringSerde(), value: JSONSerde<Value>())
    }
}

extension Topic where Key == String, Value: Codable & Sendable & JSONReadable & JSONWritable {
    /// String keys, JSON values read and written by the type's own reader and writer, called
    /// directly (see `JSONSerde`'s init for such types).
    @inlinable
    public init(_ name: String) {
        self.init(name, key: StringSerde(), value: JSONSerde<Value>())
    }
}

extension Topic where Key == String, Value == String {
    public init(_ name: String) {
        self.init(name, key: StringSerde(), value: StringSerde())
    }
}

/// One record flowing through a branch: key (nil for records without one), value and
/// event timestamp (ms since the epoch; the source record's timestamp unless changed).
public struct Record<Key, Value> {
    public var key: Key?
    public var value: Value
    public var timestamp: Int64

    /// Inlinable so that operators build records in the pipeline's module, for its concrete
    /// types: a cross-module generic init would move every field through value witnesses.
    @inlinable
    public init(key: Key?, value: Value, timestamp: Int64) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }
}

extension Record: Sendable where Key: Sendable, Value: Sendable {}
