import Foundation

/// The order events of `../shared/bench/gen_events.py`, byte for byte: the same seed gives the
/// same JSON lines that `python3 gen_events.py N OUTFILE SEED` writes.
///
/// Why: the order-events benchmark compares Sluice with its peers on the very same bytes, and
/// `order-events --generate N --seed S` must not need Python. The script draws from
/// `random.Random(seed)` (ported as ``PythonRandom``) in this order per event: `randint(0, 40)`
/// timestamp step, `random() < 0.6` for one item (else two), per item `randint(1, 5)` quantity,
/// `randint(199, 49999)` price in cents and `choice(SKUS)`, then `randint(0, 199999)` customer,
/// `choice(REGIONS)`, `choice(CURRENCIES)`, `choice(STATUSES)` — the order in which Python
/// evaluates the dict display, which is not the order the keys are printed in.
///
/// How each line is printed matches `json.dumps(ev, separators=(",", ":"))`: keys in insertion
/// order, no spaces, ASCII strings that need no escaping, ints in decimal. The two floats,
/// `price = round(cents / 100, 2)` and `amount = round(total / 100, 2)`, are written straight from
/// the integer cents: for an integer `c` with |c| < 2⁴⁶, `c / 100` is the double nearest to the
/// decimal `c/100`, `round(·, 2)` gives that same double back (CPython rounds the exact binary
/// value to two decimals, which is `c/100`, and parses it again), and its shortest round-trip
/// `repr` is `c/100` with trailing zeros dropped but one fractional digit kept (`1384.6`,
/// `12.0`, `0.05`): a shorter decimal would be at least 0.01 away. Cents here are at most
/// 2 × 5 × 49 999 = 499 990, far inside that range and never in `repr`'s exponent range; the tests
/// check every value 0...499 990 against Python's own `repr(round(c / 100, 2))`.
///
/// Guarantees: `next()` continues the sequence of a `gen_events.py` run with the same seed;
/// lines are pure ASCII and never contain a newline; no Foundation JSON on the hot path.
public struct OrderEventGenerator: Sendable {
    /// The seed `gen_events.py` uses when none is given.
    public static let defaultSeed = 42
    /// `ts` before the first event's step: 2023-11-14T22:13:20Z in epoch milliseconds.
    public static let startTimestamp = 1_700_000_000_000

    static let regions: [StaticString] = [
        "us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast", "sa-east", "af-south",
    ]
    static let currencies: [StaticString] = ["USD", "EUR", "GBP", "JPY", "INR", "BRL"]
    /// Weighted by repetition, exactly as the script's list (the draw is an index into it).
    static let statuses: [StaticString] =
        Array(repeating: "created", count: 5) + Array(repeating: "paid", count: 3) + ["shipped", "cancelled"]
    /// `SKUS = ["SKU-%05d" % i for i in range(2000)]`; only the count matters for the draw.
    static let skuCount = 2000

    /// Longest possible line: 19-digit order index and timestamp, two items, longest names.
    static let maximumLineLength = 320
    /// A little above the mean line with its newline (217.5 bytes over the first million events),
    /// so bulk appends reserve once instead of regrowing a large buffer.
    static let typicalLineLength = 224

    private var random: PythonRandom
    private var timestamp: Int
    /// The index of the next event, printed as its `order_id` (`ord-%09d`).
    public private(set) var nextIndex: Int

    /// The generator of `gen_events.py N OUTFILE seed`.
    public init(seed: Int = OrderEventGenerator.defaultSeed) {
        random = PythonRandom(seed: seed)
        timestamp = Self.startTimestamp
        nextIndex = 0
    }

