import SluiceTestSupport
import SluiceWindows

/// One randomized property-test case, fully determined by its seed: a window definition with
/// small durations (so boundaries, equal timestamps and closings happen often), a grace that is
/// often 0, and a stream whose disorder reaches beyond the grace.
struct Scenario: CustomStringConvertible {
    var seed: UInt64
    var spec: WindowSpec
    var grace: Int64
    var events: [StreamEvent]

    enum Family: CaseIterable, Sendable { case fixed, sliding, session }

    init(_ family: Family, seed: UInt64, count: Int = 250) {
        var random = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 17)
        let size = Int64(random.int(1...20))
        switch family {
        case .fixed:
            let advance = random.chance(0.25) ? size : Int64(random.int(1...Int(size)))
            spec = advance == size && random.chance(0.5) ? .tumbling(size: size) : .hopping(size: size, advance: advance)
        case .sliding:
            spec = .sliding(size: size)
        case .session:
            spec = .session(gap: size)
        }
        grace = random.chance(0.3) ? 0 : Int64(random.int(0...15))
        self.seed = seed
        events = StreamEvent.randomStream(seed: seed, count: count, keys: random.int(1...4), step: random.int(1...6), disorder: 35)
    }

    /// What the brute-force reference predicts.
    func expected() -> Expected {
        switch spec {
        case .tumbling(let size): ReferenceModel.fixed(size: size, advance: size, grace: grace, events)
        case .hopping(let size, let advance): ReferenceModel.fixed(size: size, advance: advance, grace: grace, events)
        case .sliding(let size): ReferenceModel.sliding(difference: size, grace: grace, events)
        case .session(let gap): ReferenceModel.sessions(gap: gap, grace: grace, events)
        }
    }

    func verdict(_ emit: EmitMode) -> Verdict {
        Verdict(spec: spec, grace: grace, emit: emit, context: "\(self), \(emit)")
    }

    var description: String { "seed \(seed), \(spec), grace \(grace), \(events.count) events" }
}
