/// An open container while encoding (or the root, which holds the top-level value's slot).
struct Frame {
    enum Kind { case root, object, array }
    var kind: Kind
    /// Tells apart containers that occupied the same depth at different times.
    var serial: UInt32
    /// Members or elements written so far (decides the commas).
    var count: UInt32 = 0
    /// A key (or an array slot) was written and its value has not started yet.
    var awaitingValue = false
    /// `path.count` to restore when this container closes.
    var pathBase: Int
    /// Where this container's members begin in `memberStarts` (sorted keys only).
    var membersBase: Int
    /// Offset of the opening bracket.
    var start: Int
    /// Keys are written as given even under `convertToSnakeCase`: the object is a
    /// `[String: V]`, whose keys Foundation does not convert either.
    var rawKeys = false
}

/// The open containers of an encode: a plain growable buffer of `Frame`s. Every member written
/// checks and updates the innermost frame, so it avoids an array's uniqueness checks.
struct FrameStack {
    private var base: UnsafeMutablePointer<Frame>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// Frees the memory; the stack must not be used afterwards.
    mutating func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
        count = 0
    }

    subscript(_ index: Int) -> Frame {
        @inline(__always) unsafeAddress {
            precondition(index >= 0 && index < count, "frame index out of range")
            return UnsafePointer(base + index)
        }
        @inline(__always) unsafeMutableAddress {
            precondition(index >= 0 && index < count, "frame index out of range")
            return base + index
        }
    }

    mutating func append(_ frame: Frame) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<Frame>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + count).initialize(to: frame)
        count += 1
    }

    mutating func removeLast() -> Frame {
        precondition(count > 0, "no frame to remove")
        count -= 1
        return (base + count).move()
    }

    mutating func removeAll() {
        base.deinitialize(count: count)
        count = 0
    }
}
