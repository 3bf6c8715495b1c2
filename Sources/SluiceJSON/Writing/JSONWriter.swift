/// Types that write themselves as JSON through a ``JSONWriter``: the way to encode without
/// Codable, for the few types on a hot path (``JSONReadable`` is the way back).
///
/// ```swift
/// extension Payment: JSONWritable {
///     func write(json: inout JSONWriter) throws {
///         try json.object { o in
///             o.member("order_id", orderId)
///             o.member("customer_id", customerId)
///             try o.member("amount_usd", amountUsd)
///         }
///     }
/// }
/// var record: [UInt8] = []
/// try payment.writeJSON(into: &record)   // {"order_id":"…","customer_id":"…","amount_usd":97.488}
/// ```
///
/// Keys are written exactly as given (no key strategy applies). Values are written as
/// `FastJSONEncoder` writes them, so a type whose `write(json:)` writes the members of its
/// `encode(to:)`, in the same order and with the keys the encoder's strategy makes of them,
/// produces the same bytes either way.
public protocol JSONWritable {
    /// Writes the value through `json`. The writer is lent for this call only: it may point
    /// at memory of the caller's frame, so a copy of it must not outlive the call.
    func write(json: inout JSONWriter) throws
}

extension JSONWritable {
    /// Appends the JSON text of this value to `bytes`, in place (no intermediate array). On
    /// error, `bytes` is left as it was.
    ///
    /// The value is written into stack memory with plain stores and appended to `bytes` once,
    /// at the end (or whenever that memory fills up), rather than growing the array per call.
    /// Inlinable, as `withJSON`.
    @inlinable
    public func writeJSON(into bytes: inout [UInt8]) throws {
        var writer = JSONWriter()
        swap(&writer.storage, &bytes)
        defer { swap(&writer.storage, &bytes) }
        let start = writer.storage.count
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: JSONWriter.scratchCapacity) { scratch in
            writer.scratch = scratch
            defer { writer.scratch = UnsafeMutableBufferPointer(start: nil, count: 0) }
            do {
                try write(json: &writer)
                writer.flushScratch()
            } catch {
                writer.scratchCount = 0
                writer.storage.removeSubrange(start...)
                throw error
            }
        }
    }

    /// Runs `body` on the JSON text of this value, written into stack memory: no array at all
    /// for a value of up to `JSONWriter.scratchCapacity` (512) bytes; a longer one continues
    /// in `spill` (emptied first, its capacity reused). The bytes are valid during `body` only.
    ///
    /// Why: a record value on its way into a batch needs its bytes only for the copy into the
    /// batch, so they need not be appended to an array first.
    ///
    /// - Throws: what `write(json:)` throws (then `body` is not called), or what `body` throws.
    ///
    /// Inlinable so that a caller that knows the type calls its `write(json:)` directly (and may
    /// inline it), rather than through the conformance from unspecialized code.
    @inlinable
    public func withJSON(spill: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var writer = JSONWriter()
        if !spill.isEmpty { spill.removeAll(keepingCapacity: true) }  // (a call, even on an empty array)
        swap(&writer.storage, &spill)
        defer { swap(&writer.storage, &spill) }
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: JSONWriter.scratchCapacity) { scratch in
            writer.scratch = scratch
            defer { writer.scratch = UnsafeMutableBufferPointer(start: nil, count: 0) }
            try write(json: &writer)
            if writer.storage.isEmpty {
                try body(UnsafeRawBufferPointer(start: scratch.baseAddress, count: writer.scratchCount))
            } else {
                writer.flushScratch()
                try writer.storage.withUnsafeBytes { try body($0) }
            }
        }
    }

    /// The JSON text of this value.
    public func jsonBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try writeJSON(into: &bytes)
        return bytes
    }
}

