import Foundation

/// Turns values into record bytes and back. A topic's key and value serdes fix its types, so a
/// stream can only be written to a topic of the same types (a compile error otherwise).
///
/// Implementations must be stateless or internally synchronised: the runtime calls one serde
/// from several task threads.
public protocol Serde<Value>: Sendable {
    associatedtype Value
    /// Appends the encoding of `value` to `bytes`.
    func encode(_ value: Value, into bytes: inout [UInt8]) throws
    func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value
}

/// UTF-8 text. Decoding rejects invalid UTF-8 (so a poison record is reported, not mangled).
public struct StringSerde: Serde {
    public init() {}

    public func encode(_ value: String, into bytes: inout [UInt8]) { bytes.append(contentsOf: value.utf8) }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> String {
        guard let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw SerdeError("the bytes are not valid UTF-8")
        }
        return text
    }
}

/// The bytes as they are.
public struct BytesSerde: Serde {
    public init() {}
    public func encode(_ value: [UInt8], into bytes: inout [UInt8]) { bytes.append(contentsOf: value) }
    public func decode(_ bytes: UnsafeRawBufferPointer) -> [UInt8] { Array(bytes) }
}

/// `Codable` values as JSON (the default for topic values).
public struct JSONSerde<Value: Codable & Sendable>: Serde {
    public init() {}

    public func encode(_ value: Value, into bytes: inout [UInt8]) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        bytes.append(contentsOf: try encoder.encode(value))
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Value.self, from: Data(bytes))
    }
}

/// A value that could not be encoded or decoded.
public struct SerdeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
