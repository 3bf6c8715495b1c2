/// The main path's element step and container opening in their compact form, inlined into the
/// code that iterates an array (`JSONArrayReader.map`, its iterator) and opens its elements
/// (`JSONReader.object()`, `array()`).
///
/// Why inlined: each is a few loads, compares and stores when the document is compact (no
/// whitespace between elements), less than the call it replaces.
///
/// What is guaranteed: like `compactMember` (see `MemberStep.swift`), each step accepts a strict
/// subset of what the general route (`ReaderState.next(_:)`, `open(at:generation:_:)`) accepts
/// and does exactly what it would do there; otherwise it returns -1 having changed nothing the
/// general route depends on, and the caller takes the general route. The one change a step may
/// make before giving up is closing an inner object whose `}` is at the cursor, which `settle`
/// would do first on the general route too.
///
/// Invariants relied on: those of `ReaderState` (see `MemberStep.swift`); an `ElementCursor` on
/// the main path has handed out `taken` elements of the array open at stack index `depth`.
extension ReaderState {
    /// The offset of the next element of the array `cursor` iterates, now pending, when the
    /// array is the innermost container (or the last element, an object, is done up to its `}`)
    /// and the element follows at once (after `,` unless it is the first). -2 when the array's
    /// `]` is next: it is consumed and the cursor is done. -1 otherwise (the general route).
    @inlinable @inline(always)
    mutating func compactElement(_ cursor: inout ElementCursor) -> Int {
        let d = cursor.depth
        guard cursor.onMainPath, cursor.generation == generation, d >= 0, d < depth, !pending else { return -1 }
        let frame = frames + d
        guard frame.pointee.start == cursor.array, frame.pointee.taken == cursor.taken else { return -1 }
        let bytes = self.bytes
        var p = pos
        if depth == d &+ 2 {
            // The previous element, an object, with all its members read.
            guard frames[d &+ 1].isObject, p < end, bytes[p] == 0x7D else { return -1 }  // }
            depth = d &+ 1
            p &+= 1
            pos = p
        }
        guard depth == d &+ 1, p < end else { return -1 }
        if bytes[p] == 0x5D {  // ]
            depth = d
            pos = p &+ 1
            cursor.onMainPath = false
            return -2
        }
        if cursor.taken != 0 {
            guard bytes[p] == 0x2C else { return -1 }  // ,
            p &+= 1
            guard p < end else { return -1 }
        }
        // Whitespace, or the end of the array: the general route.
        let c = bytes[p]
        guard c > 0x20, c != 0x5D else { return -1 }  // ]
        frame.pointee.taken &+= 1
        cursor.taken &+= 1
        pos = p
        pending = true
        return p
    }

    /// Opens the value at `position`, a container starting with `bracket`, when it is the
    /// pending value of the read `generation`: its stack index, or -1 (nothing changed).
    @inlinable @inline(always)
    mutating func openPendingCompact(_ position: Int, generation: Int, bracket: UInt8) -> Int {
        guard generation == self.generation, pending, position == pos, position < end, bytes[position] == bracket, depth < maximumDepth, depth < capacity else { return -1 }
        frames[depth] = Frame(start: position, isObject: bracket == 0x7B)
        depth &+= 1
        pos = position &+ 1
        pending = false
        return depth &- 1
    }
}
