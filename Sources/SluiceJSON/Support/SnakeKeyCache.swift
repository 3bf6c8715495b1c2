/// The snake_case spellings of the names keyed containers and readers ask for under
/// `convertFromSnakeCase`, remembered per decoder scratch.
///
/// Why: converting a JSON key from snake case and comparing it with a `CodingKey` costs about a
/// hundred instructions per key (`SnakeCase.convertedEquals`); a synthesized `init(from:)` asks
/// for the same few names in every document. For a name `orderId`, the cache holds `order_id`,
/// and a key with exactly those bytes is the name: comparing bytes is enough.
///
/// What is guaranteed: a spelling is handed out only when converting it from snake case gives
/// back the name exactly (`convertToSnakeCase` then `convertFromSnakeCase` is not always the
/// identity: `item2B` → `item2_b` → `item2B`, but `aBC` → `a_bc` → `aBc`), so a byte match is
/// always a true match. A key with other bytes may still convert to the name (`ORDER_ID`), so
/// callers treat a mismatch as "unknown" and fall back to the full conversion. Not thread-safe:
/// one per scratch. At most `capacity` names are kept; later ones are not cached.
final class SnakeKeyCache {
    static var capacity: Int { 64 }
    /// Per slot: the name's fingerprint (0 for an empty slot), where the name and its spelling
    /// are in `arena` (offset and count each), and whether the spelling is usable. Parallel
    /// arrays, so a probe touches one word until the fingerprints agree.
    private let fingerprints = UnsafeMutablePointer<UInt64>.allocate(capacity: SnakeKeyCache.capacity)
    private let places = UnsafeMutablePointer<(name: Int32, nameCount: Int32, snake: Int32, snakeCount: Int32)>.allocate(capacity: SnakeKeyCache.capacity)
    private let usable = UnsafeMutablePointer<Bool>.allocate(capacity: SnakeKeyCache.capacity)
    private let arena = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
    private static var arenaCapacity: Int { 4096 }
    private var arenaUsed = 0
    private var count = 0

    init() {
        fingerprints.initialize(repeating: 0, count: Self.capacity)
        places.initialize(repeating: (0, 0, 0, 0), count: Self.capacity)
        usable.initialize(repeating: false, count: Self.capacity)
    }

    deinit {
        fingerprints.deallocate()
        places.deallocate()
        usable.deallocate()
        arena.deallocate()
    }

    /// The snake_case bytes that convert to exactly `name`; nil when no such spelling is
    /// cached (the name does not round-trip, or the cache is full).
    @inline(__always)
    func spelling(of name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let fingerprint = Self.fingerprint(name)
        var slot = Int(truncatingIfNeeded: fingerprint) & (Self.capacity - 1)
        for _ in 0..<Self.capacity {
            let seen = fingerprints[slot]
            if seen == fingerprint {
                let place = places[slot]
                if Bytes.equal(arena + Int(place.name), Int(place.nameCount), name) {
                    return usable[slot] ? UnsafeRawBufferPointer(start: arena + Int(place.snake), count: Int(place.snakeCount)) : nil
                }
            } else if seen == 0 {
                return remember(name, fingerprint, at: slot)
            }
            slot = (slot &+ 1) & (Self.capacity - 1)
        }
        return nil
    }

    /// Works out the spelling of a name met for the first time and keeps it in `slot`.
    @inline(never)
    private func remember(_ name: UnsafeRawBufferPointer, _ fingerprint: UInt64, at slot: Int) -> UnsafeRawBufferPointer? {
        let text = String(decoding: name, as: UTF8.self)
        var snake = SnakeCase.toSnakeCase(text)
        let roundTrips = SnakeCase.fromSnakeCase(snake) == text
        return snake.withUTF8 { snake in
            // Keep a quarter of the slots free so that probes stay short; leave huge names out.
            guard count < Self.capacity * 3 / 4, arenaUsed + name.count + snake.count <= Self.arenaCapacity else { return nil }
            let nameStart = arenaUsed
            if let source = name.baseAddress { UnsafeMutableRawPointer(arena + nameStart).copyMemory(from: source, byteCount: name.count) }
            let snakeStart = nameStart + name.count
            if let source = snake.baseAddress { (arena + snakeStart).update(from: source, count: snake.count) }
            arenaUsed = snakeStart + snake.count
            places[slot] = (Int32(nameStart), Int32(name.count), Int32(snakeStart), Int32(snake.count))
            usable[slot] = roundTrips
            fingerprints[slot] = fingerprint
            count += 1
            return roundTrips ? UnsafeRawBufferPointer(start: arena + snakeStart, count: snake.count) : nil
        }
    }

    /// A hash of the bytes, never 0: length, first and last eight (composed from smaller reads
    /// for short names, so nothing outside `name` is read), mixed.
    @inline(__always)
    static func fingerprint(_ name: UnsafeRawBufferPointer) -> UInt64 {
        let n = name.count
        guard let raw = name.baseAddress, n > 0 else { return 1 }
        var head: UInt64
        var tail: UInt64 = 0
        if n >= 8 {
            head = raw.loadUnaligned(as: UInt64.self)
            tail = raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            head = UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) << 32
        } else {
            head = UInt64(raw.load(as: UInt8.self)) | UInt64(raw.load(fromByteOffset: n &- 1, as: UInt8.self)) << 8 | UInt64(raw.load(fromByteOffset: n >> 1, as: UInt8.self)) << 16
        }
        head ^= tail.rotateLeft(29) ^ UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        head = (head ^ head >> 31) &* 0xBF58_476D_1CE4_E5B9
        return (head ^ head >> 29) | 1
    }
}
