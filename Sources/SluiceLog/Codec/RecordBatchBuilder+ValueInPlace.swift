/// Appending a record whose value is encoded straight into the batch, not into a buffer of its
/// own first: the producer's hot path (a stream's `to(topic)`), which saves a copy and an
/// array per record.
///
/// A record's value is preceded by two lengths that depend on it (the record's body length and
/// the value's length, both varints), so the record is laid out around a guess: the previous
/// in-place record's value length. When the value comes out with lengths of other widths
/// (a varint grows at 64, 8,192, 1,048,576… bytes), the bytes after them are moved once to
/// make the lengths fit. Either way the record's bytes are exactly what
/// `append(key:value:headers:timestamp:)` writes for the same value.
extension RecordBatchBuilder {
    /// The builder's state before an append, to take that record back out (`rewind(to:)`).
    public struct Mark: Sendable {
        let byteCount: Int
        let recordCount: Int32
        let lastOffsetDelta: Int32
        let baseTimestamp: Int64
        let maxTimestamp: Int64
    }

    /// Where the builder is now.
    public var mark: Mark {
        Mark(
            byteCount: recordBytes.count, recordCount: recordCount, lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp,
            maxTimestamp: maxTimestamp)
    }

    /// Removes every record appended since `mark` was taken (which must be of this builder,
    /// with no `reset()` since).
    public mutating func rewind(to mark: Mark) {
        precondition(mark.byteCount <= recordBytes.count && mark.recordCount <= recordCount, "rewind to a mark of another batch")
        recordBytes.removeSubrange(mark.byteCount...)
        recordCount = mark.recordCount
        lastOffsetDelta = mark.lastOffsetDelta
        baseTimestamp = mark.baseTimestamp
        maxTimestamp = mark.maxTimestamp
    }

    /// Appends one record whose value `writeValue` appends to the array it is given (the
    /// batch's records buffer), and returns where the value ended up in `recordBytes`.
    ///
    /// `writeValue` must only append to the array: not read, change or remove what is in it
    /// (it may throw, see below). A `nil` key is Kafka's null; the value is never null here.
    ///
    /// - Throws: what `writeValue` throws; the builder is then as it was before the call.
    @discardableResult
    public mutating func append(
        key: UnsafeRawBufferPointer?, headers: [RecordHeader] = [], timestamp: Int64,
        writingValue writeValue: (inout [UInt8]) throws -> Void
    ) rethrows -> Range<Int> {
        let start = recordBytes.count
        let baseTimestamp = recordCount == 0 ? timestamp : self.baseTimestamp
        let timestampDelta = timestamp &- baseTimestamp
        let offsetDelta = Int64(recordCount)
        let keyCount = key.map { $0.count } ?? -1
        // Attributes, the two deltas and the key: what goes between the two lengths.
        let fixedSize =
            1 + Varint.size(of: timestampDelta) + Varint.size(of: offsetDelta) + Varint.size(of: Int64(keyCount)) + max(keyCount, 0)
        let headersSize = Self.encodedSize(of: headers)
        let guess = valueCountGuess
        let guessedValueWidth = Varint.size(of: Int64(guess))
        let guessedBodyWidth = Varint.size(of: Int64(fixedSize + guessedValueWidth + guess + headersSize))
        let prefixSize = guessedBodyWidth + fixedSize + guessedValueWidth
        recordBytes.append(addingCapacity: prefixSize) { span in
            span.withUnsafeMutableBufferPointer { buffer, count in
                guard let base = buffer.baseAddress else { return }
                // The guessed lengths hold the lengths' places (exactly their widths); both are
                // written again once the value is known.
                var out = RawWriter(UnsafeMutableRawPointer(base))
                out.varint(Int64(fixedSize + guessedValueWidth + guess + headersSize))
                out.byte(0)  // record attributes, unused
                out.varint(timestampDelta)
                out.varint(offsetDelta)
                out.varint(Int64(keyCount))
                if let key { out.bytes(key) }
                out.varint(Int64(guess))
                count = prefixSize
            }
        }
        do {
            try writeValue(&recordBytes)
        } catch {
            recordBytes.removeSubrange(start...)
            throw error
        }
        precondition(recordBytes.count >= start + prefixSize, "a value writer removed bytes of the batch")
        let valueCount = recordBytes.count - start - prefixSize
        let valueWidth = Varint.size(of: Int64(valueCount))
        let bodySize = fixedSize + valueWidth + valueCount + headersSize
        let bodyWidth = Varint.size(of: Int64(bodySize))
        let shift = (bodyWidth - guessedBodyWidth) + (valueWidth - guessedValueWidth)
        let end = start + bodyWidth + bodySize
        // Room for the headers, and for the lengths if they came out wider than guessed.
        let growth = end - recordBytes.count
        if growth == 1 {
            recordBytes.append(0)  // one byte of room, usually the empty header list (written below)
        } else if growth > 0 {
            recordBytes.append(addingCapacity: growth) { span in
                span.withUnsafeMutableBufferPointer { buffer, count in
                    guard let base = buffer.baseAddress else { return }
                    base.initialize(repeating: 0, count: growth)
                    count = growth
                }
            }
        }
        recordBytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            let record = base + start
            if shift != 0 {
                // Move the value, and the fixed part if the body length's width changed, to
                // where the real lengths put them. Both move the same way (a longer value has
                // lengths at least as wide); the one in front of the move goes first so that
                // neither overwrites the other (`copyMemory` is a memmove within each range).
                let guessedValueStart = prefixSize
                let valueStart = bodyWidth + fixedSize + valueWidth
                let moveFixed = bodyWidth != guessedBodyWidth
                if shift > 0 {
                    (record + valueStart).copyMemory(from: record + guessedValueStart, byteCount: valueCount)
                    if moveFixed { (record + bodyWidth).copyMemory(from: record + guessedBodyWidth, byteCount: fixedSize) }
                } else {
                    if moveFixed { (record + bodyWidth).copyMemory(from: record + guessedBodyWidth, byteCount: fixedSize) }
                    (record + valueStart).copyMemory(from: record + guessedValueStart, byteCount: valueCount)
                }
            }
            var out = RawWriter(record)
            out.varint(Int64(bodySize))
            out = RawWriter(record + bodyWidth + fixedSize)
            out.varint(Int64(valueCount))
            out = RawWriter(record + bodyWidth + bodySize - headersSize)
            Self.write(headers, to: &out)
        }
        if growth < 0 { recordBytes.removeSubrange(end...) }
        if recordCount == 0 {
            self.baseTimestamp = timestamp
            maxTimestamp = timestamp
        } else if timestamp > maxTimestamp {
            maxTimestamp = timestamp
        }
        lastOffsetDelta = max(lastOffsetDelta, Int32(offsetDelta))
        recordCount += 1
        valueCountGuess = valueCount
        let valueStart = start + bodyWidth + fixedSize + valueWidth
        return valueStart..<(valueStart + valueCount)
    }
}
