import Foundation
import SluiceJSON
import Testing

/// Nicolas Seriot's JSONTestSuite (vendored in `JSONTestSuite/`, MIT): every `y_` document must
/// decode, every `n_` document must be rejected, `i_` documents may go either way but must not
/// crash. Each is decoded as a `JSONValue` (the whole document) and also indexed through the
/// reader API.
@Suite("JSONTestSuite")
struct JSONTestSuiteTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("JSONTestSuite/test_parsing")

    static func files(_ prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Decodes `bytes` as a whole document; true if accepted.
    static func accepts(_ bytes: [UInt8]) -> Bool {
        (try? FastJSONDecoder().decode(JSONValue.self, from: bytes)) != nil
    }

    @Test func corpusIsPresent() {
        #expect(Self.files("y_").count == 95)
        #expect(Self.files("n_").count == 188)
        #expect(Self.files("i_").count == 35)
    }

    @Test(arguments: files("y_"))
    func accepted(_ name: String) throws {
        let bytes = try Self.bytes(name)
        let value = try FastJSONDecoder().decode(JSONValue.self, from: bytes)
        // What was accepted reads back the same through the encoder (numbers compared by
        // value: `1E22` is `.double` and is written back as `1e+22`, `0e1` as `0`, an `.int`).
        let again = try FastJSONDecoder().decode(JSONValue.self, from: try FastJSONEncoder().encode(value))
        #expect(RoundTripNumbers.equal(again, value))
        #expect(try FastJSONDecoder().read(bytes) { $0.kind } == Self.kind(of: value))
    }

    @Test(arguments: files("n_"))
    func rejected(_ name: String) throws {
        let bytes = try Self.bytes(name)
        let error = JSONTest.jsonError { _ = try FastJSONDecoder().decode(JSONValue.self, from: bytes) }
        #expect(error != nil, "\(name) was accepted")
        if let offset = error?.offset { #expect(offset >= 0 && offset <= bytes.count) }
        #expect(throws: JSONError.self) { try FastJSONDecoder().read(bytes) { _ in } }
    }

    @Test(arguments: files("i_"))
    func implementationDefined(_ name: String) throws {
        let bytes = try Self.bytes(name)
        _ = Self.accepts(bytes)
        _ = try? FastJSONDecoder().read(bytes) { $0.kind }
    }

    /// The documented choices for the `i_` files: what this decoder does with each.
    @Test func implementationDefinedChoices() throws {
        // Lone and reversed surrogates are rejected (strict), as Foundation does.
        #expect(!Self.accepts(try Self.bytes("i_string_1st_surrogate_but_2nd_missing.json")))
        #expect(!Self.accepts(try Self.bytes("i_string_incomplete_surrogate_and_escape_valid.json")))
        #expect(!Self.accepts(try Self.bytes("i_string_inverted_surrogates_U+1D11E.json")))
        // Invalid UTF-8 in strings is rejected.
        #expect(!Self.accepts(try Self.bytes("i_string_invalid_utf-8.json")))
        #expect(!Self.accepts(try Self.bytes("i_string_UTF-16LE_with_BOM.json")))
        // A UTF-8 byte order mark is skipped (Foundation does too).
        #expect(Self.accepts(try Self.bytes("i_structure_UTF-8_BOM_empty_object.json")))
        // 500 nested arrays are within the default depth of 512.
        #expect(Self.accepts(try Self.bytes("i_structure_500_nested_arrays.json")))
        // Numbers that overflow Double are "not representable", as in Foundation.
        #expect(!Self.accepts(try Self.bytes("i_number_huge_exp.json")))
        #expect(!Self.accepts(try Self.bytes("i_number_real_pos_overflow.json")))
        // Integers beyond Int64 become doubles in a JSONValue.
        #expect(try FastJSONDecoder().decode(JSONValue.self, from: Self.bytes("i_number_too_big_pos_int.json")) == .array([.double(1e20)]))
    }

    static func kind(of value: JSONValue) -> JSONKind {
        switch value {
        case .null: .null
        case .bool: .bool
        case .int, .double: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }
}
