/// The states of a classic consumer group (Kafka's `ClassicGroupState`).
///
/// Transitions (and only these):
/// ```
/// Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance ──leader sync──▶ Stable
///   ▲                 │  ▲                                              │                              │
///   └── last leaves ──┘  └──────── member joins, leaves or expires ─────┴──────────────────────────────┘
/// any ──delete──▶ Dead
/// ```
public enum GroupState: String, Sendable, Hashable, CaseIterable {
    /// No members; the group may still have committed offsets.
    case empty = "Empty"
    /// Waiting for every known member to (re)join.
    case preparingRebalance = "PreparingRebalance"
    /// JoinGroup answered; waiting for the leader's assignment in SyncGroup.
    case completingRebalance = "CompletingRebalance"
    /// Every member has its assignment for the current generation.
    case stable = "Stable"
    /// Removed; requests are answered COORDINATOR_NOT_AVAILABLE.
    case dead = "Dead"

    /// Parses Kafka's state names, case-insensitively (`--state stable` works as in Kafka's CLI).
    public init?(kafkaName: String) {
        guard let state = Self.allCases.first(where: { $0.rawValue.lowercased() == kafkaName.lowercased() }) else { return nil }
        self = state
    }
}
