import Foundation
@_spi(Testing) import Sluice
import SluiceClient
import SluiceLog
import SluiceTestSupport
import Testing

/// Aggregates stay exact when a branch dies mid-batch (outputs written, nothing committed) and
/// restarts from its committed offsets and changelog, again and again: every replayed record,
/// and every repartitioned copy a replay makes, is recognised by its origin and applied once.
extension StatefulPipelineTests {
    /// Pre-aggregated (partials repartitioned, `WindowCombineStore`) and per-record repartitioning.
    @Test(arguments: [UInt64(31), 32, 33], [false, true])
    func aggregatesStayExactAcrossCrashes(seed: UInt64, preAggregated: Bool) throws {
        let sales = randomSales(4_000, seed: seed)
        try load(sales)
        var random = SplitMix64(seed: seed)
        var options = options()
        options.maxPollRecords = 300  // many batches, so crashes land between and inside them
        var crashes = 0
        for _ in 0..<6 {
            let backend = try EmbeddedBackend(directory: directory.path)
            let instance = try PipelineInstance(pipeline: statsPipeline(preAggregated: preAggregated), backend: backend, options: options)
            try instance.subscribe()
            // Pre-aggregated, the branch reads each sale once (not twice): crash sooner.
            instance.crash(branch: "stats", afterRecords: Int(random.next() % (preAggregated ? 1_200 : 2_500)))
            do {
                for _ in 0..<10_000 { try instance.step() }
            } catch is SimulatedCrash {
                crashes += 1
            }
            instance.abandon()
            try backend.close()
        }
        #expect(crashes >= 4, "most runs crashed mid-way")
        let summary = try statsPipeline(preAggregated: preAggregated).run(options)
        #expect(summary.branches[0].late == 0)
        #expect(try decodedTotals() == windowTotals(sales, size: 10_000), "every sale counted exactly once")
    }
}
