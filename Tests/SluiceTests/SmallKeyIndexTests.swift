@testable import Sluice
import Testing

/// `SmallKeyIndex` may forget a key, but must never answer with another key's index.
@Suite("Small-key index")
struct SmallKeyIndexTests {
    typealias Index = SmallKeyIndex<String, Int>

    @Test func answersOnlyWithTheKeysOwnIndexAndRemembersWhatFits() {
        var dictionary: [String: Int] = [:]
        // Past 8 bytes, so that keys differ only in the second word.
        let keys = (0..<300).map { "key-number-\($0)" }
        for (value, key) in keys.enumerated() { dictionary[key] = value }
        var index = Index()
        for key in keys {
            guard let identity = Index.identity(of: key), let position = dictionary.index(forKey: key) else {
                Issue.record("\(key) is a short ASCII string in a dictionary")
                continue
            }
            index.record(position, for: identity)
        }
        var found = 0
        for key in keys {
            guard let identity = Index.identity(of: key), let position = index.index(of: identity) else { continue }
            #expect(dictionary[position].key == key)
            found += 1
        }
        #expect(found >= Index.capacity / 2, "the table keeps a good share of what fits in it")

        // A handful of keys, as a grouped aggregation has: all remembered after one look each.
        var few = Index()
        let regions = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "af-south"]
        let table = Dictionary(uniqueKeysWithValues: regions.enumerated().map { ($1, $0) })
        for region in regions {
            guard let identity = Index.identity(of: region), let position = table.index(forKey: region) else { continue }
            few.record(position, for: identity)
        }
        for region in regions {
            let position = Index.identity(of: region).flatMap { few.index(of: $0) }
            #expect(position.map { table[$0].key } == region)
        }

        index.removeAll()
        #expect(keys.allSatisfy { key in Index.identity(of: key).flatMap { index.index(of: $0) } == nil })
    }

    @Test func onlyShortASCIIStringsHaveAnIdentity() {
        #expect(Index.identity(of: "ap-northeast") != nil)
        #expect(Index.identity(of: "") != nil)
        #expect(Index.identity(of: "sixteen-bytes-xx") == nil, "16 bytes: not a small string")
        #expect(Index.identity(of: "régión") == nil, "not ASCII")
        #expect(SmallKeyIndex<Int, Int>.identity(of: 7) == nil, "not a string")
        let (short, padded) = (Index.identity(of: "eu"), Index.identity(of: "eu\u{0}"))
        #expect(short.map { [$0.0, $0.1] } != padded.map { [$0.0, $0.1] }, "the count is part of the identity")
    }
}
