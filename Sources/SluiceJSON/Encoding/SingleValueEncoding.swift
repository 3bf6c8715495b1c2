/// The single value container of the slot owned by frame `owner`: one value, once.
struct SingleValueEncoding: SingleValueEncodingContainer, PrimitiveEncodingContainer {
    let impl: JSONEncoderImpl
    let owner: Int
    let serial: UInt32

    var codingPath: [any CodingKey] { impl.codingPath }

    /// Claims the slot, or throws if it is filled, closed, or has a container open in it.
    @inline(__always)
    private func claim(_ value: @autoclosure () -> Any) throws {
        guard owner >= 0, impl.state.pointee.frames.count == owner + 1, impl.state.pointee.frames[owner].serial == serial, impl.state.pointee.frames[owner].awaitingValue else {
            throw impl.state.pointee.invalidUse("A single value container was used after its value was encoded.", value: value())
        }
        impl.state.pointee.frames[owner].awaitingValue = false
    }

    @inline(__always)
    func primitive<T: JSONScalar>(_ value: T) throws {
        try claim(value)
        try impl.state.pointee.write(value, at: nil)
    }

    mutating func encodeNil() throws {
        try claim(Optional<Any>.none as Any)
        impl.state.pointee.out.append("null")
    }

    mutating func encode(_ value: Int128) throws { try primitive(value) }
    mutating func encode(_ value: UInt128) throws { try primitive(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        guard owner >= 0, impl.state.pointee.frames.count == owner + 1, impl.state.pointee.frames[owner].serial == serial, impl.state.pointee.frames[owner].awaitingValue else {
            throw impl.state.pointee.invalidUse("A single value container was used after its value was encoded.", value: value)
        }
        try impl.encodeNested(value, owner: owner, at: nil)
    }
}