/// Writes compact JSON text into a byte array, value by value: the encoder behind
/// ``JSONWritable``.
///
/// A writer is a plain value over its `bytes`; each call stores its text with one capacity
/// check, into stack memory lent by `writeJSON(into:)` (moved to the array once per value) or
/// else straight into the array's spare capacity (grown geometrically), with no tree of values,
/// no per-container state and no Codable dispatch. Commas are placed by the writer: members and elements are separated as
/// they are written, so `object { }` and `array { }` (or the `begin`/`end` pairs) only need to
/// nest properly.
///
/// What is written is what `FastJSONEncoder` writes: strings escape `"`, `\` and the control
/// characters (`\b \f \n \r \t`, `\u00XX` for the rest) and keep everything else as UTF-8;
/// integers in decimal; `Double` and `Float` in Swift's shortest round-tripping form without a
/// trailing `.0` (`3`, `0.1`, `1e+20`). NaN and infinities cannot be written: those calls throw
/// ``JSONError/Kind/nonConformingFloat`` and write nothing.
///
/// Misuse (a value where a key is due, a container left open) is not checked: it produces text
/// that is not JSON. Use the `object { }` and `array { }` forms and `member` to rule it out.
public struct JSONWriter {
    /// The text written so far (and whatever the array held before).
    public var bytes: [UInt8] {
        guard scratchCount > 0, let base = scratch.baseAddress else { return storage }
        return storage + UnsafeBufferPointer(start: base, count: scratchCount)
    }
    /// The text, apart from the last `scratchCount` bytes, which are still in `scratch`.
    @usableFromInline var storage: [UInt8]
    /// Memory lent by `writeJSON(into:)` for the length of one call (empty otherwise): values
    /// go there with plain stores, and move to `storage` in one append when it fills up or the
    /// value is complete. A writer that has none appends to `storage` directly.
    @usableFromInline var scratch = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    /// How many bytes of `scratch` hold text.
    @usableFromInline var scratchCount = 0
    /// How much stack `writeJSON(into:)` lends: room for every small record in one go.
    @usableFromInline static let scratchCapacity = 512
    /// Whether the next member or element needs a comma before it: a value was completed in
    /// the innermost open container.
    var needsComma = false
    /// A key given as a literal that needs no escapes, not written yet: it goes out with its
    /// value, in the same reservation (a literal's bytes live as long as the program).
    var pendingKey: UnsafeBufferPointer<UInt8>?

    /// `SmallString.available`, read once per writer rather than once per string (each read
    /// of the lazily checked global is a `swift_once` call).
    let smallStrings = SmallString.available

    /// A writer that appends to `bytes`.
    public init(bytes: [UInt8] = []) {
        storage = bytes
    }

    // MARK: Containers

    /// `{`, then whatever `body` writes (members), then `}`.
    public mutating func object<E: Error>(_ body: (inout JSONWriter) throws(E) -> Void) throws(E) {
        beginObject()
        try body(&self)
        endObject()
    }

    /// `[`, then whatever `body` writes (elements), then `]`.
    public mutating func array<E: Error>(_ body: (inout JSONWriter) throws(E) -> Void) throws(E) {
        beginArray()
        try body(&self)
        endArray()
    }

    public mutating func beginObject() { open(ASCII.openBrace) }
    public mutating func endObject() { close(ASCII.closeBrace) }
    public mutating func beginArray() { open(ASCII.openBracket) }
    public mutating func endArray() { close(ASCII.closeBracket) }

    // MARK: Keys

    /// The key of the next member (escaped as a string needs), and its colon.
    public mutating func key(_ name: StaticString) {
        flushKey()
        if name.hasPointerRepresentation {
            let utf8 = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            if !JSONWriter.needsEscapes(utf8) {
                pendingKey = utf8
                return
            }
        }
        name.withUTF8Buffer { key($0) }
    }

    /// The key of the next member (escaped as a string needs), and its colon.
    public mutating func key(_ name: String) {
        var name = name
        name.withUTF8 { key($0) }
    }

    // MARK: Values

    /// `null`.
    public mutating func null() { literal("null") }

    public mutating func bool(_ value: Bool) { literal(value ? "true" : "false") }

    public mutating func string(_ value: String) {
        // Ids and codes are mostly small ASCII strings: their bytes are the string's own two
        // words, tested for escapes and stored as they are (no copy to the stack, no call).
        if smallStrings, let (leading, trailing, count) = SmallString.asciiWords(of: value),
            JSONWriter.noEscapes(leading, trailing, count: count)
        {
            return emit(upTo: 18) { p in
                p[0] = ASCII.quote
                UnsafeMutableRawPointer(p + 1).storeBytes(of: leading.littleEndian, as: UInt64.self)
                UnsafeMutableRawPointer(p + 9).storeBytes(of: trailing.littleEndian, as: UInt64.self)
                p[count &+ 1] = ASCII.quote
                return count &+ 2
            }
        }
        var value = value
        value.withUTF8 { string($0) }
    }

