import Dispatch
import Foundation
import Synchronization

/// The clock of group membership: the coordinator's session, join and sync timers and the
/// consumers' heartbeat and poll-interval timers all read it. It is not the wall clock: the
/// driver moves it only to let the group protocol make progress, so advancing the wall clock
/// never makes a member miss a heartbeat or a poll.
///
/// A member learns that its group is rebalancing only from a heartbeat, which the backend's
/// heartbeat thread sends on real time (every 100 ms it sends those that the clock says are
/// due). `waitForHeartbeatRun` waits for that thread to have gone over every consumer once at
/// the current time; the clock notices the thread's passes as the reads it makes from a thread
/// other than the driver's while the driver waits.
final class GroupClock: Sendable {
    private struct State {
        var now: Int64
        var watching = false
        /// Passes of the heartbeat thread seen while watching (reads separated by a pause).
        var passes = 0
        var lastRead: UInt64 = 0
    }

    /// Reads further apart than this belong to different passes (the thread sleeps 100 ms
    /// between passes; one pass takes microseconds).
    private static let passGapNanos: UInt64 = 40_000_000
    /// A pass is over once no read came for this long.
    private static let quietNanos: UInt64 = 20_000_000

    private let state: Mutex<State>

    init(start: Int64) { state = Mutex(State(now: start)) }

    var now: Int64 {
        state.withLock { s in
            if s.watching {
                let time = DispatchTime.now().uptimeNanoseconds
                if time &- s.lastRead > Self.passGapNanos { s.passes += 1 }
                s.lastRead = time
            }
            return s.now
        }
    }

    /// The clock as the coordinator and the consumers take it.
    var read: @Sendable () -> Int64 { { [self] in now } }

    func advance(by delta: Int64) { state.withLock { $0.now += delta } }

    /// Blocks (real time) until the heartbeat thread has made a whole pass over the consumers
    /// that began after this call, so every heartbeat due at the current time has been sent and
    /// answered. The driver must not touch the consumers meanwhile.
    /// - Returns: false if no such pass was seen within `timeout`.
    @discardableResult
    func waitForHeartbeatPass(timeout: Duration) -> Bool {
        state.withLock { s in
            s.watching = true
            s.passes = 0
            s.lastRead = 0
        }
        defer { state.withLock { $0.watching = false } }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.002)
            // The first pass seen may have begun before the call; the second began after it.
            let done = state.withLock { s in
                s.passes >= 2 && DispatchTime.now().uptimeNanoseconds &- s.lastRead > Self.quietNanos
            }
            if done { return true }
        }
        return false
    }
}
