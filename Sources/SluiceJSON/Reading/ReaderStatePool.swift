import Synchronization

/// Where `ReaderState`s wait between reads: every state ever made, none ever freed (readers
/// refer to theirs without reference counting, see `ReaderState`), so the pool holds as many as
/// reads have ever run at once.
///
/// `take()` and `put(_:)` cost one atomic operation each while at most four reads run at once
/// (the slots, as in `ScratchPool`); beyond that, states go to a locked list.
@usableFromInline
final class ReaderStatePool: @unchecked Sendable {
    /// The pool every decoder uses.
    @usableFromInline static let shared = ReaderStatePool()

    // @unchecked: a parked state is reachable only through a slot or the list, and taking moves
    // it out atomically (or under the lock), so no two reads ever hold the same state.
    private let slot0 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot1 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot2 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot3 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    /// States beyond the slots, as the bits of their addresses (which are `Sendable`).
    private let surplus = Mutex<[UInt]>([])

    /// A parked state, or a new one; the caller owns it until `put`.
    @usableFromInline
    func take() -> UnsafeMutablePointer<ReaderState> {
        if let parked = slot0.exchange(nil, ordering: .acquiring) { return parked }
        return takeSlow()
    }

    @inline(never)
    private func takeSlow() -> UnsafeMutablePointer<ReaderState> {
        if let parked = slot1.exchange(nil, ordering: .acquiring) { return parked }
        if let parked = slot2.exchange(nil, ordering: .acquiring) { return parked }
        if let parked = slot3.exchange(nil, ordering: .acquiring) { return parked }
        if let bits = surplus.withLock({ $0.popLast() }), let state = UnsafeMutablePointer<ReaderState>(bitPattern: bits) { return state }
        return ReaderState.make()
    }

    /// Parks `state` for a later `take()`.
    @usableFromInline
    func put(_ state: UnsafeMutablePointer<ReaderState>) {
        if slot0.compareExchange(expected: nil, desired: state, ordering: .releasing).exchanged { return }
        putSlow(state)
    }

    @inline(never)
    private func putSlow(_ state: UnsafeMutablePointer<ReaderState>) {
        if slot1.compareExchange(expected: nil, desired: state, ordering: .releasing).exchanged { return }
        if slot2.compareExchange(expected: nil, desired: state, ordering: .releasing).exchanged { return }
        if slot3.compareExchange(expected: nil, desired: state, ordering: .releasing).exchanged { return }
        let bits = UInt(bitPattern: state)
        surplus.withLock { $0.append(bits) }
    }
}
