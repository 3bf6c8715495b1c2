/// An unkeyed container writing into the array at frame `depth` (three words, so the
/// `any UnkeyedEncodingContainer` holding it needs no allocation).
struct UnkeyedEncoding: UnkeyedEncodingContainer, PrimitiveEncodingContainer {
    let impl: JSONEncoderImpl
    let depth: Int
    let serial: UInt32
    let pathCount: Int

    init(impl: JSONEncoderImpl, depth: Int, serial: UInt32, pathCount: Int) {
        self.impl = impl
        self.depth = depth
        self.serial = serial
        self.pathCount = pathCount
    }

    var codingPath: [any CodingKey] { impl.state.pointee.codingPath(pathCount) }

    var count: Int {
        guard depth >= 0, depth < impl.state.pointee.frames.count, impl.state.pointee.frames[depth].serial == serial else { return 0 }
        return Int(impl.state.pointee.frames[depth].count)
    }

    @inline(__always)
    func primitive<T: JSONScalar>(_ value: T) throws {
        let index = try impl.state.pointee.beginElement(depth, serial, value: value)
        try impl.state.pointee.write(value, at: .index(index))
    }

    mutating func encodeNil() throws {
        _ = try impl.state.pointee.beginElement(depth, serial, value: Optional<Any>.none as Any)
        impl.state.pointee.out.append("null")
    }

    mutating func encode(_ value: Int128) throws { try primitive(value) }
    mutating func encode(_ value: UInt128) throws { try primitive(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try impl.state.pointee.beginElement(depth, serial, value: value)
        try impl.encodeNested(value, owner: depth, at: .index(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (depth, serial, pathCount) = open(.object)
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(impl: impl, depth: depth, serial: serial, pathCount: pathCount))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (depth, serial, pathCount) = open(.array)
        return UnkeyedEncoding(impl: impl, depth: depth, serial: serial, pathCount: pathCount)
    }

    private func open(_ kind: Frame.Kind) -> (depth: Int, serial: UInt32, pathCount: Int) {
        do {
            let index = try impl.state.pointee.beginElement(depth, serial, value: ())
            return impl.state.pointee.openNested(kind, owner: depth, at: .index(index))
        } catch {
            impl.record(error)
            return (-1, .max, pathCount)
        }
    }

    mutating func superEncoder() -> any Encoder {
        do {
            let index = try impl.state.pointee.beginElement(depth, serial, value: ())
            impl.state.pointee.frames[depth].awaitingValue = true
            return SuperEncoder(impl: impl, owner: depth, serial: serial, path: codingPath + [JSONKey(index: index)])
        } catch {
            impl.record(error)
            return SuperEncoder(impl: impl, owner: -1, serial: .max, path: [])
        }
    }
}
