import Testing

@testable import SluiceLog

@Suite("Kafka murmur2 partitioner")
struct PartitionerTests {
    /// Vectors from Kafka's `UtilsTest.testMurmur2`.
    @Test(arguments: [
        ("21", Int32(-973_932_308)),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
    ])
    func javaVectors(key: String, expected: Int32) {
        #expect(Partitioner.murmur2(Array(key.utf8)) == expected)
    }

    @Test func partitionsMatchJava() {
        #expect(Partitioner.partition(forKey: Array("foobar".utf8), partitionCount: 3) == 0)
        #expect(Partitioner.partition(forKey: Array("abc".utf8), partitionCount: 3) == 0)
        #expect(Partitioner.partition(forKey: Array("abc".utf8), partitionCount: 6) == 3)
    }
}
