/// Something a `TypeCache` remembers about a type.
protocol TypeClassification {
    /// What `type` is; may use dynamic casts, which is why the answer is cached.
    init(_ type: Any.Type)
}

/// The last few types met and what they were found to be, in fixed storage: a dynamic cast per
/// nested value would cost more than the handful of pointer compares here. Not thread-safe; one
/// per decoder or encoder scratch.
final class TypeCache<Answer: TypeClassification> {
    static var capacity: Int { 16 }
    private let types = UnsafeMutablePointer<ObjectIdentifier?>.allocate(capacity: TypeCache.capacity)
    private let answers = UnsafeMutablePointer<Answer?>.allocate(capacity: TypeCache.capacity)
    private var next = 0

    init() {
        types.initialize(repeating: nil, count: Self.capacity)
        answers.initialize(repeating: nil, count: Self.capacity)
    }

    deinit {
        types.deinitialize(count: Self.capacity)
        types.deallocate()
        answers.deinitialize(count: Self.capacity)
        answers.deallocate()
    }

    @inline(__always)
    func answer(for type: Any.Type) -> Answer {
        let id = ObjectIdentifier(type)
        for slot in 0..<Self.capacity where types[slot] == id {
            if let answer = answers[slot] { return answer }
        }
        return remember(id, type)
    }

    @inline(never)
    private func remember(_ id: ObjectIdentifier, _ type: Any.Type) -> Answer {
        let answer = Answer(type)
        types[next] = id
        answers[next] = answer
        next = (next + 1) % Self.capacity
        return answer
    }
}
