/// What the `JSONReader` family falls back to on the tape (see `ReaderState`): the decoder's
/// lookups and conversions, with failures as `JSONError`s instead of `DecodingError`s.
extension JSONDecoderImpl {
    // Each entry point is one call from the inlined reader into this module, with the lookup
    // and the conversion inlined into it (only failures and unusual objects go out of line).

    @usableFromInline
    func readString(at index: UInt32) throws(JSONError) -> String { try stringValue(at: index) }

    @usableFromInline
    func readBool(at index: UInt32) throws(JSONError) -> Bool { try boolValue(at: index) }

    @usableFromInline
    func readDouble(at index: UInt32) throws(JSONError) -> Double { try doubleValue(at: index) }

    @usableFromInline
    func readFloat(at index: UInt32) throws(JSONError) -> Float { try floatValue(at: index) }

    @usableFromInline
    func readInt(at index: UInt32) throws(JSONError) -> Int { try integerValue(Int.self, at: index) }

    @usableFromInline
    func readInt64(at index: UInt32) throws(JSONError) -> Int64 { try integerValue(Int64.self, at: index) }

    @usableFromInline
    func readUInt64(at index: UInt32) throws(JSONError) -> UInt64 { try integerValue(UInt64.self, at: index) }

    /// The UTF-8 bytes of the string at `index` (escapes decoded into scratch memory, valid
    /// until the next string with escapes is decoded or the read ends).
    @usableFromInline
    func readStringBytes(at index: UInt32) throws(JSONError) -> UnsafeRawBufferPointer { try stringBytes(at: index) }

    @inline(__always)
    func stringBytes(at index: UInt32) throws(JSONError) -> UnsafeRawBufferPointer {
        let e = entry(index)
        guard e.kind == .string, scratch.live else {
            throw readFailure(!scratch.live ? .usedAfterReturn : e.kind == .null ? .null : .type(e.kind), String.self, at: index)
        }
        let p = bytes + Int(e.start)
        if e.flags & TapeFlags.escaped == 0 { return UnsafeRawBufferPointer(start: p, count: Int(e.length)) }
        return scratch.unescaped(p, Int(e.length))
    }

    /// The error for a string at `index` that the reading type does not accept as a `type`.
    @usableFromInline @inline(never)
    func invalidValue(at index: UInt32, _ type: Any.Type) -> JSONError {
        let e = entry(index)
        let text = scratch.live ? StringDecoding.plain(bytes + Int(e.start), Int(e.length)) : ""
        return JSONError(.invalidValue, offset: offset(of: index), codingPath: path(to: index), "Cannot initialize \(type) from invalid String value \"\(text)\".")
    }

    // The conversions, with failures as `JSONError`s.

    @inline(__always)
    func stringValue(at index: UInt32) throws(JSONError) -> String {
        do { return try string(at: index) } catch { throw readFailure(error, String.self, at: index) }
    }

    @inline(__always)
    func boolValue(at index: UInt32) throws(JSONError) -> Bool {
        do { return try bool(at: index) } catch { throw readFailure(error, Bool.self, at: index) }
    }

    @inline(__always)
    func doubleValue(at index: UInt32) throws(JSONError) -> Double {
        do { return try double(at: index) } catch { throw readFailure(error, Double.self, at: index) }
    }

    @inline(__always)
    func floatValue(at index: UInt32) throws(JSONError) -> Float {
        do { return try float(at: index) } catch { throw readFailure(error, Float.self, at: index) }
    }

    @inline(__always)
    func integerValue<T: FixedWidthInteger>(_ type: T.Type, at index: UInt32) throws(JSONError) -> T {
        do { return try integer(type, at: index) } catch { throw readFailure(error, type, at: index) }
    }

    @inline(never)
    func readFailure(_ mismatch: Mismatch, _ type: Any.Type, at index: UInt32) -> JSONError {
        jsonError(mismatch, type, at: index, path: path(to: index))
    }

    @usableFromInline
    func kind(at index: UInt32) -> JSONKind { JSONKind(entry(index).kind) }

    /// Number of elements of the array at `index`.
    @usableFromInline
    func elementCount(of index: UInt32) -> Int { Int(entry(index).length) }

    /// The tape index after the value at `index`.
    @usableFromInline
    func end(of index: UInt32) -> UInt32 { entry(index).next }

    /// `index`, checked to be an object and ready for lookups (see `checkKeys`).
    @usableFromInline
    func openObject(at index: UInt32) throws(JSONError) -> UInt32 {
        let e = entry(index)
        guard e.kind == .object else { throw readFailure(e.kind == .null ? .null : .type(e.kind), [String: Any].self, at: index) }
        if e.flags & TapeFlags.needsKeyCheck != 0 { checkKeys(of: index) }
        return index
    }

    /// `index`, checked to be an array.
    @usableFromInline
    func openArray(at index: UInt32) throws(JSONError) -> UInt32 {
        let e = entry(index)
        guard e.kind == .array else { throw readFailure(e.kind == .null ? .null : .type(e.kind), [Any].self, at: index) }
        return index
    }

    /// The value of member `name` of the object at `object`; throws if absent.
    @usableFromInline @inline(__always)
    func member(_ name: StaticString, in object: UInt32) throws(JSONError) -> UInt32 {
        guard scratch.live else { throw jsonError(.usedAfterReturn, Any.self, at: object, path: []) }
        let found = name.withUTF8Buffer { lookup(UnsafeRawBufferPointer($0), in: object) }
        guard let found else { throw memberNotFound(name, in: object) }
        return found
    }

    /// The value of member `name` of the object at `object`; throws if absent.
    func member(_ name: String, in object: UInt32) throws(JSONError) -> UInt32 {
        guard let value = try memberIfPresent(name, in: object) else { throw memberNotFound(name, in: object) }
        return value
    }

    func memberIfPresent(_ name: String, in object: UInt32) throws(JSONError) -> UInt32? {
        guard scratch.live else { throw jsonError(.usedAfterReturn, Any.self, at: object, path: []) }
        var name = name
        return name.withUTF8 { lookup(UnsafeRawBufferPointer($0), in: object) }
    }

    @inline(never)
    func memberNotFound(_ name: StaticString, in object: UInt32) -> JSONError { memberNotFound("\(name)", in: object) }

    @inline(never)
    func memberNotFound(_ name: String, in object: UInt32) -> JSONError {
        let path = path(to: object)
        return JSONError(.keyNotFound, offset: offset(of: object), codingPath: path, "No value associated with key \"\(name)\".")
    }
}
