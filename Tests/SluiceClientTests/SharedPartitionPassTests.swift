import SluiceClient
import SluiceGroups
import SluiceLog
import Testing

/// `ConsumerRecords.forEachShared` and `BatchCache`: several polls of one partition visited in
/// one pass, each getting exactly its own records, each batch decoded once.
@Suite struct SharedPartitionPassTests {
    static let tp = TopicPartition("orders", 0)

    /// Batches of `sizes` records each, from offset 0, zstd-compressed; record `o` has value
    /// `"v<o>"`, a null key when `o` is a multiple of 5, and a header on every third record.
    static func batches(_ sizes: [Int]) throws -> (bytes: [UInt8], starts: [Int64]) {
        let encoder = try RecordBatchEncoder(compression: .zstd)
        var bytes: [UInt8] = []
        var starts: [Int64] = []
        var offset: Int64 = 0
        for size in sizes {
            var builder = RecordBatchBuilder()
            for i in 0..<size {
                let o = offset + Int64(i)
                builder.append(
                    Record(
                        key: o % 5 == 0 ? nil : Array("k\(o)".utf8), value: Array("v\(o)".utf8),
                        headers: o % 3 == 0 ? [RecordHeader(key: "h", value: Array("\(o)".utf8))] : [], timestamp: 1_000 + o))
            }
            starts.append(offset)
            try encoder.encode(builder, baseOffset: offset, into: &bytes)
            offset += Int64(size)
        }
        return (bytes, starts)
    }

