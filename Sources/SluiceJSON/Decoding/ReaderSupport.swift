/// What the `JSONReader` family calls from the code it is inlined into: the decoder's lookups
/// and conversions, with failures as `JSONError`s instead of `DecodingError`s. One concrete
/// function per type, so callers in other modules make plain calls with nothing generic left.
extension JSONDecoderImpl {
    @usableFromInline
    func readString(at index: UInt32) throws(JSONError) -> String {
        do { return try string(at: index) } catch { throw readFailure(error, String.self, at: index) }
    }

    @usableFromInline
    func readBool(at index: UInt32) throws(JSONError) -> Bool {
        do { return try bool(at: index) } catch { throw readFailure(error, Bool.self, at: index) }
    }

    @usableFromInline
    func readDouble(at index: UInt32) throws(JSONError) -> Double {
        do { return try double(at: index) } catch { throw readFailure(error, Double.self, at: index) }
    }

    @usableFromInline
    func readFloat(at index: UInt32) throws(JSONError) -> Float {
        do { return try float(at: index) } catch { throw readFailure(error, Float.self, at: index) }
    }

    @usableFromInline
    func readInt(at index: UInt32) throws(JSONError) -> Int {
        do { return try integer(Int.self, at: index) } catch { throw readFailure(error, Int.self, at: index) }
    }

    @usableFromInline
    func readInt64(at index: UInt32) throws(JSONError) -> Int64 {
        do { return try integer(Int64.self, at: index) } catch { throw readFailure(error, Int64.self, at: index) }
    }

    @usableFromInline
    func readUInt64(at index: UInt32) throws(JSONError) -> UInt64 {
        do { return try integer(UInt64.self, at: index) } catch { throw readFailure(error, UInt64.self, at: index) }
    }

    // A member found and read in one call: what the object reader's typed getters use.

    @usableFromInline
    func readString(_ key: StaticString, in object: UInt32) throws(JSONError) -> String { try readString(at: try member(key, in: object)) }

    @usableFromInline
    func readBool(_ key: StaticString, in object: UInt32) throws(JSONError) -> Bool { try readBool(at: try member(key, in: object)) }

    @usableFromInline
    func readDouble(_ key: StaticString, in object: UInt32) throws(JSONError) -> Double { try readDouble(at: try member(key, in: object)) }

    @usableFromInline
    func readFloat(_ key: StaticString, in object: UInt32) throws(JSONError) -> Float { try readFloat(at: try member(key, in: object)) }

    @usableFromInline
    func readInt(_ key: StaticString, in object: UInt32) throws(JSONError) -> Int { try readInt(at: try member(key, in: object)) }

    @usableFromInline
    func readInt64(_ key: StaticString, in object: UInt32) throws(JSONError) -> Int64 { try readInt64(at: try member(key, in: object)) }

    @usableFromInline
    func readUInt64(_ key: StaticString, in object: UInt32) throws(JSONError) -> UInt64 { try readUInt64(at: try member(key, in: object)) }

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
        guard let found else { throw memberNotFound("\(name)", in: object) }
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
    func memberNotFound(_ name: String, in object: UInt32) -> JSONError {
        let path = path(to: object)
        return JSONError(.keyNotFound, offset: offset(of: object), codingPath: path, "No value associated with key \"\(name)\".")
    }
}
