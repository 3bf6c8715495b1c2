/// Chooses a group's protocol (assignor) the way Kafka's coordinator does when a join phase
/// completes (`ClassicGroup.selectProtocol`).
///
/// Only names every member lists are candidates. Each member votes for the first candidate in
/// its own list (its preference order), and the name with the most votes wins. Kafka counts the
/// votes in a `java.util.HashMap` and takes the first maximum it meets while iterating it, so a
/// tie goes to the name that comes first in that map's iteration order (by `String.hashCode`
/// bucket, then by first vote); this reproduces that order, so a Sluice coordinator picks what a
/// Kafka broker would for the same members.
///
/// - Parameter memberProtocols: every member's protocol names in its preference order, members
///   in the coordinator's iteration order (which only matters for a tie between names that share
///   a hash bucket). A name listed twice by one member counts once.
/// - Returns: the chosen name, or `nil` when there are no members or no name all of them
///   support (Kafka answers INCONSISTENT_GROUP_PROTOCOL, 23).
public func selectProtocol(_ memberProtocols: [[String]]) -> String? {
    guard let first = memberProtocols.first else { return nil }
    var candidates = Set(first)
    for protocols in memberProtocols.dropFirst() { candidates.formIntersection(protocols) }
    var votes: [String: Int] = [:]
    var votedInOrder: [String] = []
    for protocols in memberProtocols {
        guard let vote = protocols.first(where: candidates.contains) else { return nil }
        if votes[vote] == nil { votedInOrder.append(vote) }
        votes[vote, default: 0] += 1
    }
    var winner: String?
    var most = 0
    for name in JavaOrder.hashMapIterationOrder(votedInOrder) where votes[name, default: 0] > most {
        winner = name
        most = votes[name, default: 0]
    }
    return winner
}