    /// Whether none of the first `count` (≤ 15) bytes of the two words needs escaping. Hits
    /// in the lanes past `count` (zeros, control characters) are masked off; a false positive
    /// only ever sits above a real hit, which would be in a lane kept.
    @inline(__always)
    static func noEscapes(_ leading: UInt64, _ trailing: UInt64, count: Int) -> Bool {
        let n = UInt64(truncatingIfNeeded: count)
        let keepLeading = n >= 8 ? UInt64.max : (UInt64(1) &<< (n &* 8)) &- 1
        let keepTrailing = n <= 8 ? 0 : (UInt64(1) &<< ((n &- 8) &* 8)) &- 1
        return SWAR.quoteBackslashOrControl(leading) & keepLeading == 0 && SWAR.quoteBackslashOrControl(trailing) & keepTrailing == 0
    }

    public mutating func int(_ value: Int) { integer(value) }
    public mutating func int64(_ value: Int64) { integer(value) }
    public mutating func uint64(_ value: UInt64) { integer(value) }

    /// The shortest text that reads back as `value`; throws for NaN and infinities.
    public mutating func double(_ value: Double) throws(JSONError) {
        guard value.isFinite else { throw JSONWriter.nonConforming(value, key: nil) }
        finiteDouble(value)
    }

    /// The shortest text that reads back as `value`; throws for NaN and infinities.
    public mutating func float(_ value: Float) throws(JSONError) { try floatingPoint(value) }

    /// `value` as it writes itself.
    public mutating func value<T: JSONWritable>(_ value: T) throws { try value.write(json: &self) }

    // MARK: Members (key and value)

    public mutating func member(_ key: StaticString, _ value: String) {
        self.key(key)
        string(value)
    }

