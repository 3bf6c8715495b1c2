import Foundation
import SluiceLog

/// A fresh directory under the system temp dir, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init(_ name: String = "sluice-test") {
        path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func records(_ count: Int, from start: Int = 0, timestamp: Int64 = 1_700_000_000_000) -> [Record] {
    (start..<(start + count)).map { i in
        Record(key: Array("key-\(i)".utf8), value: Array("{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 50))\"}".utf8), timestamp: timestamp + Int64(i))
    }
}

/// Reads every record of a partition from `offset` to its high watermark. Steps over gaps
/// (compacted topics) by each batch's end, as consumers must.
func readAll(_ partition: Partition, from offset: Int64 = -1) throws -> [StoredRecord] {
    let decoder = try RecordBatchDecoder()
    var next = offset < 0 ? partition.logStartOffset : offset
    var out: [StoredRecord] = []
    while next < partition.highWatermark {
        let fetch = try partition.read(from: next, maxBytes: 1 << 20)
        guard !fetch.records.isEmpty else { break }
        var end = next
        try fetch.records.withUnsafeBytes { raw in
            _ = try RecordBatchDecoder.forEachBatch(in: raw) { header, batch in
                try decoder.forEachRecord(in: batch, header: header) { view in
                    if view.offset >= next { out.append(StoredRecord(offset: view.offset, record: Record(view))) }
                }
                end = max(end, header.nextOffset)
            }
        }
        guard end > next else { break }
        next = end
    }
    return out
}