    /// A poll of the batches starting at `firstBatch` (count `batchCount`), from `from`.
    static func poll(_ all: (bytes: [UInt8], starts: [Int64]), sizes: [Int], firstBatch: Int, batchCount: Int, from: Int64) throws
        -> ConsumerRecords.PartitionRecords
    {
        var kept: [UInt8] = []
        var index = 0
        try all.bytes.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { _, batch in
                if index >= firstBatch && index < firstBatch + batchCount { kept.append(contentsOf: batch) }
                index += 1
            }
        }
        let end = all.starts[firstBatch + batchCount - 1] + Int64(sizes[firstBatch + batchCount - 1])
        return ConsumerRecords.PartitionRecords(partition: tp, batches: kept, fromOffset: from, nextOffset: end, count: Int(end - from))
    }

    struct Seen: Equatable, CustomStringConvertible {
        var offset: Int64
        var key: [UInt8]?
        var value: [UInt8]?
        var timestamp: Int64
        var headers: [RecordHeader]
        init(_ view: RecordView) {
            (offset, key, value, timestamp) = (view.offset, view.key.map(Array.init), view.value.map(Array.init), view.timestamp)
            headers = view.headers()
        }
        var description: String { "\(offset)" }
    }

    /// What each poll's own `forEach(decoder:)` sees.
    static func alone(_ parts: [ConsumerRecords.PartitionRecords]) throws -> [[Seen]] {
        let decoder = try RecordBatchDecoder()
        return try parts.map { part in
            var seen: [Seen] = []
            try part.forEach(decoder: decoder) { seen.append(Seen($0)) }
            return seen
        }
    }

    static func shared(_ parts: [ConsumerRecords.PartitionRecords], cache: BatchCache?) throws -> (seen: [[Seen]], visits: Int) {
        var seen = [[Seen]](repeating: [], count: parts.count)
        var visits = 0
        try ConsumerRecords.forEachShared(parts, decoder: try RecordBatchDecoder(), cache: cache) { run, holders in
            #expect(run.count == 1)
            visits += run.count
            #expect(holders == holders.sorted())
            for i in holders { seen[i].append(contentsOf: run.map(Seen.init)) }
        }
        return (seen, visits)
    }

    /// Runs of records: each poll still gets exactly its records in order; a run holds at
    /// most `runLength` records, all of one batch and of the same polls (the seek poll starts
    /// inside batch 2, so that batch splits where it joins).
    @Test(arguments: [1, 7, 64])
    func runsStayWithinOneBatchAndOneSetOfPolls(runLength: Int) throws {
        let sizes = [40, 25, 60, 10, 33]
        let all = try Self.batches(sizes)
        let parts = [
            try Self.poll(all, sizes: sizes, firstBatch: 0, batchCount: 3, from: 0),
            try Self.poll(all, sizes: sizes, firstBatch: 1, batchCount: 4, from: 40),
            try Self.poll(all, sizes: sizes, firstBatch: 2, batchCount: 1, from: 80),
        ]
        let batchOf = { (offset: Int64) in all.starts.lastIndex { $0 <= offset } ?? -1 }
        var seen = [[Seen]](repeating: [], count: parts.count)
        var runs = 0
        try ConsumerRecords.forEachShared(parts, decoder: try RecordBatchDecoder(), runLength: runLength) { run, holders in
            runs += 1
            #expect(run.count >= 1 && run.count <= runLength)
            #expect(Set(run.map { batchOf($0.offset) }).count == 1, "a run never spans batches")
            #expect(zip(run.dropFirst(), run).allSatisfy { $0.offset == $1.offset + 1 })
            for view in run {
                #expect(holders == parts.indices.filter { parts[$0].fromOffset <= view.offset && view.offset < parts[$0].nextOffset })
            }
            for i in holders { seen[i].append(contentsOf: run.map(Seen.init)) }
        }
        #expect(seen == (try Self.alone(parts)))
        // Per batch ceil(size / runLength) runs, and batch 2 splits at offset 80 first.
        let splits = [40, 25, 15, 45, 10, 33]
        #expect(runs == splits.reduce(0) { $0 + ($1 + runLength - 1) / runLength })
    }

    @Test(arguments: [false, true])
    func overlappingPollsEachGetExactlyTheirRecordsInOnePass(cached: Bool) throws {
        let sizes = [40, 25, 60, 10, 33]
        let all = try Self.batches(sizes)
        let parts = [
            try Self.poll(all, sizes: sizes, firstBatch: 0, batchCount: 3, from: 0),  // 0..<125
            try Self.poll(all, sizes: sizes, firstBatch: 1, batchCount: 4, from: 40),  // 40..<168
            try Self.poll(all, sizes: sizes, firstBatch: 2, batchCount: 1, from: 80),  // starts inside its batch (a seek)
            try Self.poll(all, sizes: sizes, firstBatch: 4, batchCount: 1, from: 135),
        ]
        let expected = try Self.alone(parts)
        #expect(expected.map(\.count) == [125, 128, 45, 33])
        let (seen, visits) = try Self.shared(parts, cache: cached ? BatchCache(byteLimit: 1 << 20) : nil)
        #expect(seen == expected)
        // One visit per distinct record: the pass never goes over a batch twice.
        #expect(visits == 168)
    }

    @Test func aLaterPassFindsTheBatchesAnEarlierOneDecoded() throws {
        let sizes = [30, 30, 30]
        let all = try Self.batches(sizes)
        let cache = BatchCache(byteLimit: 1 << 20)
        let first = try Self.poll(all, sizes: sizes, firstBatch: 0, batchCount: 2, from: 0)
        let later = try Self.poll(all, sizes: sizes, firstBatch: 1, batchCount: 2, from: 30)
        _ = try Self.shared([first], cache: cache)
        let decoder = try RecordBatchDecoder()
        var batches: [(RecordBatchHeader, [UInt8])] = []
        try later.batches.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in batches.append((header, Array(batch))) }
        }
        let (header1, bytes1) = try #require(batches.first)
        let again = try bytes1.withUnsafeBytes { try cache.batch(Self.tp, header: header1, bytes: $0, decoder: decoder) }
        let twice = try bytes1.withUnsafeBytes { try cache.batch(Self.tp, header: header1, bytes: $0, decoder: decoder) }
        #expect(again === twice)
        // The same offsets in another partition are another batch.
        let other = try bytes1.withUnsafeBytes { try cache.batch(TopicPartition("orders", 1), header: header1, bytes: $0, decoder: decoder) }
        #expect(other !== again)
        #expect(try Self.shared([later], cache: cache).seen == Self.alone([later]))
    }

    @Test func theCacheKeepsToItsByteBound() throws {
        let sizes = [50, 50, 50, 50]
        let all = try Self.batches(sizes)
        let decoder = try RecordBatchDecoder()
        var decoded: [DecodedBatch] = []
        let cache = BatchCache(byteLimit: 1)  // holds only the latest batch
        try all.bytes.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                decoded.append(try cache.batch(Self.tp, header: header, bytes: batch, decoder: decoder))
            }
        }
        var batches: [(RecordBatchHeader, [UInt8])] = []
        try all.bytes.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in batches.append((header, Array(batch))) }
        }
        func lookUp(_ index: Int) throws -> DecodedBatch {
            try batches[index].1.withUnsafeBytes { try cache.batch(Self.tp, header: batches[index].0, bytes: $0, decoder: decoder) }
        }
        // Only the latest batch is kept; the others were evicted and are decoded afresh.
        #expect(try lookUp(3) === decoded[3])
        #expect(try lookUp(0) !== decoded[0])
        #expect(try lookUp(3) !== decoded[3])
    }

    @Test func aDamagedBatchFailsThePass() throws {
        let sizes = [20, 20]
        let all = try Self.batches(sizes)
        var part = try Self.poll(all, sizes: sizes, firstBatch: 0, batchCount: 2, from: 0)
        part.batches[RecordBatchHeader.size + 3] ^= 0xFF
        #expect(throws: LogError.self) { try Self.shared([part, part], cache: nil) }
    }

    /// A batch whose CRC is right but whose zstd frame is not (written so): a clear error,
    /// from the cached path as from the plain one.
    @Test(arguments: [false, true])
    func aBadFrameUnderAGoodCRCIsACorruptMessage(cached: Bool) throws {
        let sizes = [30]
        let all = try Self.batches(sizes)
        var part = try Self.poll(all, sizes: sizes, firstBatch: 0, batchCount: 1, from: 0)
        let middle = RecordBatchHeader.size + (part.batches.count - RecordBatchHeader.size) / 2
        for i in middle..<(middle + 8) { part.batches[i] ^= 0x5A }
        part.batches.withUnsafeMutableBytes { raw in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
            raw.storeBytes(of: crc.bigEndian, toByteOffset: 17, as: UInt32.self)
        }
        #expect {
            try Self.shared([part], cache: cached ? BatchCache(byteLimit: 1 << 20) : nil)
        } throws: { error in
            (error as? LogError)?.kind == .corruptMessage
        }
    }
}