    public mutating func member(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    public mutating func member(_ key: StaticString, _ value: Int) {
        self.key(key)
        integer(value)
    }

    public mutating func member(_ key: StaticString, _ value: Int64) {
        self.key(key)
        integer(value)
    }

    public mutating func member(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        integer(value)
    }

    /// Throws for NaN and infinities (naming `key`), writing nothing.
    public mutating func member(_ key: StaticString, _ value: Double) throws(JSONError) {
        guard value.isFinite else { throw JSONWriter.nonConforming(value, key: "\(key)") }
        self.key(key)
        finiteDouble(value)
    }

    /// Throws for NaN and infinities (naming `key`), writing nothing.
    public mutating func member(_ key: StaticString, _ value: Float) throws(JSONError) {
        guard value.isFinite else { throw JSONWriter.nonConforming(value, key: "\(key)") }
        self.key(key)
        standardText(value)
    }

    public mutating func member<T: JSONWritable>(_ key: StaticString, _ value: T) throws {
        self.key(key)
        try value.write(json: &self)
    }

    /// The member when `value` is not nil; nothing otherwise (as synthesized `encode(to:)` does
    /// with `encodeIfPresent`).
    public mutating func memberIfPresent<T: JSONWritable>(_ key: StaticString, _ value: T?) throws {
        guard let value else { return }
        try member(key, value)
    }

    // MARK: Writing bytes

    /// Runs `body` on room for `capacity` more bytes at the end of the text; it returns how
    /// many it wrote (at most `capacity`). One capacity check per value, then plain stores.
    @inline(__always)
    mutating func write(upTo capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if let base = scratch.baseAddress, capacity <= scratch.count &- scratchCount {
            scratchCount &+= body(base + scratchCount)
        } else {
            writeOutsideScratch(upTo: capacity, body)
        }
    }

    /// `write(upTo:_:)` when the scratch memory is full or absent: moves its text to
    /// `storage`, then writes into it if the value fits, or else straight into `storage`.
    @inline(never)
    mutating func writeOutsideScratch(upTo capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        flushScratch()
        if let base = scratch.baseAddress, capacity <= scratch.count {
            scratchCount = body(base)
            return
        }
        storage.append(addingCapacity: capacity) { span in
            span.withUnsafeMutableBufferPointer { buffer, count in
                guard let base = buffer.baseAddress else { return }
                count = min(body(base), buffer.count)
            }
        }
    }

    /// Moves the text in `scratch` to the end of `storage`.
    @usableFromInline
    mutating func flushScratch() {
        guard scratchCount > 0, let base = scratch.baseAddress else { return }
        storage.append(contentsOf: UnsafeBufferPointer(start: base, count: scratchCount))
        scratchCount = 0
    }

    /// How many bytes go before the next value: the comma if one is due, and the pending key
    /// with its quotes and colon.
    @inline(__always)
    var prefixCapacity: Int { 1 + (pendingKey.map { $0.count + 3 } ?? 0) }

    /// Writes what goes before the next value at `p` (see `prefixCapacity`): the comma when
    /// `comma`, then `key` with its quotes and colon; returns how many bytes.
    @inline(__always)
    static func writePrefix(_ p: UnsafeMutablePointer<UInt8>, comma: Bool, key: UnsafeBufferPointer<UInt8>?) -> Int {
        var n = 0
        if comma {
            p[0] = ASCII.comma
            n = 1
        }
        if let key, let source = key.baseAddress {
            p[n] = ASCII.quote
            if key.count <= 16 {
                StringDecoding.copy(UnsafeRawPointer(source), to: UnsafeMutableRawPointer(p + n + 1), key.count)
            } else {
                (p + n + 1).update(from: source, count: key.count)
            }
            n += key.count + 1
            p[n] = ASCII.quote
            p[n + 1] = ASCII.colon
            n += 2
        }
        return n
    }

    /// Writes a value of at most `capacity` bytes, after its comma and pending key, in one
    /// reservation; the value is complete afterwards.
    @inline(__always)
    mutating func emit(upTo capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let (comma, key) = (needsComma, pendingKey)
        write(upTo: prefixCapacity + capacity) { p in
            let n = JSONWriter.writePrefix(p, comma: comma, key: key)
            return n + body(p + n)
        }
        pendingKey = nil
        needsComma = true
    }

    /// Writes a pending key on its own (before something that does not write it).
    @inline(__always)
    mutating func flushKey() {
        guard pendingKey != nil else { return }
        let (comma, key) = (needsComma, pendingKey)
        write(upTo: prefixCapacity) { JSONWriter.writePrefix($0, comma: comma, key: key) }
        pendingKey = nil
        needsComma = false
    }

    @inline(__always)
    mutating func open(_ bracket: UInt8) {
        emit(upTo: 1) { p in
            p[0] = bracket
            return 1
        }
        needsComma = false
    }

    @inline(__always)
    mutating func close(_ bracket: UInt8) {
        flushKey()
        write(upTo: 1) { p in
            p[0] = bracket
            return 1
        }
        needsComma = true
    }

    /// `text` (one of this file's ASCII literals) as it is.
    @inline(__always)
    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { utf8 in
            emit(upTo: utf8.count) { p in
                if let source = utf8.baseAddress { p.update(from: source, count: utf8.count) }
                return utf8.count
            }
        }
    }

    mutating func key(_ utf8: UnsafeBufferPointer<UInt8>) {
        flushKey()
        quoted(utf8, after: needsComma ? ASCII.comma : nil, colon: true)
        needsComma = false
    }

    mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        let n = utf8.count
        guard !JSONWriter.needsEscapes(utf8) else {
            flushKey()
            quotedWithEscapes(utf8, after: needsComma ? ASCII.comma : nil, colon: false)
            needsComma = true
            return
        }
        emit(upTo: n + 2) { p in
            p[0] = ASCII.quote
            if let source = utf8.baseAddress {
                if n <= 16 {
                    StringDecoding.copy(UnsafeRawPointer(source), to: UnsafeMutableRawPointer(p + 1), n)
                } else {
                    (p + 1).update(from: source, count: n)
                }
            }
            p[n + 1] = ASCII.quote
            return n + 2
        }
    }

    /// `utf8` as a JSON string, after `prefix` (a comma) and followed by a colon if asked. Text
    /// that needs no escapes (what keys and most values are) is copied in one go.
    @inline(__always)
    mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>, after prefix: UInt8?, colon: Bool) {
        let n = utf8.count
        guard !JSONWriter.needsEscapes(utf8) else { return quotedWithEscapes(utf8, after: prefix, colon: colon) }
        write(upTo: n + 4) { p in
            var k = 0
            if let prefix {
                p[0] = prefix
                k = 1
            }
            p[k] = ASCII.quote
            if let source = utf8.baseAddress {
                if n <= 16 {
                    StringDecoding.copy(UnsafeRawPointer(source), to: UnsafeMutableRawPointer(p + k + 1), n)
                } else {
                    (p + k + 1).update(from: source, count: n)
                }
            }
            k += n + 1
            p[k] = ASCII.quote
            k += 1
            if colon {
                p[k] = ASCII.colon
                k += 1
            }
            return k
        }
    }

    /// The slow path of `quoted`: through an `OutputBuffer`'s escaping, then copied.
    @inline(never)
    mutating func quotedWithEscapes(_ utf8: UnsafeBufferPointer<UInt8>, after prefix: UInt8?, colon: Bool) {
        var out = OutputBuffer(capacity: utf8.count * 6 + 4)
        defer { out.deallocate() }
        if let prefix { out.append(prefix) }
        out.appendString(utf8)
        if colon { out.append(ASCII.colon) }
        let text = out.bytes
        write(upTo: text.count) { p in
            if let source = text.baseAddress { p.update(from: source, count: text.count) }
            return text.count
        }
    }

    /// Whether any byte of `utf8` is `"`, `\` or a control character: eight at a time, the
    /// last word overlapping the one before, and short texts as one word of their own bytes
    /// (repeated), so no byte is tested alone and nothing outside `utf8` is read.
    @inline(__always)
    static func needsEscapes(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let source = utf8.baseAddress else { return false }
        let n = utf8.count
        let raw = UnsafeRawPointer(source)
        if n >= 8 {
            var i = 0
            while i &+ 8 < n {
                if SWAR.quoteBackslashOrControl(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) != 0 { return true }
                i &+= 8
            }
            return SWAR.quoteBackslashOrControl(raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)) != 0
        }
        let word: UInt64
        if n >= 4 {
            word = UInt64(raw.loadUnaligned(as: UInt32.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)) << 32
        } else if n >= 2 {
            let half = UInt64(raw.loadUnaligned(as: UInt16.self)) | UInt64(raw.loadUnaligned(fromByteOffset: n &- 2, as: UInt16.self)) << 16
            word = half | half << 32
        } else if n == 1 {
            word = UInt64(source[0]) &* SWAR.ones
        } else {
            return false
        }
        return SWAR.quoteBackslashOrControl(word) != 0
    }

    /// Decimal digits; no allocation up to 64 bits.
    @inline(__always)
    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        if T.bitWidth > 64 {
            // (Not used by this file's callers; kept exact for any width.)
            var text = String(value)
            return text.withUTF8 { utf8 in self.emit(upTo: utf8.count) { p in
                if let source = utf8.baseAddress { p.update(from: source, count: utf8.count) }
                return utf8.count
            } }
        }
        self.emit(upTo: 21) { p in JSONWriter.digits(of: value, at: p) }
    }

    /// Writes the decimal text of `value` (at most 21 bytes for 64 bits) at `p`; returns its
    /// length. Two digits per step, from a table.
    @inline(__always)
    static func digits<T: FixedWidthInteger>(of value: T, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        var n = 0
        if value < 0 {
            p[0] = ASCII.minus
            n = 1
        }
        var count = 1
        var probe = magnitude
        while probe >= 100 {
            probe /= 100
            count += 2
        }
        if probe >= 10 { count += 1 }
        var position = n + count
        let pairs = digitPairs.utf8Start
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) &* 2
            magnitude /= 100
            position -= 2
            p[position] = pairs[pair]
            p[position + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) &* 2
            p[position - 2] = pairs[pair]
            p[position - 1] = pairs[pair + 1]
        } else {
            p[position - 1] = ASCII.zero &+ UInt8(truncatingIfNeeded: magnitude)
        }
        return n + count
    }

    /// "00" "01" … "99": the two digits of every number below 100.
    static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// `value` (finite) as `standardText` writes it, by a shortcut for the common case: a
    /// decimal with few enough digits that plain `Double` arithmetic finds and checks it.
    ///
    /// Why it is the same text: `Double(m) / 10^k` is correctly rounded, so it equals `value`
    /// exactly when the decimal `m / 10^k` reads back as `value`. `k` is tried from 0 up and
    /// the first that reads back is taken, so the text has the fewest digits any decimal
    /// reading back as `value` can have (as `description`'s). While `magnitude * 10^k < 2^50`,
    /// decimals `10^-k` apart are more than four ulps apart, so at most one of them reads back
    /// (no closer one can tie it) and `m`, rounded from `magnitude * 10^k` (which is within a
    /// quarter of it), is that one. Below 0.001 `description` switches to exponents, and from
    /// 2^50 up this bound fails: both go to the standard library, as does any value no `k`
    /// reaches (such as `0.1 + 0.2`). The randomized test in `WriterDoubleTests` compares the
    /// two texts.
    ///
    /// Most values in data have at most six decimals, so `k = 6` is tried first: if it reads
    /// back, the decimal with its trailing zeros removed is the one the loop would find (a
    /// decimal `m' / 10^k'` that reads back with `k' < 6` is, times `10^(6-k')`, the one
    /// rounded at `k = 6`, so that one ends in at least `6 - k'` zeros). If it does not and
    /// no longer decimal reads back either, the value goes to the standard library at once.
    @inline(__always)
    mutating func finiteDouble(_ value: Double) {
        let magnitude = value.magnitude
        guard magnitude >= 0.001 || magnitude == 0 else { return standardText(value) }
        if magnitude * 1e6 < 0x1p50 {
            let rounded = Int64(magnitude * 1e6 + 0.5)
            if Double(rounded) / 1e6 == magnitude {
                let negative = value.sign == .minus
                return emit(upTo: 40) { p in JSONWriter.millionths(UInt64(rounded), negative: negative, at: p) }
            }
            if !JSONWriter.readsBack(magnitude, fromLargest: 1e6) { return standardText(value) }
        }
        var scale = 1.0
        var k = 0
        while true {
            let scaled = magnitude * scale
            guard scaled < 0x1p50 else { return standardText(value) }
            let m = Int64(scaled + 0.5)
            if Double(m) / scale == magnitude {
                let negative = value.sign == .minus
                return emit(upTo: 40) { p in JSONWriter.decimal(m, fractionDigits: k, negative: negative, at: p) }
            }
            if k == 6 && !JSONWriter.readsBack(magnitude, fromLargest: scale) { return standardText(value) }
            scale *= 10
            k &+= 1
        }
    }

    /// Whether some decimal `m / 10^k` with `10^k >= scale` and `magnitude * 10^k < 2^50`
    /// reads back as `magnitude`: whether the one with the largest such `k` does, since one that
    /// reads back still does with more (zero) digits. Lets `finiteDouble` give up on a value
    /// with many digits after one test rather than one per digit.
    @inline(__always)
    static func readsBack(_ magnitude: Double, fromLargest scale: Double) -> Bool {
        var scale = scale
        while magnitude * scale * 10 < 0x1p50 { scale *= 10 }
        guard magnitude * scale < 0x1p50 else { return false }
        return Double(Int64(magnitude * scale + 0.5)) / scale == magnitude
    }

    /// Writes `m / 10^6` (`m` < 2^50) at `p` as `decimal(_:fractionDigits: 6, ...)` would after
    /// dropping the fraction's trailing zeros: the six fraction digits go out as three pairs
    /// from the table and the zeros are cut afterwards, rather than one division per digit.
    @inline(__always)
    static func millionths(_ m: UInt64, negative: Bool, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        if negative {
            p[0] = ASCII.minus
            n = 1
        }
        let (whole, fraction) = m.quotientAndRemainder(dividingBy: 1_000_000)
        n += digits(of: whole, at: p + n)
        guard fraction != 0 else { return n }
        p[n] = ASCII.dot
        let pairs = digitPairs.utf8Start
        let (high, low) = fraction.quotientAndRemainder(dividingBy: 100)
        let (first, middle) = high.quotientAndRemainder(dividingBy: 100)
        let at = p + n + 1
        at[0] = pairs[Int(first) &* 2]
        at[1] = pairs[Int(first) &* 2 &+ 1]
        at[2] = pairs[Int(middle) &* 2]
        at[3] = pairs[Int(middle) &* 2 &+ 1]
        at[4] = pairs[Int(low) &* 2]
        at[5] = pairs[Int(low) &* 2 &+ 1]
        var end = n &+ 7
        while p[end &- 1] == ASCII.zero { end &-= 1 }  // stops at a digit: the fraction is not 0
        return end
    }

    /// Writes `m / 10^fractionDigits` (`m` < 2^50) at `p` as `description` spells it (without
    /// a trailing `.0`): integer digits, then the point and exactly `fractionDigits` digits;
    /// returns the length (at most 40).
    @inline(__always)
    static func decimal(_ m: Int64, fractionDigits k: Int, negative: Bool, at p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        if negative {
            p[0] = ASCII.minus
            n = 1
        }
        var divisor: Int64 = 1
        for _ in 0..<k { divisor &*= 10 }
        n += digits(of: m / divisor, at: p + n)
        guard k > 0 else { return n }
        p[n] = ASCII.dot
        var fraction = m % divisor
        var i = n &+ k
        while i > n {
            p[i] = ASCII.zero &+ UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
            i &-= 1
        }
        return n &+ k &+ 1
    }

    /// Swift's shortest round-tripping text without a trailing `.0`, as `FastJSONEncoder`
    /// writes it. The digits come from the standard library's `write(to:)`, which hands its
    /// ASCII buffer to the stream directly (`ShortestText`), so no `String` is made (one of
    /// 16 characters or more would be a heap allocation per number); for finite values that
    /// text is `description`'s.
    mutating func floatingPoint<T: BinaryFloatingPoint & TextOutputStreamable>(_ value: T) throws(JSONError) {
        guard value.isFinite else { throw JSONWriter.nonConforming(value, key: nil) }
        standardText(value)
    }

    /// `floatingPoint`'s text for a finite `value`.
    @inline(never)
    mutating func standardText<T: BinaryFloatingPoint & TextOutputStreamable>(_ value: T) {
        var text = ShortestText()
        value.write(to: &text)
        text.withBytes { digits in
            var count = digits.count
            if count >= 2 && digits[count - 2] == ASCII.dot && digits[count - 1] == ASCII.zero { count -= 2 }
            emit(upTo: count) { p in
                if let source = digits.baseAddress { p.update(from: source, count: count) }
                return count
            }
        }
    }

    @inline(never)
    static func nonConforming<T: BinaryFloatingPoint>(_ value: T, key: String?) -> JSONError {
        let path: [any CodingKey] = key.map { [JSONKey(stringValue: $0)] } ?? []
        return JSONError(.nonConformingFloat, offset: nil, codingPath: path, "Unable to encode \(T.self).\(value) directly in JSON.")
    }
}

