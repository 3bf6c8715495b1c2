/// A keyed container writing into the object at frame `depth`.
struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let impl: JSONEncoderImpl
    let depth: Int
    let serial: UInt32
    let pathCount: Int

    var codingPath: [any CodingKey] { impl.state.pointee.codingPath(pathCount) }

    @inline(__always)
    private func primitive<T: JSONScalar>(_ value: T, _ key: Key) throws {
        try impl.state.pointee.beginMember(depth, serial, key, value: value)
        try impl.state.pointee.write(value, at: .key(key))
    }

    mutating func encodeNil(forKey key: Key) throws {
        try impl.state.pointee.beginMember(depth, serial, key, value: Optional<Any>.none as Any)
        impl.state.pointee.out.append("null")
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try primitive(value, key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try primitive(value, key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try impl.state.pointee.beginMember(depth, serial, key, value: value)
        try impl.encodeNested(value, owner: depth, at: .key(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let (depth, serial, pathCount) = open(.object, key)
        return KeyedEncodingContainer(KeyedEncoding<NestedKey>(impl: impl, depth: depth, serial: serial, pathCount: pathCount))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let (depth, serial, pathCount) = open(.array, key)
        return UnkeyedEncoding(impl: impl, depth: depth, serial: serial, pathCount: pathCount)
    }

    private func open(_ kind: Frame.Kind, _ key: Key) -> (depth: Int, serial: UInt32, pathCount: Int) {
        do {
            try impl.state.pointee.beginMember(depth, serial, key, value: ())
        } catch {
            impl.record(error)
            return (-1, .max, pathCount)
        }
        return impl.state.pointee.openNested(kind, owner: depth, at: .key(key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(JSONKey.super) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key) }

    private func superEncoder<K: CodingKey>(_ key: K) -> any Encoder {
        do {
            try impl.state.pointee.beginMember(depth, serial, key, value: ())
        } catch {
            impl.record(error)
            return SuperEncoder(impl: impl, owner: -1, serial: .max, path: [])
        }
        impl.state.pointee.frames[depth].awaitingValue = true
        return SuperEncoder(impl: impl, owner: depth, serial: serial, path: codingPath + [key])
    }
}