    /// The next event as one JSON line, without the newline.
    public mutating func next() -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(Self.maximumLineLength)
        appendNext(to: &line)
        return line
    }

    /// Appends the next event's JSON line (without the newline) to `buffer`.
    public mutating func appendNext(to buffer: inout [UInt8]) {
        timestamp += random.randint(0, 40)
        let itemCount = random.random() < 0.6 ? 1 : 2
        let first = drawItem()
        let second = itemCount == 2 ? drawItem() : first
        let total = first.quantity * first.priceCents + (itemCount == 2 ? second.quantity * second.priceCents : 0)
        let customer = random.randint(0, 199_999)
        let region = random.choice(Self.regions)
        let currency = random.choice(Self.currencies)
        let status = random.choice(Self.statuses)
        let index = nextIndex
        nextIndex += 1

        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumLineLength) { scratch in
            var out = ASCIIWriter(scratch.baseAddress!)
            out.write("{\"order_id\":\"ord-")
            out.writeDecimal(index, minimumDigits: 9)
            out.write("\",\"customer_id\":\"cust-")
            out.writeDecimal(customer, minimumDigits: 6)
            out.write("\",\"region\":\"")
            out.write(region)
            out.write("\",\"amount\":")
            out.writeHundredths(total)
            out.write(",\"currency\":\"")
            out.write(currency)
            out.write("\",\"items\":[")
            out.write(first)
            if itemCount == 2 {
                out.write(",")
                out.write(second)
            }
            out.write("],\"status\":\"")
            out.write(status)
            out.write("\",\"ts\":")
            out.writeDecimal(timestamp, minimumDigits: 1)
            out.write("}")
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<out.count]))
        }
    }

    /// Appends the next `count` events to `buffer`, each line followed by `\n` — the file format
    /// `gen_events.py` writes.
    public mutating func appendLines(count: Int, to buffer: inout [UInt8]) {
        precondition(count >= 0, "negative event count \(count)")
        buffer.reserveCapacity(buffer.count + count * Self.typicalLineLength)
        for _ in 0..<count {
            appendNext(to: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes the next `count` events to a new (or truncated) file at `path`, one line each:
    /// what `python3 gen_events.py count path seed` writes, in chunks of about `chunkBytes`.
    public mutating func write(count: Int, toFileAt path: String, chunkBytes: Int = 1 << 20) throws {
        precondition(count >= 0, "negative event count \(count)")
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let file = FileHandle(forWritingAtPath: path)
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? file.close() }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkBytes + Self.maximumLineLength + 1)
        var remaining = count
        while remaining > 0 {
            while remaining > 0, chunk.count < chunkBytes {
                appendNext(to: &chunk)
                chunk.append(UInt8(ascii: "\n"))
                remaining -= 1
            }
            try file.write(contentsOf: chunk)
            chunk.removeAll(keepingCapacity: true)
        }
    }

    private mutating func drawItem() -> Item {
        let quantity = random.randint(1, 5)
        let priceCents = random.randint(199, 49_999)
        let sku = random.randbelow(Self.skuCount)
        return Item(sku: sku, quantity: quantity, priceCents: priceCents)
    }

    /// One entry of `items`, as drawn (the SKU as its index into `SKUS`).
    struct Item {
        var sku: Int
        var quantity: Int
        var priceCents: Int
    }

    /// Writes ASCII into scratch memory of at least `maximumLineLength` bytes; no bounds checks,
    /// which is why it stays internal to the generator, whose lines are bounded by construction.
    struct ASCIIWriter {
        let base: UnsafeMutablePointer<UInt8>
        private(set) var count = 0

        init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

        mutating func write(_ text: StaticString) {
            (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            count += text.utf8CodeUnitCount
        }

        /// `%0<minimumDigits>d` for a non-negative value.
        mutating func writeDecimal(_ value: Int, minimumDigits: Int) {
            var digits = 1
            var rest = value / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            let width = max(digits, minimumDigits)
            var v = value
            for position in stride(from: count + width - 1, through: count, by: -1) {
                base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
            count += width
        }

        /// Python's `repr(round(hundredths / 100, 2))` for 0 ≤ hundredths < 2⁴⁶ (see the type's doc).
        mutating func writeHundredths(_ hundredths: Int) {
            writeDecimal(hundredths / 100, minimumDigits: 1)
            let fraction = hundredths % 100
            base[count] = UInt8(ascii: ".")
            base[count + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction / 10)
            if fraction % 10 == 0 {
                count += 2
            } else {
                base[count + 2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
                count += 3
            }
        }

        mutating func write(_ item: Item) {
            write("{\"sku\":\"SKU-")
            writeDecimal(item.sku, minimumDigits: 5)
            write("\",\"qty\":")
            writeDecimal(item.quantity, minimumDigits: 1)
            write(",\"price\":")
            writeHundredths(item.priceCents)
            write("}")
        }
    }
}
