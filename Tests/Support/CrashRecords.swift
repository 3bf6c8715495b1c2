// The records the crash workers write, derived entirely from their identity, so the parent can
// check every stored byte without being told it.
// Shared by the crash workers (the child processes) and the tests that check them.

public import SluiceLog

public enum CrashRecords {
    /// Record `seq` (0, 1, 2, … per generation, source and partition) of `source` (a writer
    /// thread `w<n>` or a producer `p<n>`) in run `generation`. The value starts with its
    /// identity, `g<generation> <source> p<partition> s<seq> `, followed by 0–96 pseudo-random hex
    /// digits (so zstd cannot shrink batches to nothing and segments roll).
    public static func value(generation: Int, source: String, partition: Int32, seq: Int) -> [UInt8] {
        var bytes = Array("g\(generation) \(source) p\(partition) s\(seq) ".utf8)
        var x = fnv1a(bytes)
        let padding = Int(x % 97)
        let digits = Array("0123456789abcdef".utf8)
        for _ in 0..<padding {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(digits[Int(x >> 60)])
        }
        return bytes
    }

    /// The identity at the start of a value written by `value(...)`, or nil for anything else.
    public static func identity(of value: some Collection<UInt8>) -> (generation: Int, source: String, partition: Int32, seq: Int)? {
        let words = value.split(separator: UInt8(ascii: " "), maxSplits: 4, omittingEmptySubsequences: false)
        guard words.count == 5, words[0].first == UInt8(ascii: "g"), words[2].first == UInt8(ascii: "p"),
            words[3].first == UInt8(ascii: "s"),
            let generation = Int(String(decoding: words[0].dropFirst(), as: UTF8.self)),
            let partition = Int32(String(decoding: words[2].dropFirst(), as: UTF8.self)),
            let seq = Int(String(decoding: words[3].dropFirst(), as: UTF8.self))
        else { return nil }
        return (generation, String(decoding: words[1], as: UTF8.self), partition, seq)
    }

    public static func key(source: String, partition: Int32) -> [UInt8] {
        Array("\(source)-p\(partition)".utf8)
    }

    /// Every seventh record carries a header, so headers go through the codec too.
    public static func headers(seq: Int) -> [RecordHeader] {
        seq % 7 == 0 ? [RecordHeader(key: "seq", value: Array(String(seq).utf8))] : []
    }

    public static func record(generation: Int, source: String, partition: Int32, seq: Int, timestamp: Int64) -> Record {
        Record(
            key: key(source: source, partition: partition),
            value: value(generation: generation, source: source, partition: partition, seq: seq),
            headers: headers(seq: seq), timestamp: timestamp)
    }

    /// FNV-1a, 64 bits.
    public static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The content hash an `ack` line carries: FNV-1a over the little-endian FNV-1a hashes of the
    /// records' values, in offset order.
    public static func contentHash(valueHashes: some Sequence<UInt64>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for valueHash in valueHashes {
            withUnsafeBytes(of: valueHash.littleEndian) { hash = fnv1a($0, hash) }
        }
        return hash
    }
}
