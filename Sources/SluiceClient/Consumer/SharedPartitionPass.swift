public import SluiceLog

extension ConsumerRecords {
    /// Visits the records of several polls of one partition — consumers of different groups
    /// reading the same log — so that a stored batch they all fetched is checked (CRC),
    /// decompressed and parsed once, however their poll ranges overlap.
    ///
    /// Polls hand out whole batches, so two polls of a partition that overlap hold the very
    /// same batches where they overlap; one that started earlier or reached further simply has
    /// more of them. The pass goes through the batches in offset order; a batch is shared by the
    /// polls whose next batch is identical to it (same offsets and CRC), and each of its records
    /// is handed to those of them that polled from at or before it.
    ///
    /// Guarantees, for each poll: exactly its own records, in offset order, as its own
    /// `forEach(decoder:)` would visit them. Polls take turns run by run: `body` gets up to
    /// `runLength` consecutive records of one batch that belong to the same polls.
    ///
    /// Why runs: a caller that hands every record to each poll's own processing in turn runs
    /// all of their code for every record, more than the instruction cache holds; going
    /// through a run for one poll, then the same run for the next, keeps each one's code hot.
    /// A run never spans two batches: a batch's bytes may be reused once the pass moves on.
    /// - Parameters:
    ///   - parts: polls of one and the same partition.
    ///   - cache: where batches are looked up and kept decoded, for polls that reach them in a
    ///     later pass; nil to decode each batch into the decoder's buffer.
    ///   - runLength: the most records per call of `body` (at least 1).
    ///   - body: consecutive records and the indices (into `parts`) of the polls they belong
    ///     to, in increasing order; all valid only during the call.
    /// - Throws: a damaged batch (for everyone: the log is shared), or what `body` throws.
    public static func forEachShared(
        _ parts: [PartitionRecords], decoder: RecordBatchDecoder, cache: BatchCache? = nil, runLength: Int = 1,
        _ body: (UnsafeBufferPointer<RecordView>, [Int]) throws -> Void
    ) throws {
        guard let tp = parts.first?.partition else { return }
        // The run in memory of its own, reached through pointers: locals that `visit` (a
        // closure) changed would be boxed and checked for exclusive access on every record.
        let runLength = max(1, runLength)
        let views = UnsafeMutablePointer<RecordView>.allocate(capacity: runLength)
        let run = UnsafeMutablePointer<(count: Int, holders: [Int])>.allocate(capacity: 1)
        run.initialize(to: (0, []))
        defer {
            run.deinitialize(count: 1)
            run.deallocate()
            views.deallocate()  // `RecordView` is trivial: nothing to deinitialize
        }
        func endRun() throws {
            guard run.pointee.count > 0 else { return }
            try body(UnsafeBufferPointer(start: views, count: run.pointee.count), run.pointee.holders)
            run.pointee.count = 0
        }
        var pinned: [UnsafeRawBufferPointer] = []
        pinned.reserveCapacity(parts.count)
        try withPinnedBatches(of: parts, &pinned) { buffers in
            var walk = SharedWalk(parts, buffers)
            while let batch = try walk.nextBatch() {
                let holders = batch.holders
                // A poll may start inside its first batch (after a seek): those records are not its.
                let startsInside = holders.contains { parts[$0].fromOffset > batch.header.baseOffset }
                run.pointee.holders = holders
                func visit(_ record: RecordView) throws {
                    if startsInside {
                        let some = holders.filter { record.offset >= parts[$0].fromOffset }
                        if some.isEmpty { return }
                        if some != run.pointee.holders {
                            try endRun()
                            run.pointee.holders = some
                        }
                    }
                    (views + run.pointee.count).initialize(to: record)
                    run.pointee.count += 1
                    if run.pointee.count == runLength { try endRun() }
                }
                if let cache {
                    try cache.batch(tp, header: batch.header, bytes: batch.bytes, decoder: decoder).forEach(visit)
                } else {
                    try decoder.forEachRecord(in: batch.bytes, header: batch.header, visit)
                }
                try endRun()
            }
        }
    }

    /// `body` with the bytes of every poll's batches, pinned (no copy).
    private static func withPinnedBatches(
        of parts: [PartitionRecords], _ pinned: inout [UnsafeRawBufferPointer], _ body: ([UnsafeRawBufferPointer]) throws -> Void
    ) throws {
        guard pinned.count < parts.count else { return try body(pinned) }
        try parts[pinned.count].batches.withUnsafeBytes { raw in
            pinned.append(raw)
            try withPinnedBatches(of: parts, &pinned, body)
        }
    }
}

/// The cursor of `forEachShared`: one byte position per poll in its batches.
private struct SharedWalk {
    struct Batch {
        var header: RecordBatchHeader
        var bytes: UnsafeRawBufferPointer
        /// The polls whose next batch this is, in increasing order.
        var holders: [Int]
    }

    private let parts: [ConsumerRecords.PartitionRecords]
    /// Each poll's batches, pinned for the walk.
    private let buffers: [UnsafeRawBufferPointer]
    /// Each poll's next batch, in bytes from the start of its batches.
    private var positions: [Int]
    private var done: [Bool]

    init(_ parts: [ConsumerRecords.PartitionRecords], _ buffers: [UnsafeRawBufferPointer]) {
        self.parts = parts
        self.buffers = buffers
        positions = Array(repeating: 0, count: parts.count)
        done = parts.map { $0.count == 0 }
    }

    /// The next batch of the poll that is furthest behind, shared with every poll whose next
    /// batch is the same; advances those polls past it.
    mutating func nextBatch() throws -> Batch? {
        var heads: [(index: Int, header: RecordBatchHeader)] = []
        for index in parts.indices where !done[index] {
            guard let header = try head(of: index) else {
                done[index] = true
                continue
            }
            heads.append((index, header))
        }
        guard let first = heads.min(by: { $0.header.baseOffset < $1.header.baseOffset }) else { return nil }
        let header = first.header
        let holders = heads.filter {
            $0.header.baseOffset == header.baseOffset && $0.header.lastOffsetDelta == header.lastOffsetDelta && $0.header.crc == header.crc
        }.map(\.index)
        let start = positions[first.index]
        let bytes = UnsafeRawBufferPointer(rebasing: buffers[first.index][start..<(start + header.totalSize)])
        // Its shape was checked by `head(of:)`; its CRC, unless the log that served it did.
        if !holders.allSatisfy({ parts[$0].crcChecked }) { try header.validate(batch: bytes) }
        for index in holders { positions[index] += header.totalSize }
        return Batch(header: header, bytes: bytes, holders: holders)
    }

    /// The header of a poll's next batch holding records of the poll, skipping the batches that
    /// end before the position it polled from; nil at the end of its batches.
    private mutating func head(of index: Int) throws -> RecordBatchHeader? {
        let buffer = buffers[index]
        while buffer.count - positions[index] >= RecordBatchHeader.size {
            let header = try RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: buffer[positions[index]...]))
            try header.validateShape()
            guard positions[index] + header.totalSize <= buffer.count else { return nil }
            if header.lastOffset >= parts[index].fromOffset { return header }
            positions[index] += header.totalSize
        }
        return nil
    }
}
