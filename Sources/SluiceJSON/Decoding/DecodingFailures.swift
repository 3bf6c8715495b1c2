/// The `DecodingError`s this decoder throws, shaped as Foundation's `JSONDecoder` shapes them
/// (same cases, same coding paths, same sentences), each carrying a `JSONError` with the byte
/// offset as its underlying error. Built out of line: only failures pay for paths and strings.
extension JSONDecoderImpl {
    /// How Foundation names a JSON type in its messages.
    func describe(_ kind: TapeKind) -> String {
        switch kind {
        case .object: "a dictionary"
        case .array: "an array"
        case .string: "a string"
        case .number: "number"
        case .trueLiteral, .falseLiteral: "bool"
        case .null: "null"
        }
    }

    /// Byte offset of the value at `index` (a string's opening quote).
    func offset(of index: UInt32) -> Int {
        let e = entry(index)
        return Int(e.start) - (e.kind == .string ? 1 : 0)
    }

    /// The error for a keyed container's member: the path ends with the `CodingKey` asked for.
    @inline(never)
    func failure<Key: CodingKey>(_ mismatch: Mismatch, _ type: Any.Type, at index: UInt32, key: Key) -> DecodingError {
        var path = path(to: index)
        if !path.isEmpty { path.removeLast() }
        path.append(key)
        return failure(mismatch, type, at: index, path: path)
    }

    @inline(never)
    func failure(_ mismatch: Mismatch, _ type: Any.Type, at index: UInt32) -> DecodingError {
        failure(mismatch, type, at: index, path: path(to: index))
    }

    private func failure(_ mismatch: Mismatch, _ type: Any.Type, at index: UInt32, path: [any CodingKey]) -> DecodingError {
        let error = jsonError(mismatch, type, at: index, path: path)
        let context = DecodingError.Context(codingPath: path, debugDescription: error.message, underlyingError: error)
        switch mismatch {
        case .null: return .valueNotFound(type, context)
        case .type: return .typeMismatch(type, context)
        case .notRepresentable, .usedAfterReturn: return .dataCorrupted(context)
        }
    }

    /// The `JSONError` for a value that could not be read as `type`, worded as Foundation words
    /// the matching `DecodingError`.
    @inline(never)
    func jsonError(_ mismatch: Mismatch, _ type: Any.Type, at index: UInt32, path: [any CodingKey]) -> JSONError {
        let offset = offset(of: index)
        switch mismatch {
        case .null:
            return JSONError(.valueNotFound, offset: offset, codingPath: path, "Cannot get value of type \(type) -- found null value instead")
        case .type(let kind):
            return JSONError(.typeMismatch, offset: offset, codingPath: path, "Expected to decode \(type) but found \(describe(kind)) instead.")
        case .notRepresentable:
            let e = entry(index)
            let literal = StringDecoding.plain(bytes + Int(e.start), Int(e.length))
            return JSONError(.numberNotRepresentable, offset: offset, codingPath: path, "Number \(literal) is not representable in Swift as \(type).")
        case .usedAfterReturn:
            return JSONError(.decoderUsedAfterReturn, offset: nil, codingPath: path, "A decoder, container or reader was used after the decode returned.")
        }
    }

    /// What `container(keyedBy:)` / `unkeyedContainer()` throw for a value of another kind.
    @inline(never)
    func containerMismatch(_ type: Any.Type, at index: UInt32) -> DecodingError {
        let kind = entry(index).kind
        guard scratch.live else { return failure(.usedAfterReturn, type, at: index) }
        guard kind == .null else { return failure(.type(kind), type, at: index) }
        let what = type == [Any].self ? "unkeyed" : "keyed"
        let context = context(.valueNotFound, at: offset(of: index), path(to: index), "Cannot get \(what) decoding container -- found null value instead")
        return .valueNotFound(type, context)
    }

    @inline(never)
    func keyNotFound<K: CodingKey>(_ key: K, in object: UInt32) -> DecodingError {
        .keyNotFound(key, context(.keyNotFound, at: offset(of: object), path(to: object), "No value associated with key \(key) (\"\(key.stringValue)\")."))
    }

    @inline(never)
    func atEnd(_ type: Any.Type, array: UInt32, index: Int) -> DecodingError {
        .valueNotFound(type, context(.valueNotFound, at: Int(entry(array).start), path(to: array) + [JSONKey(index: index)], "Unkeyed container is at end."))
    }

    /// A context whose underlying error is the matching `JSONError`.
    private func context(_ kind: JSONError.Kind, at offset: Int, _ path: [any CodingKey], _ message: String) -> DecodingError.Context {
        DecodingError.Context(codingPath: path, debugDescription: message, underlyingError: JSONError(kind, offset: offset, codingPath: path, message))
    }
}
