import Synchronization

/// The driver's wall clock, in milliseconds since the epoch: it moves only when the test says
/// (`PipelineTestDriver.advanceWallClock(by:)`). It times the AckModes' commit intervals and
/// stamps piped records that are given no timestamp.
final class ManualClock: Sendable {
    private let milliseconds: Atomic<Int64>

    init(start: Int64) { milliseconds = Atomic(start) }

    var now: Int64 { milliseconds.load(ordering: .acquiring) }

    /// The clock as the runtime takes it.
    var read: @Sendable () -> Int64 { { [self] in now } }

    func advance(by delta: Int64) { milliseconds.add(delta, ordering: .acquiringAndReleasing) }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
