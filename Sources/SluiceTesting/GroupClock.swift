import Synchronization

/// The clock of group membership: the coordinator's session, join and sync timers and the
/// consumers' heartbeat and poll-interval timers all read it. It is not the wall clock: the
/// driver moves it only to let the group protocol make progress, so advancing the wall clock
/// never makes a member miss a heartbeat or a poll.
///
/// A member learns that its group is rebalancing only from a heartbeat. After moving this
/// clock the driver sends the heartbeats it made due itself (`EmbeddedBackend.sendDueHeartbeats`)
/// rather than waiting for the backend's heartbeat thread to come round.
final class GroupClock: Sendable {
    private let state: Mutex<Int64>

    init(start: Int64) { state = Mutex(start) }

    var now: Int64 { state.withLock { $0 } }

    /// The clock as the coordinator and the consumers take it.
    var read: @Sendable () -> Int64 { { [self] in now } }

    func advance(by delta: Int64) { state.withLock { $0 += delta } }
}
