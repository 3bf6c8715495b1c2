public import SluiceWindows

/// The key of a windowed aggregate: the grouping key and the window (Kafka Streams'
/// `Windowed<K>`). `window` is half-open, `[start, end)`; `window.last` is Kafka's inclusive
/// end for sliding and session windows.
public struct Windowed<Key> {
    public var key: Key
    public var window: Window

    public init(key: Key, window: Window) {
        self.key = key
        self.window = window
    }
}

extension Windowed: Sendable where Key: Sendable {}
extension Windowed: Equatable where Key: Equatable {}
extension Windowed: Hashable where Key: Hashable {}

extension Windowed: CustomStringConvertible {
    public var description: String { "\(key)@\(window)" }
}

/// A windowed key as bytes: the inner key's bytes, then the window's start and end as 8-byte
/// big-endian integers. Kafka's `TimeWindowedSerializer` writes the key and start only (the end
/// follows from the window size) and its session serializer end then start; writing both
/// bounds lets one layout round-trip every window kind without knowing the window definition.
public struct WindowedSerde<Key>: Serde {
    public let keySerde: any Serde<Key>

    public init(_ keySerde: some Serde<Key>) { self.keySerde = keySerde }

    public func encode(_ value: Windowed<Key>, into bytes: inout [UInt8]) throws {
        try keySerde.encode(value.key, into: &bytes)
        withUnsafeBytes(of: value.window.start.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: value.window.end.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> Windowed<Key> {
        guard bytes.count >= 16 else { throw SerdeError("a windowed key needs at least 16 bytes (window start and end), got \(bytes.count)") }
        let split = bytes.count - 16
        let start = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: split, as: Int64.self))
        let end = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: split + 8, as: Int64.self))
        guard start < end else { throw SerdeError("a windowed key's window [\(start), \(end)) is empty") }
        let key = try keySerde.decode(UnsafeRawBufferPointer(rebasing: bytes[..<split]))
        return Windowed(key: key, window: Window(start: start, end: end))
    }
}

extension Topic where Key == Windowed<String>, Value: Codable & Sendable {
    /// Windowed string keys (`WindowedSerde`), JSON values: the shape of a windowed aggregate.
    public init(_ name: String) {
        self.init(name, key: WindowedSerde(StringSerde()), value: JSONSerde<Value>())
    }
}
