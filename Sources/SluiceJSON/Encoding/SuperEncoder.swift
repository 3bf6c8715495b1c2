/// The encoder `superEncoder()` returns: it fills the slot its container reserved (under
/// `"super"` or the given key, or the next array element). Left unused, the slot becomes `{}`,
/// as in Foundation.
final class SuperEncoder: Encoder {
    let impl: JSONEncoderImpl
    let owner: Int
    let serial: UInt32
    let codingPath: [any CodingKey]

    init(impl: JSONEncoderImpl, owner: Int, serial: UInt32, path: [any CodingKey]) {
        self.impl = impl
        self.owner = owner
        self.serial = serial
        self.codingPath = path
    }

    var userInfo: [CodingUserInfoKey: Any] { impl.userInfo }

    /// Whether the reserved slot can still take its value: nothing else was written since.
    private var slotOpen: Bool {
        owner >= 0 && owner < impl.state.pointee.frames.count && impl.state.pointee.frames[owner].serial == serial && impl.state.pointee.frames[owner].awaitingValue
    }

    private func open(_ kind: Frame.Kind) -> (depth: Int, serial: UInt32, pathCount: Int) {
        guard slotOpen else {
            impl.record(impl.state.pointee.invalidUse("A super encoder was used after its container moved on.", value: ()))
            return (-1, .max, 0)
        }
        impl.state.pointee.closeFrames(above: owner)
        let base = impl.state.pointee.path.count
        impl.state.pointee.path.append(.key(codingPath.last ?? JSONKey.super))
        let (depth, serial) = impl.state.pointee.openContainer(kind, owner: owner, pathBase: base)
        return (depth, serial, impl.state.pointee.path.count)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let (depth, serial, pathCount) = open(.object)
        return KeyedEncodingContainer(KeyedEncoding<Key>(impl: impl, depth: depth, serial: serial, pathCount: pathCount))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let (depth, serial, pathCount) = open(.array)
        return UnkeyedEncoding(impl: impl, depth: depth, serial: serial, pathCount: pathCount)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        if slotOpen { impl.state.pointee.closeFrames(above: owner) }
        return SingleValueEncoding(impl: impl, owner: owner, serial: serial)
    }
}
