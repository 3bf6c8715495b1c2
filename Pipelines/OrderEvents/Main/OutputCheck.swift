import Dispatch
import OrderEventsCore
import Sluice
import SluiceJSON
import SluiceLog
import Synchronization

/// What the job's topics hold after a run, read back from the log (read-only, whole topics, every
/// run so far): the figures a person checks, and the `CHECK` line of `pipeline_plain.py`.
///
/// At-least-once means an output may hold a record twice after a crash, so payments and shipments
/// are counted as distinct `order_id`s, and a `region-stats` window counts with its latest value.
struct OutputCheck {
    /// A topic's record count and, for payments and shipments, its distinct `order_id`s.
    struct TopicCount {
        var records = 0
        var distinctOrders = 0
    }

    /// Totals per region over the latest value of each of its windows.
    struct RegionTotal {
        var region: String
        var count: Int
        var sumUsd: Double
    }

    /// The `region-stats` topic, reduced to the latest value per window.
    struct Windows {
        var windows = 0
        var count = 0
        var sumUsd = 0.0
        /// By total USD, largest first.
        var regions: [RegionTotal] = []
    }

    var orders = 0
    var payments = TopicCount()
    var shipments = TopicCount()
    var deadLetters = 0
    /// Distinct source records (topic, partition and offset) among the dead letters: each branch
    /// that fails on a record writes its own copy.
    var deadLetterSources = 0
    /// Nil while there is no `region-stats` topic (the stats branch has not run).
    var windows: Windows?

    /// `CHECK in=… kept=… payments=… shipping=… windows=… win_count=… win_sum=…`, in the format
    /// of `pipeline_plain.py`; the window fields are left out while `region-stats` does not exist.
    /// `kept` is the distinct orders paid for: every order that survives the filter is.
    var checkLine: String {
        var line = "CHECK in=\(orders) kept=\(payments.distinctOrders) payments=\(payments.distinctOrders)"
        line += " shipping=\(shipments.distinctOrders)"
        if let windows {
            line += " windows=\(windows.windows) win_count=\(windows.count) win_sum=\(Format.fixed(windows.sumUsd, decimals: 2))"
        }
        return line
    }
}

extension OutputCheck {
    /// Reads the job's topics in the data directory at `directory` (read-only: safe while
    /// another process writes there).
    static func read(directory: String) throws -> OutputCheck {
        let log = try LogManager(directory: directory, readOnly: true)
        defer { try? log.close() }
        let topics = Set(log.topicNames())
        var check = OutputCheck()

        if topics.contains(OrderTopics.orders.name) {
            check.orders = try recordCount(of: OrderTopics.orders.name, in: log)
        }
        // The two largest topics, read side by side (one core each).
        let outputs = [OrderTopics.payments.name, OrderTopics.shipments.name]
        let counted = Mutex<[Result<TopicCount, any Error>?]>(Array(repeating: nil, count: outputs.count))
        DispatchQueue.concurrentPerform(iterations: outputs.count) { i in
            let result = Result { topics.contains(outputs[i]) ? try countOrders(of: outputs[i], in: log) : TopicCount() }
            counted.withLock { $0[i] = result }
        }
        let counts = try counted.withLock { try $0.map { try $0?.get() ?? TopicCount() } }
        (check.payments, check.shipments) = (counts[0], counts[1])
        if topics.contains(OrderTopics.deadLetters) {
            var sources = Set<String>()
            try forEachRecord(of: OrderTopics.deadLetters, in: log) { _, record in
                check.deadLetters += 1
                let headers = record.headers()
                let source = ["sluice.source.topic", "sluice.source.partition", "sluice.source.offset"].map { key in
                    String(decoding: headers.first { $0.key == key }?.value ?? [], as: UTF8.self)
                }
                sources.insert(source.joined(separator: ":"))
            }
            check.deadLetterSources = sources.count
        }
        if topics.contains(OrderTopics.regionStatsName) {
            check.windows = try readWindows(log)
        }
        return check
    }

    /// The latest `RegionStats` per `region@windowStartMs` key (a key lives in one partition, so
    /// the last one read there is the latest), totalled.
    private static func readWindows(_ log: LogManager) throws -> Windows {
        let decoder = FastJSONDecoder(keyDecodingStrategy: .convertFromSnakeCase)
        var latest: [String: OrderLogic.RegionStats] = [:]
        try forEachRecord(of: OrderTopics.regionStatsName, in: log) { _, record in
            guard let key = record.key, let value = record.value,
                let stats = try? decoder.decode(OrderLogic.RegionStats.self, from: value)
            else { return }
            latest[String(decoding: key, as: UTF8.self)] = stats
        }
        var windows = Windows(windows: latest.count)
        var regions: [String: RegionTotal] = [:]
        for key in latest.keys.sorted() {
            guard let stats = latest[key] else { continue }
            windows.count += stats.count
            windows.sumUsd += stats.sumUsd
            let region = key.lastIndex(of: "@").map { String(key[..<$0]) } ?? key
            regions[region, default: RegionTotal(region: region, count: 0, sumUsd: 0)].count += stats.count
            regions[region, default: RegionTotal(region: region, count: 0, sumUsd: 0)].sumUsd += stats.sumUsd
        }
        windows.regions = regions.values.sorted { ($0.sumUsd, $1.region) > ($1.sumUsd, $0.region) }
        return windows
    }

    /// A topic's records and its distinct `order_id`s (of the values that have one).
    private static func countOrders(of topic: String, in log: LogManager) throws -> TopicCount {
        let decoder = FastJSONDecoder()
        var count = TopicCount()
        var seen = Set<String>(minimumCapacity: try recordCount(of: topic, in: log))  // no rehashing as it grows
        try forEachRecord(of: topic, in: log) { _, record in
            count.records += 1
            if let value = record.value, let id = try? decoder.read(value, { try $0.object().string("order_id") }) {
                seen.insert(id)
            }
        }
        count.distinctOrders = seen.count
        return count
    }

    /// The records a plain (uncompacted) topic holds, from its partitions' offsets.
    private static func recordCount(of topic: String, in log: LogManager) throws -> Int {
        var count = 0
        for id in 0..<Int32(try log.partitionCount(topic)) {
            let partition = try log.partition(topic, id)
            count += Int(partition.highWatermark - partition.logStartOffset)
        }
        return count
    }

    /// Every stored record of `topic`, partition by partition.
    private static func forEachRecord(of topic: String, in log: LogManager, _ body: (Int32, RecordView) throws -> Void) throws {
        for id in 0..<Int32(try log.partitionCount(topic)) {
            let partition = try log.partition(topic, id)
            try partition.forEachRecord(from: partition.logStartOffset) { try body(id, $0) }
        }
    }
}
