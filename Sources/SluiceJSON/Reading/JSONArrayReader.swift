/// An array of a document being read: a sequence of ``JSONReader``s; see ``JSONReader``.
///
/// Iterating once, in order, reads the elements on the stream as they come; ``count`` and a
/// second iteration read the array from the document's index instead (built once per read).
public struct JSONArrayReader: Sequence {
    /// The read's state (never freed; see `ReaderState`).
    @usableFromInline let state: UnsafeMutablePointer<ReaderState>
    /// See `ReaderPosition`.
    @usableFromInline let position: Int
    /// Stack index on the main path (see `ReaderState`); -1 when the array is read from the tape.
    @usableFromInline let depth: Int
    /// The read this reader belongs to.
    @usableFromInline let generation: Int

    @inlinable
    init(state: UnsafeMutablePointer<ReaderState>, position: Int, depth: Int, generation: Int) {
        self.state = state
        self.position = position
        self.depth = depth
        self.generation = generation
    }

    /// Number of elements (counted on the document's index).
    public var count: Int { state.pointee.elementCount(of: position, generation: generation) }

    public var isEmpty: Bool { count == 0 }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(state: state, cursor: ElementCursor(array: position, depth: depth, generation: generation)) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let state: UnsafeMutablePointer<ReaderState>
        @usableFromInline var cursor: ElementCursor

        @inlinable
        init(state: UnsafeMutablePointer<ReaderState>, cursor: ElementCursor) {
            self.state = state
            self.cursor = cursor
        }

        @inlinable
        public mutating func next() -> JSONReader? {
            var position = state.pointee.compactElement(&cursor)
            if position == -2 { return nil }
            if position < 0 {
                guard let next = state.pointee.next(&cursor) else { return nil }
                position = next
            }
            return JSONReader(state: state, position: position, generation: cursor.generation)
        }
    }

    /// The elements converted by `transform`, in order. (Room for four is reserved up front:
    /// the count is not known before the end, and most arrays in records are short.) Bytes that
    /// are not JSON end the elements early; the read then throws the syntax error.
    @inlinable
    public func map<T, E: Error>(_ transform: (JSONReader) throws(E) -> T) throws(E) -> [T] {
        var out: [T] = []
        out.reserveCapacity(4)
        var cursor = ElementCursor(array: position, depth: depth, generation: generation)
        while true {
            // The compact step inline, the general route when it gives up (and for the end).
            var element = state.pointee.compactElement(&cursor)
            if element == -2 { break }
            if element < 0 {
                guard let next = state.pointee.next(&cursor) else { break }
                element = next
            }
            out.append(try transform(JSONReader(state: state, position: element, generation: generation)))
        }
        return out
    }

    /// The coding path of the array.
    public var codingPath: [any CodingKey] { state.pointee.codingPath(at: position, generation: generation) }
}
