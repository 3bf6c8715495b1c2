/// What an encode writes and tracks; see `JSONEncoderImpl.state`.
struct EncoderState {
    var out = OutputBuffer()
    var frames = FrameStack()
    var path: [PathElement] = []
    /// Index of the frame that owns the slot of the value now being encoded through the
    /// `Encoder` itself.
    var valueDepth = 0
    var nextSerial: UInt32 = 0
    /// Key start offsets of open objects, when keys are sorted.
    var memberStarts: [Int] = []
    /// The first misuse seen by a method that cannot throw; thrown when the encode ends.
    var deferredError: EncodingError?
    var convertToSnakeCase = false
    var sortedKeys = false
    /// The next container opened is a `[String: V]`'s (see `Frame.rawKeys`).
    var rawKeysForNextContainer = false

    mutating func reset(_ options: FastJSONEncoder.Options) {
        convertToSnakeCase = options.keyEncodingStrategy == .convertToSnakeCase
        sortedKeys = options.outputFormatting.contains(.sortedKeys)
        out.truncate(to: 0)
        frames.removeAll()
        path.removeAll(keepingCapacity: true)
        memberStarts.removeAll(keepingCapacity: true)
        deferredError = nil
        valueDepth = 0
        nextSerial = 1
        frames.append(Frame(kind: .root, serial: 0, awaitingValue: true, pathBase: 0, membersBase: 0, start: 0))
    }

    func codingPath(_ count: Int) -> [any CodingKey] { path.prefix(count).map(\.codingKey) }

    // MARK: Frames

    /// Opens a container in the slot owned by frame `owner`; a second request for the same
    /// value's container gets the one already open. Returns its depth and serial, or an
    /// unusable pair (depth -1) after recording the misuse.
    mutating func openContainer(_ kind: Frame.Kind, owner: Int, pathBase: Int) -> (depth: Int, serial: UInt32) {
        guard owner >= 0, owner < frames.count else { return misuse("A container was requested from an encoder whose value is already finished.") }
        if !frames[owner].awaitingValue && frames.count > owner + 1 {
            guard frames[owner + 1].kind == kind else { return misuse("A value asked for a keyed and an unkeyed container at once.") }
            return (owner + 1, frames[owner + 1].serial)
        }
        guard frames.count == owner + 1, frames[owner].awaitingValue else {
            return misuse("A container was requested for a value that was already encoded.")
        }
        frames[owner].awaitingValue = false
        out.append(kind == .object ? ASCII.openBrace : ASCII.openBracket)
        let serial = nextSerial
        nextSerial &+= 1
        frames.append(
            Frame(kind: kind, serial: serial, pathBase: pathBase, membersBase: memberStarts.count, start: out.count - 1, rawKeys: rawKeysForNextContainer))
        rawKeysForNextContainer = false
        return (frames.count - 1, serial)
    }

    private mutating func misuse(_ message: String) -> (depth: Int, serial: UInt32) {
        if deferredError == nil { deferredError = invalidUse(message, value: ()) }
        return (-1, .max)
    }

    func invalidUse(_ message: String, value: Any) -> EncodingError {
        let path = codingPath(path.count)
        return .invalidValue(
            value, EncodingError.Context(codingPath: path, debugDescription: message, underlyingError: JSONError(.invalidContainerUse, offset: nil, codingPath: path, message)))
    }

    /// Writes the closing brackets of every container above frame `depth`.
    mutating func closeFrames(above depth: Int) {
        while frames.count > depth + 1 {
            let frame = frames.removeLast()
            if frame.awaitingValue { out.append("{}") }
            if frame.kind == .object {
                if sortedKeys {
                    sortMembers(of: frame)
                    memberStarts.removeSubrange(frame.membersBase...)
                }
                out.append(ASCII.closeBrace)
            } else {
                out.append(ASCII.closeBracket)
            }
            path.removeSubrange(frame.pathBase...)
        }
    }

    /// After a nested value's `encode(to:)`: closes what it opened, writes `{}` if it encoded
    /// nothing (as Foundation does), and drops its path.
    mutating func finishNested(owner: Int, pathCount: Int) {
        rawKeysForNextContainer = false
        closeFrames(above: owner)
        if frames[owner].awaitingValue {
            out.append("{}")
            frames[owner].awaitingValue = false
        }
        path.removeSubrange(pathCount...)
    }

