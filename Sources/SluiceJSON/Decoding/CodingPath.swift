/// The `CodingKey` of paths this module builds: object keys, and array indices the way
/// Foundation spells them (`"Index 3"`, intValue 3).
struct JSONKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }

    init(index: Int) {
        self.stringValue = "Index \(index)"
        self.intValue = index
    }

    static let `super` = JSONKey(stringValue: "super")
}

extension JSONDecoderImpl {
    /// The coding path of the value at tape index `target`, rebuilt by walking down from the
    /// root: keys (converted by the key strategy, so they match the `CodingKey`s that asked for
    /// them) and array indices. Costs a walk over the siblings on the way; only errors and callers
    /// of `codingPath` pay it.
    func path(to target: UInt32) -> [any CodingKey] {
        if target >= nullIndex { return detachedPath }
        var path: [any CodingKey] = []
        var current: UInt32 = 0
        descend: while current != target {
            let c = entry(current)
            guard target > current, target < c.next else { break }
            switch c.kind {
            case .object:
                var key = current + 1
                while key < c.next {
                    let value = key + 1
                    let after = entry(value).next
                    if target >= value && target < after {
                        path.append(JSONKey(stringValue: keyName(key, converted: true)))
                        current = value
                        continue descend
                    }
                    key = after
                }
                break descend
            case .array:
                var element = current + 1
                var index = 0
                while element < c.next {
                    let after = entry(element).next
                    if target >= element && target < after {
                        path.append(JSONKey(index: index))
                        current = element
                        continue descend
                    }
                    element = after
                    index += 1
                }
                break descend
            default:
                break descend
            }
        }
        return path
    }
}
