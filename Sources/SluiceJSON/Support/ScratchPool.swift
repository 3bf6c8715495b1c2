import Synchronization

/// A few parked scratch objects (index, buffers) that decodes or encodes borrow and return, so a
/// `Sendable` coder value can be shared by every task and still reuse its memory.
///
/// `take()` hands out a parked object or nil; whoever takes one owns it alone until `put(_:)`
/// parks it again (or drops it). Each slot is one atomic exchange, no lock: on an uncontended
/// path a borrow costs two atomic operations. When more threads than slots work at once, the
/// extra ones allocate fresh scratch and the surplus is released.
final class ScratchPool<Scratch: PooledScratch>: @unchecked Sendable {
    // @unchecked: a parked object is reachable only through a slot, and an exchange moves it
    // out atomically, so no two threads ever hold the same object.
    private let slot0 = Atomic<Unmanaged<Scratch>?>(nil)
    private let slot1 = Atomic<Unmanaged<Scratch>?>(nil)
    private let slot2 = Atomic<Unmanaged<Scratch>?>(nil)
    private let slot3 = Atomic<Unmanaged<Scratch>?>(nil)

    init() {}

    deinit {
        for slot in [slot0.exchange(nil, ordering: .acquiring), slot1.exchange(nil, ordering: .acquiring),
                     slot2.exchange(nil, ordering: .acquiring), slot3.exchange(nil, ordering: .acquiring)] {
            slot?.takeRetainedValue().discard()
        }
    }

    /// A parked object, now owned by the caller; nil when none is parked.
    @inline(__always)
    func take() -> Scratch? {
        if let parked = slot0.exchange(nil, ordering: .acquiring) { return parked.takeRetainedValue() }
        return takeSlow()
    }

    @inline(never)
    private func takeSlow() -> Scratch? {
        if let parked = slot1.exchange(nil, ordering: .acquiring) { return parked.takeRetainedValue() }
        if let parked = slot2.exchange(nil, ordering: .acquiring) { return parked.takeRetainedValue() }
        if let parked = slot3.exchange(nil, ordering: .acquiring) { return parked.takeRetainedValue() }
        return nil
    }

    /// Parks `scratch` for the next `take()`; the caller must not touch it afterwards.
    @inline(__always)
    func put(_ scratch: Scratch) {
        let parked = Unmanaged.passRetained(scratch)
        if slot0.compareExchange(expected: nil, desired: parked, ordering: .releasing).exchanged { return }
        putSlow(parked)
    }

    @inline(never)
    private func putSlow(_ parked: Unmanaged<Scratch>) {
        if slot1.compareExchange(expected: nil, desired: parked, ordering: .releasing).exchanged { return }
        if slot2.compareExchange(expected: nil, desired: parked, ordering: .releasing).exchanged { return }
        if slot3.compareExchange(expected: nil, desired: parked, ordering: .releasing).exchanged { return }
        parked.takeRetainedValue().discard()
    }
}

/// What a `ScratchPool` holds.
protocol PooledScratch: AnyObject {
    /// Called when the pool lets go of the object for good: break reference cycles here.
    func discard()
}
