import Sluice
import SluiceJSON

/// `Codable` values as snake_case JSON through SluiceJSON's `FastJSONDecoder`/`FastJSONEncoder`:
/// the same bytes as the DSL's default `JSONSerde`, which still goes through Foundation's
/// `JSONDecoder` (measured here: about two thirds of this job's run time went there).
///
/// Delete this file and use the plain `Topic(name)` initialisers once `JSONSerde` itself is
/// built on SluiceJSON.
struct FastJSONSerde<Value: Codable & Sendable>: Serde {
    private let decoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
    private let encoder = FastJSONEncoder(keyEncodingStrategy: .convertToSnakeCase)

    func encode(_ value: Value, into bytes: inout [UInt8]) throws { try encoder.encode(value, into: &bytes) }

    func decode(_ bytes: UnsafeRawBufferPointer) throws -> Value { try decoder.decode(Value.self, from: bytes) }
}

extension Topic where Key == String, Value: Codable & Sendable {
    /// String keys, JSON values through SluiceJSON (see `FastJSONSerde`).
    static func fastJSON(_ name: String) -> Topic { Topic(name, key: StringSerde(), value: FastJSONSerde<Value>()) }
}
