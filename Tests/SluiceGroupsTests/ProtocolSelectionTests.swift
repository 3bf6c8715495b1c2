import Testing

@testable import SluiceGroups

/// `selectProtocol`, Kafka's `ClassicGroup.selectProtocol`: common names only, one vote per
/// member for its first common name, most votes wins, ties by Java `HashMap` iteration order.
@Suite("Protocol selection")
struct ProtocolSelectionTests {
    @Test func onlyNamesEveryMemberSupportsAreCandidates() {
        #expect(selectProtocol([["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin"]]) == "roundrobin")
        #expect(selectProtocol([["cooperative-sticky", "range"], ["range"]]) == "range")
    }

    @Test func mostVotesWins() {
        #expect(selectProtocol([["range", "roundrobin"], ["roundrobin", "range"], ["roundrobin", "range"]]) == "roundrobin")
        #expect(selectProtocol([["b", "a"], ["a", "b"], ["a", "b"], ["b", "a"], ["b", "a"]]) == "b")
    }

    @Test func noMembersOrNoCommonNameSelectsNothing() {
        #expect(selectProtocol([]) == nil)
        #expect(selectProtocol([["range"], ["roundrobin"]]) == nil)
        #expect(selectProtocol([["range"], []]) == nil)
        #expect(selectProtocol([["range", "sticky"]]) == "range")
    }

    /// One vote each: Kafka keeps the first maximum in its `HashMap<String, Integer>` order,
    /// i.e. by bucket `(h ^ h >>> 16) & 15` of `String.hashCode`:
    /// "sticky" -892259863 → 8, "range" 108280125 → 9, "roundrobin" -128548644 → 10,
    /// "cooperative-sticky" 1843682987 → 15.
    @Test func tiesFollowKafkasHashMapOrder() {
        #expect(JavaOrder.hashCode("range") == 108_280_125)
        #expect(JavaOrder.hashCode("roundrobin") == -128_548_644)
        #expect(JavaOrder.hashCode("cooperative-sticky") == 1_843_682_987)
        #expect(JavaOrder.hashCode("sticky") == -892_259_863)
        #expect(selectProtocol([["cooperative-sticky", "range"], ["range", "cooperative-sticky"]]) == "range")
        #expect(selectProtocol([["range", "cooperative-sticky"], ["cooperative-sticky", "range"]]) == "range")
        #expect(selectProtocol([["roundrobin", "range"], ["range", "roundrobin"]]) == "range")
        #expect(selectProtocol([["range", "sticky"], ["sticky", "range"]]) == "sticky")
        #expect(selectProtocol([["cooperative-sticky", "roundrobin"], ["roundrobin", "cooperative-sticky"]]) == "roundrobin")
    }

    /// "Aa" and "BB" share a hash code (2112), so the same bucket: the first name voted for wins.
    @Test func tiesInOneBucketGoToTheFirstVote() {
        #expect(selectProtocol([["BB", "Aa"], ["Aa", "BB"]]) == "BB")
        #expect(selectProtocol([["Aa", "BB"], ["BB", "Aa"]]) == "Aa")
    }

    @Test func aNameListedTwiceCountsOnce() {
        #expect(selectProtocol([["range", "range", "roundrobin"], ["roundrobin"]]) == "roundrobin")
    }

    @Test func hashMapOrderGrowsWithTheTable() {
        // 13 keys exceed 16 × 0.75, so Java has grown the table to 32 buckets: iteration goes
        // by bucket of 32, not of 16.
        let keys = (0..<13).map { "k\($0)" }
        let order = JavaOrder.hashMapIterationOrder(keys)
        #expect(Set(order) == Set(keys))
        let buckets = order.map { key -> UInt32 in
            let h = UInt32(bitPattern: JavaOrder.hashCode(key))
            return (h ^ (h >> 16)) & 31
        }
        #expect(buckets == buckets.sorted())
    }
}
