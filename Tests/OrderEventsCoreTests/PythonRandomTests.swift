import OrderEventsCore
import Testing

/// Known answers from CPython 3.11 (`random.Random(seed)`), computed with `python3 -c ...` and
/// pinned, so the MT19937 port is checked without an interpreter.
@Suite struct PythonRandomTests {
    @Test("getrandbits(32) after seeding from an int of any width and sign", arguments: [
        (42, [2_746_317_213, 478_163_327, 107_420_369, 3_184_935_163, 1_181_241_943] as [UInt32]),
        (0, [3_626_764_237, 1_654_615_998, 3_255_389_356]),
        (7, [1_390_851_128, 4_071_050_724, 647_892_279]),
        (-7, [1_390_851_128, 4_071_050_724, 647_892_279]),  // CPython seeds with |seed|
        ((1 << 40) + 5, [2_166_296_868, 2_220_160_828, 1_153_647_273]),  // two key words
    ])
    func rawOutputs(seed: Int, expected: [UInt32]) {
        var random = PythonRandom(seed: seed)
        #expect(expected.map { _ in random.getrandbits(32) } == expected)
    }

    @Test("random() is the 53-bit float of two outputs")
    func floats() {
        var random = PythonRandom(seed: 42)
        #expect([random.random(), random.random(), random.random()] == [0.6394267984578837, 0.025010755222666936, 0.27502931836911926])
    }

    @Test("randint, getrandbits(k) and choice draw like CPython")
    func derivedDraws() {
        var random = PythonRandom(seed: 42)
        // random.Random(42): [r.randint(0, 40) for _ in range(8)], then [r.getrandbits(5) for _ in range(4)]
        #expect((0..<8).map { _ in random.randint(0, 40) } == [40, 7, 1, 17, 15, 14, 8, 6])
        #expect((0..<4).map { _ in random.getrandbits(5) } == [21, 23, 28, 17])

        var chooser = PythonRandom(seed: 42)
        // random.Random(42): [r.choice('abcdefghij') for _ in range(8)]
        #expect(String((0..<8).map { _ in chooser.choice(Array("abcdefghij")) }) == "baeddcbi")
    }

    @Test("more than 624 outputs regenerate the state like CPython")
    func pastFirstBlock() {
        var random = PythonRandom(seed: 42)
        for _ in 0..<1_000 { _ = random.nextUInt32() }
        // r = random.Random(42); [r.getrandbits(32) for _ in range(1000)]; [r.getrandbits(32) for _ in range(3)]
        #expect([random.nextUInt32(), random.nextUInt32(), random.nextUInt32()] == [2_672_573_305, 2_294_043_548, 115_820_025])
    }

    @Test("a copy continues independently")
    func valueSemantics() {
        var original = PythonRandom(seed: 5)
        _ = original.random()
        var copy = original
        let fromCopy = (0..<700).map { _ in copy.nextUInt32() }
        let fromOriginal = (0..<700).map { _ in original.nextUInt32() }
        #expect(fromCopy == fromOriginal)
    }
}