    /// Makes the container (`depth`, `serial`) the innermost open one, closing those nested in
    /// it and filling a super encoder's slot that was left empty; throws if it is closed.
    @inline(__always)
    mutating func activate(_ depth: Int, _ serial: UInt32, value: @autoclosure () -> Any) throws {
        if _slowPath(depth < 0 || frames.count != depth + 1 || frames[depth].serial != serial || frames[depth].awaitingValue) {
            try activateSlow(depth, serial, value: value())
        }
    }

    @inline(never)
    private mutating func activateSlow(_ depth: Int, _ serial: UInt32, value: Any) throws {
        guard depth >= 0, depth < frames.count, frames[depth].serial == serial else {
            throw invalidUse("A container was used after a container around it moved on; FastJSONEncoder writes containers in nesting order.", value: value)
        }
        closeFrames(above: depth)
        if frames[depth].awaitingValue {
            out.append("{}")
            frames[depth].awaitingValue = false
        }
    }

    /// Starts a member of the object at `depth`: comma, key, colon.
    @inline(__always)
    mutating func beginMember<Key: CodingKey>(_ depth: Int, _ serial: UInt32, _ key: Key, value: @autoclosure () -> Any) throws {
        try activate(depth, serial, value: value())
        if frames[depth].count > 0 { out.append(ASCII.comma) }
        frames[depth].count += 1
        if sortedKeys { memberStarts.append(out.count) }
        writeKey(key, raw: frames[depth].rawKeys)
        out.append(ASCII.colon)
    }

    /// Starts an element of the array at `depth`: the comma. Returns the element's index.
    @inline(__always)
    mutating func beginElement(_ depth: Int, _ serial: UInt32, value: @autoclosure () -> Any) throws -> Int {
        try activate(depth, serial, value: value())
        if frames[depth].count > 0 { out.append(ASCII.comma) }
        frames[depth].count += 1
        return Int(frames[depth].count) - 1
    }

    /// Reserves the slot just begun in frame `owner` and opens a container in it.
    mutating func openNested(_ kind: Frame.Kind, owner: Int, at element: PathElement) -> (depth: Int, serial: UInt32, pathCount: Int) {
        frames[owner].awaitingValue = true
        let base = path.count
        path.append(element)
        let (depth, serial) = openContainer(kind, owner: owner, pathBase: base)
        return (depth, serial, path.count)
    }

    @inline(__always)
    mutating func writeKey<Key: CodingKey>(_ key: Key, raw: Bool) {
        var name = key.stringValue
        guard convertToSnakeCase && !raw else { return name.withUTF8 { out.appendString($0) } }
        name.withUTF8 { utf8 in
            // Plain ASCII keys (no escapes needed) are converted straight into the output;
            // keys without capitals are their own snake case.
            var capitals = false
            for c in utf8 {
                guard c >= ASCII.space && c < 0x80 && c != ASCII.quote && c != ASCII.backslash else { return writeConvertedKey(utf8) }
                capitals = capitals || SnakeCase.isUpper(c)
            }
            guard capitals else { return out.appendString(utf8) }
            out.reserve(2 * utf8.count + 2)
            out.append(ASCII.quote)
            SnakeCase.forEachWord(utf8, isUpper: SnakeCase.isUpper(_:), isLower: SnakeCase.isLower(_:)) { word in
                if word.lowerBound > 0 { out.append(ASCII.underscore) }
                for k in word { out.append(SnakeCase.lower(utf8[k])) }
            }
            out.append(ASCII.quote)
        }
    }

    /// Any other key: converted as a `String`, then escaped.
    @inline(never)
    mutating func writeConvertedKey(_ utf8: UnsafeBufferPointer<UInt8>) {
        var converted = SnakeCase.toSnakeCase(String(decoding: utf8, as: UTF8.self))
        converted.withUTF8 { out.appendString($0) }
    }

    // MARK: Values

    /// Writes a primitive into the slot just begun.
    @inline(__always)
    mutating func write<T: JSONScalar>(_ value: T, at element: @autoclosure () -> PathElement?) throws {
        guard value.write(to: &out) else { throw nonConforming(value, at: element()) }
    }

    @inline(never)
    func nonConforming<T: JSONScalar>(_ value: T, at element: PathElement?) -> EncodingError {
        var path = codingPath(path.count)
        if let element { path.append(element.codingKey) }
        let message = "Unable to encode \(T.self).\(value) directly in JSON."
        return .invalidValue(
            value, EncodingError.Context(codingPath: path, debugDescription: message, underlyingError: JSONError(.nonConformingFloat, offset: nil, codingPath: path, message)))
    }
}
