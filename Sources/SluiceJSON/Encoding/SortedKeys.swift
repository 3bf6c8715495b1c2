/// `.sortedKeys`: reorders an object's members when it closes.
///
/// Members are written as they come; the offsets of their keys are kept, and when the object is
/// complete its members are permuted in place (one copy of the object's bytes). Keys compare by
/// their UTF-8 bytes, as Foundation's `.sortedKeys` does. Nested objects closed before their
/// parent, so they are already in order.
extension EncoderState {
    mutating func sortMembers(of frame: Frame) {
        let starts = Array(memberStarts[frame.membersBase...])
        guard starts.count > 1, let first = starts.first else { return }
        let end = out.count
        var members: [(key: [UInt8], range: Range<Int>)] = []
        members.reserveCapacity(starts.count)
        for (n, start) in starts.enumerated() {
            // A member runs to the comma before the next one.
            let stop = n + 1 < starts.count ? starts[n + 1] - 1 : end
            members.append((key(at: start), start..<stop))
        }
        members.sort { $0.key.lexicographicallyPrecedes($1.key) }
        let body = Array(UnsafeBufferPointer(start: out.base + first, count: end - first))
        out.truncate(to: first)
        body.withUnsafeBufferPointer { body in
            for (n, member) in members.enumerated() {
                if n > 0 { out.append(ASCII.comma) }
                out.append(UnsafeBufferPointer(rebasing: body[(member.range.lowerBound - first)..<(member.range.upperBound - first)]))
            }
        }
    }

    /// The unescaped bytes of the key whose opening quote is at `offset`.
    private func key(at offset: Int) -> [UInt8] {
        var close = offset + 1
        while close < out.count && out.base[close] != ASCII.quote {
            close += out.base[close] == ASCII.backslash ? 2 : 1
        }
        var bytes: [UInt8] = []
        StringDecoding.unescape(out.base + offset + 1, close - offset - 1, into: &bytes)
        return bytes
    }
}
