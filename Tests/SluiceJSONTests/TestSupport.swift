import Foundation
import SluiceJSON
import Testing

/// Shared helpers: decoding from text, and comparing with Foundation.
enum JSONTest {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String, snake: Bool = false) throws -> T {
        let decoder = FastJSONDecoder(keyDecodingStrategy: snake ? .convertFromSnakeCase : .useDefaultKeys)
        return try decoder.decode(type, from: Array(text.utf8))
    }

    static func foundationDecode<T: Decodable>(_ type: T.Type, _ text: String, snake: Bool = false) throws -> T {
        let decoder = JSONDecoder()
        if snake { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        return try decoder.decode(type, from: Data(text.utf8))
    }

    static func encode<T: Encodable>(_ value: T, snake: Bool = false, sorted: Bool = false) throws -> String {
        let encoder = FastJSONEncoder(keyEncodingStrategy: snake ? .convertToSnakeCase : .useDefaultKeys, outputFormatting: sorted ? .sortedKeys : [])
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The `JSONError` behind a decoding failure.
    static func jsonError(_ body: () throws -> Void) -> JSONError? {
        do {
            try body()
            return nil
        } catch let error as DecodingError {
            return error.jsonError
        } catch let error as EncodingError {
            return error.jsonError
        } catch let error as JSONError {
            return error
        } catch {
            return nil
        }
    }

    /// The `DecodingError` thrown by `body`, if any.
    static func decodingError(_ body: () throws -> Void) -> DecodingError? {
        do {
            try body()
            return nil
        } catch let error as DecodingError {
            return error
        } catch {
            return nil
        }
    }

    static func pathString(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: "/")
    }
}

/// `JSONValue`s compared with numbers as `Double`s (Foundation's decoder turns `1.0` into
/// `.int(1)` through `Int64`'s lenient decoding; this decoder keeps it `.double`).
enum RoundTripNumbers {
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }
}
