/// The two pieces of `java.lang.String` behaviour Kafka's group code depends on: `compareTo`
/// (member and topic order in the assignors) and `hashCode` (the iteration order of the
/// `HashMap` that breaks ties in `ClassicGroup.selectProtocol`).
///
/// Swift's own `String` comparison orders by Unicode scalars after normalisation, which differs
/// from Java for some non-ASCII text; member ids embed the client id, which may be any text.
enum JavaOrder {
    /// `a.compareTo(b) < 0` in Java: lexicographic over UTF-16 code units.
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
    static func hashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// The order in which a `java.util.HashMap<String, V>` (default capacity 16, load factor
    /// 0.75) iterates over `keys` inserted in the given order (distinct keys): by bucket
    /// `(h ^ (h >>> 16)) & (capacity - 1)`, and inside a bucket by insertion order.
    ///
    /// Exact while no bucket holds 8 or more keys (Java then turns the bucket into a tree or
    /// grows the table early); protocol-name votes never come close.
    static func hashMapIterationOrder(_ keys: [String]) -> [String] {
        var capacity = 16
        while keys.count > capacity / 4 * 3 { capacity *= 2 }
        let mask = UInt32(capacity - 1)
        func bucket(_ key: String) -> UInt32 {
            let h = UInt32(bitPattern: hashCode(key))
            return (h ^ (h >> 16)) & mask
        }
        return keys.enumerated()
            .map { (bucket: bucket($0.element), insertion: $0.offset, key: $0.element) }
            .sorted { ($0.bucket, $0.insertion) < ($1.bucket, $1.insertion) }
            .map(\.key)
    }
}
