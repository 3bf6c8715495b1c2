internal import CCRC32C

/// CRC-32C (Castagnoli), the checksum of Kafka's RecordBatch v2. Hardware-accelerated where the
/// CPU has the instruction. `checksum("123456789") == 0xE3069283`.
public enum CRC32C {
    /// - Parameter crc: a previous result to continue from, or 0 to start.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        _checksum(bytes, crc)
    }

    @usableFromInline
    static func _checksum(_ bytes: UnsafeRawBufferPointer, _ crc: UInt32) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return sluice_crc32c(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }
}
