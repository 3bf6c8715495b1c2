/// Turning a string's content bytes (validated by the indexer) into its value.
enum StringDecoding {
    /// A string without escapes is its bytes.
    @inline(__always)
    static func plain(_ p: UnsafePointer<UInt8>, _ count: Int) -> String {
        if count <= 15 { return small(p, count) }
        return String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)
    }

    /// Up to 15 bytes become a `String` in its small form, written in place: no allocation, and
    /// for ASCII no second validation pass (the standard library checks the high bits of the two
    /// words; anything else is validated again, which valid UTF-8 passes). About a third cheaper
    /// than `String(decoding:as:)`, which scans for ASCII and validates before copying.
    @inline(__always)
    static func small(_ p: UnsafePointer<UInt8>, _ count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            copy(UnsafeRawPointer(p), to: UnsafeMutableRawPointer(base), count)
            return count
        }
    }

    /// Copies `count` (at most 16) bytes with at most two overlapping loads and stores of one
    /// width, writing nothing outside `target[0..<count]`.
    @inline(__always)
    static func copy(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, _ count: Int) {
        if count >= 8 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        } else if count >= 2 {
            let head = source.loadUnaligned(as: UInt16.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 2, as: UInt16.self)
            target.storeBytes(of: head, as: UInt16.self)
            target.storeBytes(of: tail, toByteOffset: count &- 2, as: UInt16.self)
        } else if count == 1 {
            target.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
        }
    }

    /// Decodes escapes (`\n`, `\u00e9`, surrogate pairs…) into `buffer`, replacing its contents
    /// with the string's UTF-8 bytes. The input must have passed `Indexer.scanString`.
    static func unescape(_ p: UnsafePointer<UInt8>, _ count: Int, into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(count)
        var i = 0
        var run = 0
        while i < count {
            guard p[i] == ASCII.backslash else {
                i += 1
                continue
            }
            if i > run { buffer.append(contentsOf: UnsafeBufferPointer(start: p + run, count: i - run)) }
            let escape = p[i + 1]
            switch escape {
            case 0x62: buffer.append(0x08)  // b
            case 0x66: buffer.append(0x0C)  // f
            case 0x6E: buffer.append(0x0A)  // n
            case 0x72: buffer.append(0x0D)  // r
            case 0x74: buffer.append(0x09)  // t
            case 0x75:  // u
                var scalar = UInt32(hex4(p + i + 2))
                if scalar & 0xFC00 == 0xD800 {
                    let low = UInt32(hex4(p + i + 8))
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                appendUTF8(scalar, to: &buffer)
                i += 4
            default: buffer.append(escape)  // " \ /
            }
            i += 2
            run = i
        }
        if count > run { buffer.append(contentsOf: UnsafeBufferPointer(start: p + run, count: count - run)) }
    }

    /// A string with escapes, decoded through `buffer`.
    static func escaped(_ p: UnsafePointer<UInt8>, _ count: Int, buffer: inout [UInt8]) -> String {
        unescape(p, count, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>) -> UInt16 {
        var value: UInt16 = 0
        for k in 0..<4 { value = value << 4 | UInt16(HexDigit.value(p[k]) ?? 0) }
        return value
    }

    static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            buffer.append(UInt8(scalar))
        case ..<0x800:
            buffer.append(UInt8(0xC0 | scalar >> 6))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            buffer.append(UInt8(0xE0 | scalar >> 12))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | scalar >> 18))
            buffer.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