/// A number's text, caught from `TextOutputStreamable.write(to:)` into fixed storage: the
/// standard library passes its ASCII digits through `_writeASCII` without making a `String`
/// (any other text arrives through `write(_:)`, which works too). 48 bytes hold every
/// `Double` and `Float`.
struct ShortestText: TextOutputStream {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    private var count = 0

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { _writeASCII($0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        let capacity = MemoryLayout.size(ofValue: storage)
        let n = min(buffer.count, capacity - count)
        guard n > 0, let source = buffer.baseAddress else { return }
        let start = count
        withUnsafeMutableBytes(of: &storage) { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + n)]).copyMemory(from: UnsafeRawBufferPointer(start: source, count: n))
        }
        count += n
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in body(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[..<count])) }
    }
}

// MARK: - Standard types

extension String: JSONWritable {
    public func write(json: inout JSONWriter) { json.string(self) }
}

extension Bool: JSONWritable {
    public func write(json: inout JSONWriter) { json.bool(self) }
}

extension Int: JSONWritable {
    public func write(json: inout JSONWriter) { json.integer(self) }
}

extension Int64: JSONWritable {
    public func write(json: inout JSONWriter) { json.integer(self) }
}

extension Int32: JSONWritable {
    public func write(json: inout JSONWriter) { json.integer(self) }
}

extension UInt64: JSONWritable {
    public func write(json: inout JSONWriter) { json.integer(self) }
}

extension UInt32: JSONWritable {
    public func write(json: inout JSONWriter) { json.integer(self) }
}

extension Double: JSONWritable {
    public func write(json: inout JSONWriter) throws { try json.double(self) }
}

extension Float: JSONWritable {
    public func write(json: inout JSONWriter) throws { try json.float(self) }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func write(json: inout JSONWriter) throws {
        json.beginArray()
        for element in self { try element.write(json: &json) }
        json.endArray()
    }
}

extension Optional: JSONWritable where Wrapped: JSONWritable {
    /// The wrapped value, or `null`.
    public func write(json: inout JSONWriter) throws {
        guard let value = self else { return json.null() }
        try value.write(json: &json)
    }
}
