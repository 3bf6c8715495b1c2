import SluiceWindows
import Testing

/// Every window kind in both emit modes against the brute-force reference, on random streams
/// with fixed seeds: same late records, same final aggregates (onClose, each emitted exactly
/// once by the event that closed it), and an update stream that ends at the same table with
/// exact retractions (onUpdate).
@Suite("Window semantics match the brute-force reference")
struct WindowPropertyTests {
    static let seeds: ClosedRange<UInt64> = 1...60

    @Test("random streams", arguments: Scenario.Family.allCases, [EmitMode.onUpdate, .onClose])
    func randomStreams(family: Scenario.Family, emit: EmitMode) throws {
        for seed in Self.seeds {
            let scenario = Scenario(family, seed: seed)
            let run = try EngineRun.run(scenario.spec, grace: scenario.grace, emit: emit, scenario.events)
            scenario.verdict(emit).check(run, against: scenario.expected())
        }
    }

    @Test("a snapshot restored into a new engine continues exactly", arguments: Scenario.Family.allCases, [EmitMode.onUpdate, .onClose])
    func restartFromSnapshot(family: Scenario.Family, emit: EmitMode) throws {
        for seed in Self.seeds {
            let scenario = Scenario(family, seed: seed)
            let restartAt = Int(seed * 37 % UInt64(scenario.events.count))
            let restarted = try EngineRun.run(scenario.spec, grace: scenario.grace, emit: emit, scenario.events, restartAt: restartAt)
            scenario.verdict(emit).check(restarted, against: scenario.expected())
            // Event by event the same results; only the order among finals closing at the same
            // instant may differ, since a restored engine numbers its keys afresh.
            let uninterrupted = try EngineRun.run(scenario.spec, grace: scenario.grace, emit: emit, scenario.events)
            #expect(Self.byEvent(restarted) == Self.byEvent(uninterrupted), "\(scenario), restart at \(restartAt)")
        }
    }

    @Test("with grace beyond any disorder, sliding and session windows are the textbook definitions")
    func unboundedGraceMatchesDefinitions() throws {
        for seed in Self.seeds {
            for family in [Scenario.Family.sliding, .session] {
                var scenario = Scenario(family, seed: seed)
                scenario.grace = 10_000
                for emit in [EmitMode.onUpdate, .onClose] {
                    let run = try EngineRun.run(scenario.spec, grace: scenario.grace, emit: emit, scenario.events)
                    let table = (emit == .onClose ? run.finals() : run.updateTable()).mapValues { $0.sorted() }
                    let expected = switch scenario.spec {
                    case .sliding(let size): ReferenceModel.Unbounded.sliding(difference: size, scenario.events)
                    case .session(let gap): ReferenceModel.Unbounded.sessions(gap: gap, scenario.events)
                    default: [WindowKey: [Int]]()
                    }
                    #expect(run.late.isEmpty, "\(scenario)")
                    #expect(table == expected, "\(scenario), \(emit)")
                }
            }
        }
    }

    @Test("hopping with advance equal to size is tumbling, result for result")
    func hoppingWithAdvanceEqualToSizeIsTumbling() throws {
        for seed in Self.seeds {
            let scenario = Scenario(.fixed, seed: seed)
            let size: Int64 = switch scenario.spec {
            case .tumbling(let size), .hopping(let size, _): size
            default: 1
            }
            for emit in [EmitMode.onUpdate, .onClose] {
                let tumbling = try EngineRun.run(.tumbling(size: size), grace: scenario.grace, emit: emit, scenario.events)
                let hopping = try EngineRun.run(.hopping(size: size, advance: size), grace: scenario.grace, emit: emit, scenario.events)
                #expect(tumbling.results.map(\.result) == hopping.results.map(\.result), "\(scenario), \(emit)")
                #expect(tumbling.late == hopping.late)
            }
        }
    }

    /// Results per event, each event's in a canonical order.
    private static func byEvent(_ run: EngineRun) -> [Int: [String]] {
        Dictionary(grouping: run.results, by: \.event).mapValues { emissions in
            emissions.map { "\($0.result.kind) \($0.result.key)\($0.result.window) \($0.result.aggregate)" }.sorted()
        }
    }
}
