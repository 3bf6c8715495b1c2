/// An array of a document being read: a sequence of ``JSONReader``s; see ``JSONReader``.
public struct JSONArrayReader: Sequence {
    /// The array, checked.
    @usableFromInline let array: JSONReader
    @usableFromInline var impl: JSONDecoderImpl { array.impl }
    @usableFromInline var index: UInt32 { array.index }

    @usableFromInline
    init(array: JSONReader) { self.array = array }

    /// Number of elements (known from the index, no scan).
    @inlinable public var count: Int { impl.elementCount(of: index) }

    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable public var underestimatedCount: Int { count }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(impl: impl, cursor: index + 1, end: impl.end(of: index)) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let impl: JSONDecoderImpl
        @usableFromInline var cursor: UInt32
        @usableFromInline let end: UInt32

        @usableFromInline
        init(impl: JSONDecoderImpl, cursor: UInt32, end: UInt32) {
            self.impl = impl
            self.cursor = cursor
            self.end = end
        }

        @inlinable
        public mutating func next() -> JSONReader? {
            guard cursor < end else { return nil }
            let element = JSONReader(impl: impl, index: cursor)
            cursor = impl.end(of: cursor)
            return element
        }
    }

    /// The elements converted by `transform`, with the exact capacity reserved up front. (A
    /// plain loop over the index rather than an iterator: one reader per element is all it
    /// makes, which keeps reference counting down.)
    @inlinable
    public func map<T, E: Error>(_ transform: (JSONReader) throws(E) -> T) throws(E) -> [T] {
        let impl = array.impl
        let end = impl.end(of: index)
        var out: [T] = []
        out.reserveCapacity(impl.elementCount(of: index))
        var cursor = index + 1
        while cursor < end {
            out.append(try transform(JSONReader(impl: impl, index: cursor)))
            cursor = impl.end(of: cursor)
        }
        return out
    }

    /// The coding path of the array.
    public var codingPath: [any CodingKey] { impl.path(to: index) }
}
