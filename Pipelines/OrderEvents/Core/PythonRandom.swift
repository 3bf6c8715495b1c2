/// CPython's `random.Random`, bit for bit: the Mersenne Twister MT19937 seeded the way
/// `random.Random(seed)` seeds it from an integer, and the few methods `gen_events.py` calls.
///
/// Why it exists: the order-events benchmark pins its input to the bytes of
/// `../shared/bench/gen_events.py`, so Sluice, the Python peers and Flink all read the very same
/// events. Porting the generator is only byte-identical if every random draw is the one CPython
/// makes, in the same order, so this mirrors `Modules/_randommodule.c` and `Lib/random.py` (3.2
/// and later; the algorithms have not changed since):
///
/// - seeding: `random_seed` takes |seed|, splits it into 32-bit words least significant first
///   (`[0]` for zero) and calls MT's `init_by_array` with them;
/// - ``random()``: `(a >> 5, b >> 6)` of two outputs combined into a 53-bit fraction;
/// - ``getrandbits(_:)`` for 1...32 bits: the top `k` bits of one output;
/// - ``randbelow(_:)``: `_randbelow_with_getrandbits`, i.e. rejection sampling with
///   `n.bit_length()` bits (the draw count, not only the result, must match);
/// - ``randint(_:_:)`` = `randrange(a, b + 1)` = `a + _randbelow(b - a + 1)`;
/// - ``choice(_:)`` = `seq[_randbelow(len(seq))]`.
///
/// Guarantees: the same seed gives CPython's sequence for every method here (checked against
/// `python3` in `OrderEventsCoreTests`); a copy of a value continues independently (value
/// semantics). Not cryptographically secure, like its model.
public struct PythonRandom: Sendable {
    private static let n = 624
    private static let m = 397

    /// The 624-word MT state; `index == n` means "regenerate before the next output".
    private var state: [UInt32]
    private var index: Int

    /// Seeds like `random.Random(seed)` for an integer seed of any width and sign.
    public init(seed: some BinaryInteger) {
        var key: [UInt32] = []
        for word in seed.magnitude.words {
            var w = UInt64(word)
            for _ in 0..<(UInt.bitWidth / 32) {
                key.append(UInt32(truncatingIfNeeded: w))
                w >>= 32
            }
        }
        while key.count > 1, key.last == 0 { key.removeLast() }
        if key.isEmpty { key = [0] }
        self.init(key: key)
    }

    /// MT19937's `init_by_array` with `key` (least significant word first, as CPython passes it).
    public init(key: [UInt32]) {
        precondition(!key.isEmpty, "init_by_array needs at least one key word")
        let n = Self.n
        var mt = [UInt32](repeating: 0, count: n)
        // init_genrand(19650218)
        mt[0] = 19_650_218
        for i in 1..<n {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
        var i = 1
        var j = 0
        for _ in 0..<max(n, key.count) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(truncatingIfNeeded: j)
            i += 1
            j += 1
            if i >= n {
                mt[0] = mt[n - 1]
                i = 1
            }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(n - 1) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= n {
                mt[0] = mt[n - 1]
                i = 1
            }
        }
        mt[0] = 0x8000_0000  // MSB is 1, assuring a non-zero initial array
        state = mt
        index = n
    }

    /// The next raw 32-bit output (`genrand_uint32`).
    @inline(__always)
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.n { regenerate() }
        var y = state.withUnsafeBufferPointer { $0[index] }
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Refills all 624 words at once (the "generate N words at one time" step of `genrand_uint32`).
    private mutating func regenerate() {
        let n = Self.n
        let m = Self.m
        state.withUnsafeMutableBufferPointer { mt in
            @inline(__always) func twist(_ upper: UInt32, _ lower: UInt32, _ far: UInt32) -> UInt32 {
                let y = (upper & 0x8000_0000) | (lower & 0x7FFF_FFFF)
                return far ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
            for k in 0..<(n - m) { mt[k] = twist(mt[k], mt[k + 1], mt[k + m]) }
            for k in (n - m)..<(n - 1) { mt[k] = twist(mt[k], mt[k + 1], mt[k + m - n]) }
            mt[n - 1] = twist(mt[n - 1], mt[0], mt[m - 1])
        }
        index = 0
    }

    /// `random()`: a float in [0, 1) with 53 random bits.
    public mutating func random() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `k` in 1...32 (all the generator needs; wider draws combine several
    /// outputs in CPython and are not implemented).
    @inline(__always)
    public mutating func getrandbits(_ k: Int) -> UInt32 {
        precondition(k >= 1 && k <= 32, "getrandbits supports 1...32 bits here")
        return nextUInt32() >> UInt32(32 - k)
    }

    /// `_randbelow(n)`: uniform in `0..<n`, drawing exactly as CPython does (rejection sampling
    /// with `n.bit_length()` bits), for `n` in 1..<2³² (wider `n` take several outputs per draw
    /// in CPython and are not implemented).
    @inline(__always)
    public mutating func randbelow(_ n: Int) -> Int {
        precondition(n >= 1 && n < 1 << 32, "randbelow supports 1..<2^32")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = Int(getrandbits(k))
        while r >= n { r = Int(getrandbits(k)) }
        return r
    }

    /// `randint(a, b)`: uniform in `a...b`, both ends included.
    @inline(__always)
    public mutating func randint(_ a: Int, _ b: Int) -> Int {
        precondition(a <= b, "empty range for randint(\(a), \(b))")
        return a + randbelow(b - a + 1)
    }

    /// `choice(seq)`: one element, drawn like CPython (`seq[_randbelow(len(seq))]`).
    @inline(__always)
    public mutating func choice<C: RandomAccessCollection>(_ seq: C) -> C.Element {
        precondition(!seq.isEmpty, "cannot choose from an empty sequence")
        return seq[seq.index(seq.startIndex, offsetBy: randbelow(seq.count))]
    }
}
