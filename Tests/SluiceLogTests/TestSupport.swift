import Foundation
import SluiceLog
@_exported import SluiceTestSupport

func records(_ count: Int, from start: Int = 0, timestamp: Int64 = 1_700_000_000_000) -> [Record] {
    (start..<(start + count)).map { i in
        Record(key: Array("key-\(i)".utf8), value: Array("{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 50))\"}".utf8), timestamp: timestamp + Int64(i))
    }
}

/// Reads every record of a partition from `offset` to its high watermark.
func readAll(_ partition: Partition, from offset: Int64 = -1) throws -> [StoredRecord] {
    var out: [StoredRecord] = []
    try partition.forEachRecord(from: offset < 0 ? partition.logStartOffset : offset, maxBytes: 1 << 20) { view in
        out.append(StoredRecord(offset: view.offset, record: Record(view)))
    }
    return out
}
