import SluiceClient
import SluiceLog
import Synchronization

/// What one task's operator chain uses while it runs: the shared producer and reusable
/// encoding buffers. Owned by the task's thread; never shared.
public final class TaskContext {
    let producer: Producer
    let metrics: BranchMetrics
    var keyScratch: [UInt8] = []
    var valueScratch: [UInt8] = []

    init(producer: Producer, metrics: BranchMetrics) {
        self.producer = producer
        self.metrics = metrics
        keyScratch.reserveCapacity(256)
        valueScratch.reserveCapacity(4096)
    }

    func send(topic: String, key: [UInt8]?, value: [UInt8], timestamp: Int64) throws {
        try withOptional(key) { key in
            try value.withUnsafeBytes { value in
                try producer.send(topic: topic, key: key, value: value, timestamp: timestamp)
            }
        }
        metrics.produced.add(1, ordering: .relaxed)
    }
}

func withOptional<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
    guard let bytes else { return try body(nil) }
    return try bytes.withUnsafeBytes { try body($0) }
}
