/// The writing side of `KafkaPrimitiveReader`: Kafka's classic (non-flexible) primitive encoding
/// with big-endian integers, int16-length strings, int32-length bytes and arrays, -1 for null.
///
/// Guarantees: a length that does not fit its wire type throws `valueTooLarge` (naming what is
/// written and the field) instead of being cut, except through `truncatingString`, which exists
/// for encoders that cannot fail.
struct KafkaPrimitiveWriter {
    private(set) var bytes: [UInt8] = []
    /// What is being written ("consumer-protocol assignment", "offset commit key"), for messages.
    private let what: String

    init(what: String) { self.what = what }

    mutating func int16(_ value: Int16) { append(value) }
    mutating func int32(_ value: Int32) { append(value) }
    mutating func int64(_ value: Int64) { append(value) }

    mutating func string(_ value: String, _ field: String) throws(KafkaEncodingError) {
        let utf8 = value.utf8
        guard let length = Int16(exactly: utf8.count) else {
            throw KafkaEncodingError(.valueTooLarge, "\(what): \(field) is \(utf8.count) UTF-8 bytes, more than a Kafka string holds (32767)")
        }
        int16(length)
        bytes.append(contentsOf: utf8)
    }

    /// A `string` that cannot fail: more than 32767 UTF-8 bytes are cut to that many, possibly
    /// inside a character (read such a field back with `KafkaPrimitiveReader.lossyString`). The
    /// `__consumer_offsets` record encoders write their strings so.
    mutating func truncatingString(_ value: String) {
        let utf8 = value.utf8
        int16(Int16(clamping: utf8.count))
        bytes.append(contentsOf: utf8.prefix(Int(Int16.max)))
    }

    mutating func nullableString(_ value: String?, _ field: String) throws(KafkaEncodingError) {
        guard let value else { return int16(-1) }
        try string(value, field)
    }

    mutating func nullableBytes(_ value: [UInt8]?, _ field: String) throws(KafkaEncodingError) {
        guard let value else { return int32(-1) }
        int32(try count(value.count, field))
        bytes.append(contentsOf: value)
    }

    mutating func array<C: Collection>(
        _ elements: C, _ field: String, _ element: (inout KafkaPrimitiveWriter, C.Element) throws(KafkaEncodingError) -> Void
    ) throws(KafkaEncodingError) {
        int32(try count(elements.count, field))
        for value in elements { try element(&self, value) }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private func count(_ count: Int, _ field: String) throws(KafkaEncodingError) -> Int32 {
        guard let length = Int32(exactly: count) else {
            throw KafkaEncodingError(.valueTooLarge, "\(what): \(field) has \(count) elements, more than an int32 count holds")
        }
        return length
    }
}
