/// The `encode(_:)` overloads that single value and unkeyed containers share: each writes its
/// value through the container's `primitive(_:)`. (`Int128` and `UInt128` are spelled out in
/// each container: the standard library's own defaults for them would make these ambiguous.)
protocol PrimitiveEncodingContainer {
    mutating func primitive<T: JSONScalar>(_ value: T) throws
}

extension PrimitiveEncodingContainer {
    mutating func encode(_ value: Bool) throws { try primitive(value) }
    mutating func encode(_ value: String) throws { try primitive(value) }
    mutating func encode(_ value: Double) throws { try primitive(value) }
    mutating func encode(_ value: Float) throws { try primitive(value) }
    mutating func encode(_ value: Int) throws { try primitive(value) }
    mutating func encode(_ value: Int8) throws { try primitive(value) }
    mutating func encode(_ value: Int16) throws { try primitive(value) }
    mutating func encode(_ value: Int32) throws { try primitive(value) }
    mutating func encode(_ value: Int64) throws { try primitive(value) }
    mutating func encode(_ value: UInt) throws { try primitive(value) }
    mutating func encode(_ value: UInt8) throws { try primitive(value) }
    mutating func encode(_ value: UInt16) throws { try primitive(value) }
    mutating func encode(_ value: UInt32) throws { try primitive(value) }
    mutating func encode(_ value: UInt64) throws { try primitive(value) }
}
