internal import CThreadSlot

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where `ReaderState`s wait between reads: every state ever made, none ever freed (readers
/// refer to theirs without reference counting, see `ReaderState`), so the pool holds as many as
/// reads have ever run at once.
///
/// Each thread first keeps one state of its own (thread-local: no atomic operation, and no
/// cache line that several threads' reads write to, which is what made `take()` and `put(_:)`
/// cost more than a small document's parse when two stream threads decode side by side). It
/// sits in a C thread-local (`CThreadSlot`): a load and a store per read, where the pthread
/// key it used before cost about 100 instructions per read.
/// A read nested in another on the same thread, and the first read of a thread, use the shared
/// slots: one atomic operation each while at most four run at once (as in `ScratchPool`);
/// beyond that, states go to a locked list. A thread's own state goes to the shared pool
/// when the thread ends.
@usableFromInline
final class ReaderStatePool: @unchecked Sendable {
    /// The pool every decoder uses.
    @usableFromInline static let shared = ReaderStatePool()

    // @unchecked: a parked state is reachable only through a slot, the list or one thread's
    // own key, and taking moves it out atomically (or under the lock, or on that thread), so
    // no two reads ever hold the same state.
    private let slot0 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot1 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot2 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    private let slot3 = Atomic<UnsafeMutablePointer<ReaderState>?>(nil)
    /// States beyond the slots, as the bits of their addresses (which are `Sendable`).
    private let surplus = Mutex<[UInt]>([])
    /// Only there to run a destructor when a thread ends, which moves the thread's own state
    /// (in its `CThreadSlot` slot, whose address the key holds) to the shared pool. Set once
    /// per thread, on its first `put`.
    private let threadExit: pthread_key_t?
    /// States made so far (for tests: the pool must not make one per thread that ever read).
    let made = Atomic<Int>(0)

    init() {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            #else
            guard let slot = raw?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self) else { return }
            #endif
            guard let own = slot.pointee else { return }
            slot.pointee = nil
            ReaderStatePool.shared.putShared(own.assumingMemoryBound(to: ReaderState.self))
        }
        threadExit = created == 0 ? key : nil
    }

    /// This thread's slot for its own state (nil while a read on this thread holds it).
    @inline(__always)
    private var ownSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?> { sluice_json_reader_slot_address() }

    /// A parked state, or a new one; the caller owns it until `put`.
    @usableFromInline
    func take() -> UnsafeMutablePointer<ReaderState> {
        let slot = ownSlot
        if let own = slot.pointee {
            slot.pointee = nil
            return own.assumingMemoryBound(to: ReaderState.self)
        }
        if let parked = slot0.exchange(nil, ordering: .acquiring) { return parked }
        return takeSlow()
    }

    @inline(never)
    private func takeSlow() -> UnsafeMutablePointer<ReaderState> {
        if let parked = slot1.exchange(nil, ordering: .acquiring) { return parked }
        if let parked = slot2.exchange(nil, ordering: .acquiring) { return parked }
        if let parked = slot3.exchange(nil, ordering: .acquiring) { return parked }
        if let bits = surplus.withLock({ $0.popLast() }), let state = UnsafeMutablePointer<ReaderState>(bitPattern: bits) { return state }
        made.add(1, ordering: .relaxed)
        return ReaderState.make()
    }

    /// Parks `state` for a later `take()`.
    @usableFromInline
    func put(_ state: UnsafeMutablePointer<ReaderState>) {
        let slot = ownSlot
        guard slot.pointee == nil else { return putShared(state) }
        // The thread's first own state: have its exit hand the slot's state back (a thread
        // that cannot be told keeps none of its own).
        if sluice_json_reader_slot_is_registered() == 0 {
            guard let threadExit, pthread_setspecific(threadExit, slot) == 0 else { return putShared(state) }
            sluice_json_reader_slot_set_registered()
        }
        slot.pointee = UnsafeMutableRawPointer(state)
    }

    /// Parks `state` in the shared slots or list.
    func putShared(_ state: UnsafeMutablePointer<ReaderState>) {
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
