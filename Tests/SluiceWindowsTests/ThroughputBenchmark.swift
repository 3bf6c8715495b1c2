#if canImport(Glibc)
import Glibc
#endif
import SluiceWindows
import Testing

/// An informal throughput measurement, not a test: skipped unless `SLUICE_WINDOWS_PERF=1`.
/// Run it release-built:
///
///     SLUICE_WINDOWS_PERF=1 swift test -c release --filter ThroughputBenchmark
///
/// Each case feeds in-order records (1 ms apart, round-robin over the keys) through one engine
/// and prints records per second. When the process was started with a malloc-counting library
/// preloaded that exports `sluice_malloc_count` (see the function below), it also prints heap
/// allocations per record for the second half of the run (the steady state).
@Suite("Windowed aggregation throughput (informal)", .serialized, .enabled(if: getenv("SLUICE_WINDOWS_PERF") != nil))
struct ThroughputBenchmark {
    struct Stats: Sendable {
        var count = 0
        var sum = 0.0
    }

    struct Case: Sendable, CustomStringConvertible {
        var spec: WindowSpec
        var emit: EmitMode
        var keys: Int
        var records: Int
        var grace: Int64 = 5_000
        var description: String { "\(spec) grace \(grace) \(emit) \(keys) keys" }
    }

    static let cases: [Case] = [
        Case(spec: .tumbling(size: 60_000), emit: .onClose, keys: 1_000, records: 20_000_000),
        Case(spec: .tumbling(size: 60_000), emit: .onUpdate, keys: 1_000, records: 20_000_000),
        Case(spec: .tumbling(size: 60_000), emit: .onClose, keys: 10, records: 20_000_000),
        Case(spec: .hopping(size: 60_000, advance: 10_000), emit: .onClose, keys: 1_000, records: 5_000_000),
        Case(spec: .sliding(size: 10_000), emit: .onClose, keys: 1_000, records: 2_000_000),
        Case(spec: .session(gap: 5_000), emit: .onClose, keys: 1_000, records: 5_000_000),
        // Churn: every key's window (session) closes and a new one opens for each of its records,
        // so key slots are released and reclaimed all the time.
        Case(spec: .tumbling(size: 1_000), emit: .onClose, keys: 1_000, records: 20_000_000, grace: 0),
        Case(spec: .session(gap: 500), emit: .onUpdate, keys: 1_000, records: 5_000_000, grace: 0),
    ]

    @Test(arguments: cases)
    func throughput(_ benchmark: Case) throws {
        var engine = try WindowedAggregation<String, Double, Stats>(
            windows: benchmark.spec, grace: benchmark.grace, emit: benchmark.emit,
            initializer: { Stats() },
            aggregator: { $0.count += 1; $0.sum += $1 },
            merger: { $0.count += $1.count; $0.sum += $1.sum })
        let keys = (0..<benchmark.keys).map { "region-\($0)" }
        var results: [WindowedResult<String, Stats>] = []
        results.reserveCapacity(1 << 16)
        var emitted = 0
        var allocationsAtHalf: UInt64 = 0
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<benchmark.records {
            if index == benchmark.records / 2 { allocationsAtHalf = Self.mallocCount() ?? 0 }
            let outcome = try engine.process(
                key: keys[index % keys.count], value: Double(index & 1023), timestamp: Int64(index), into: &results)
            precondition(outcome == .accepted)
            if results.count >= 1 << 15 {
                emitted += results.count
                results.removeAll(keepingCapacity: true)
            }
        }
        let allocations = Self.mallocCount().map { $0 - allocationsAtHalf }
        let elapsed = clock.now - start
        engine.flush(into: &results)
        emitted += results.count
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(benchmark.records) / seconds / 1e6
        let steadyRecords = Double(benchmark.records - benchmark.records / 2)
        let perRecord = allocations.map { "\($0) in \(Int(steadyRecords)) records" } ?? "n/a (no counting malloc preloaded)"
        print("windows-perf \(benchmark): \(benchmark.records) records in \(Self.decimal(seconds, places: 3)) s = \(Self.decimal(rate, places: 2)) M records/s, \(emitted) results, heap allocations in the second half: \(perRecord)")
    }

    /// `value` with `places` decimals (no Foundation here).
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = "\(scaled / Int(scale))"
        let fraction = "\(scaled % Int(scale))"
        return whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// Calls `sluice_malloc_count()` if a preloaded library defines it, e.g. this C file built with
    /// `cc -shared -fPIC -O2 -o /tmp/malloccount.so malloccount.c` and run with
    /// `LD_PRELOAD=/tmp/malloccount.so`:
    ///
    ///     #include <stdatomic.h>
    ///     #include <stddef.h>
    ///     extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t);
    ///     static atomic_ulong count;
    ///     unsigned long sluice_malloc_count(void) { return count; }
    ///     void *malloc(size_t n) { count++; return __libc_malloc(n); }
    ///     void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
    ///     void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }
    static func mallocCount() -> UInt64? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sluice_malloc_count") else { return nil }
        return UInt64(unsafeBitCast(symbol, to: (@convention(c) () -> UInt).self)())
        #else
        return nil
        #endif
    }
}
