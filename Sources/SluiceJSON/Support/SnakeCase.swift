/// Foundation's `convertFromSnakeCase` / `convertToSnakeCase` key conversions, reimplemented
/// without Foundation: a byte-level path for ASCII keys (what real keys are) that never builds
/// a `String`, and a Unicode path that follows the same algorithm on scalars.
///
/// From snake case (decoding): leading and trailing underscores stay; the rest is split on `_`
/// (runs of them count as one); with a single word the key is left alone, otherwise the first
/// word is lowercased and each later word capitalized as Foundation's `capitalized` does (the
/// first cased letter upper, the cased letters after it lower, a digit or other uncased
/// character starting over): `order_id` → `orderId`, `ORDER_ID` → `orderId`, `_a_b_` → `_aB_`.
///
/// To snake case (encoding): words break before an uppercase letter, and a run of capitals
/// before a lowercase letter is a word of its own; words are lowercased and joined with `_`:
/// `orderId` → `order_id`, `myURLValue` → `my_url_value`.
///
/// Case classes follow `CharacterSet.uppercaseLetters` (Lu, Lt) and `lowercaseLetters` (Ll);
/// case-ignorable characters are Unicode's `Case_Ignorable` (Foundation uses a CF subset of it,
/// which only matters for keys with characters such as U+00AD inside a word).
enum SnakeCase {
    @inline(__always)
    static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always)
    static func isLower(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { isUpper(c) ? c | 0x20 : c }
    @inline(__always)
    static func upper(_ c: UInt8) -> UInt8 { isLower(c) ? c & ~0x20 : c }
    /// ASCII's `Case_Ignorable` characters: ' . : ^ `
    @inline(__always)
    static func isCaseIgnorable(_ c: UInt8) -> Bool { c == 0x27 || c == 0x2E || c == 0x3A || c == 0x5E || c == 0x60 }

    // MARK: From snake case, ASCII

    /// Whether the ASCII key `key[0..<count]`, converted from snake case, equals `target`.
    /// Streams the conversion and stops at the first difference.
    static func convertedEquals(_ key: UnsafePointer<UInt8>, _ count: Int, _ target: UnsafeRawBufferPointer) -> Bool {
        var first = 0
        while first < count && key[first] == ASCII.underscore { first += 1 }
        guard first < count else { return Bytes.equal(key, count, target) }
        var last = count - 1
        while last > first && key[last] == ASCII.underscore { last -= 1 }
        var split = false
        for k in first...last where key[k] == ASCII.underscore {
            split = true
            break
        }
        guard split else { return Bytes.equal(key, count, target) }
        let t = target.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) }
        let targetCount = target.count
        var j = 0
        @inline(__always) func take(_ c: UInt8) -> Bool {
            guard j < targetCount, let t, t[j] == c else { return false }
            j += 1
            return true
        }
        for _ in 0..<first where !take(ASCII.underscore) { return false }
        var k = first
        var word = 0
        while k <= last {
            if key[k] == ASCII.underscore {
                k += 1
                continue
            }
            var lastCased = false
            while k <= last && key[k] != ASCII.underscore {
                var c = key[k]
                if word == 0 {
                    c = lower(c)
                } else if isUpper(c) {
                    if lastCased { c = lower(c) }
                    lastCased = true
                } else if isLower(c) {
                    if !lastCased { c = upper(c) }
                    lastCased = true
                } else if !isCaseIgnorable(c) {
                    lastCased = false
                }
                guard take(c) else { return false }
                k += 1
            }
            word += 1
        }
        for _ in (last + 1)..<count where !take(ASCII.underscore) { return false }
        return j == targetCount
    }

    // MARK: From snake case, any key

    /// Foundation's `convertFromSnakeCase` on any string.
    static func fromSnakeCase(_ key: String) -> String {
        let scalars = Array(key.unicodeScalars)
        guard let first = scalars.firstIndex(where: { $0 != "_" }) else { return key }
        var last = scalars.count - 1
        while last > first && scalars[last] == "_" { last -= 1 }
        let words = scalars[first...last].split(separator: "_")
        guard words.count > 1 else { return key }
        var out = String(String.UnicodeScalarView(scalars[..<first]))
        out += String(String.UnicodeScalarView(words[0])).lowercased()
        for word in words.dropFirst() { out += capitalized(word) }
        out += String(String.UnicodeScalarView(scalars[(last + 1)...]))
        return out
    }

    /// Foundation's `String.capitalized` (its `_capitalized`), on scalars.
    static func capitalized(_ word: ArraySlice<Unicode.Scalar>) -> String {
        var out = ""
        var lastCased = false
        for scalar in word {
            let properties = scalar.properties
            if isUpper(scalar) {
                out += lastCased ? properties.lowercaseMapping : String(scalar)
                lastCased = true
            } else if isLower(scalar) {
                out += lastCased ? String(scalar) : properties.titlecaseMapping
                lastCased = true
            } else {
                out.unicodeScalars.append(scalar)
                if !properties.isCaseIgnorable { lastCased = false }
            }
        }
        return out
    }

    static func isUpper(_ scalar: Unicode.Scalar) -> Bool {
        let category = scalar.properties.generalCategory
        return category == .uppercaseLetter || category == .titlecaseLetter
    }

    static func isLower(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .lowercaseLetter
    }

    // MARK: To snake case

    /// Foundation's `convertToSnakeCase` words, in order; they cover the whole key, so the result
    /// is the key lowercased with `_` before every word but the first.
    @inline(__always)
    static func forEachWord<Units: RandomAccessCollection>(
        _ units: Units, isUpper: (Units.Element) -> Bool, isLower: (Units.Element) -> Bool, _ body: (Range<Int>) -> Void
    ) where Units.Index == Int {
        let count = units.count
        guard count > 0 else { return }
        var wordStart = 0
        var search = 1
        while search < count {
            var upper = search
            while upper < count && !isUpper(units[upper]) { upper += 1 }
            if upper == count { break }
            body(wordStart..<upper)
            var lower = upper
            while lower < count && !isLower(units[lower]) { lower += 1 }
            if lower == count {
                wordStart = upper
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                body(upper..<(lower - 1))
                wordStart = lower - 1
            }
            search = lower + 1
        }
        body(wordStart..<count)
    }

    /// Foundation's `convertToSnakeCase` on any string.
    static func toSnakeCase(_ key: String) -> String {
        let scalars = Array(key.unicodeScalars)
        var words: [String] = []
        forEachWord(scalars, isUpper: isUpper(_:), isLower: isLower(_:)) { words.append(String(String.UnicodeScalarView(scalars[$0])).lowercased()) }
        return words.joined(separator: "_")
    }
}
