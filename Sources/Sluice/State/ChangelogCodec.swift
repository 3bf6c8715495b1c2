/// The bytes of a state store's changelog values: big-endian integers and length-prefixed byte
/// strings, versioned by a leading byte so a later layout can still read the old one.
///
/// Every read is bounds-checked and a short or malformed value throws `StateStoreError`, naming
/// the store: a changelog is input from disk, never trusted.
struct ChangelogWriter {
    var bytes: [UInt8]

    init(reusing buffer: [UInt8]) {
        bytes = buffer
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func uint32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Appends `encode`'s output preceded by its length.
    mutating func lengthPrefixed(_ encode: (inout [UInt8]) throws -> Void) rethrows {
        let lengthAt = bytes.count
        uint32(0)
        let start = bytes.count
        try encode(&bytes)
        let length = UInt32(bytes.count - start).bigEndian
        withUnsafeBytes(of: length) { raw in
            for i in 0..<4 { bytes[lengthAt + i] = raw[i] }
        }
    }
}

struct ChangelogReader {
    let bytes: UnsafeRawBufferPointer
    let store: String
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer, store: String) {
        self.bytes = bytes
        self.store = store
    }

    private mutating func take(_ count: Int, _ what: String) throws(StateStoreError) -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - position >= count else {
            throw StateStoreError.corruptChangelog(store: store, "\(what) needs \(count) bytes at byte \(position), \(bytes.count - position) left")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func byte(_ what: String) throws(StateStoreError) -> UInt8 { try take(1, what)[0] }

    mutating func int64(_ what: String) throws(StateStoreError) -> Int64 {
        let raw = try take(8, what)
        return Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
    }

    mutating func uint32(_ what: String) throws(StateStoreError) -> UInt32 {
        let raw = try take(4, what)
        return UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))
    }

    mutating func lengthPrefixed(_ what: String) throws(StateStoreError) -> UnsafeRawBufferPointer {
        let length = try uint32("length of \(what)")
        return try take(Int(length), what)
    }

    var isAtEnd: Bool { position == bytes.count }
}

/// A state store that cannot be restored or written.
public enum StateStoreError: Error, CustomStringConvertible {
    /// A changelog value that does not parse: truncated, or written by an unknown layout.
    case corruptChangelog(store: String, String)
    /// The changelog parsed but its keys or values did not decode with the store's serdes, or
    /// its windows do not fit the store's window definition.
    case invalidState(store: String, any Error)

    public var description: String {
        switch self {
        case .corruptChangelog(let store, let why): "the changelog of state store \(store) is corrupt: \(why)"
        case .invalidState(let store, let error): "state store \(store) cannot be restored: \(error)"
        }
    }
}
