/// One step of an encoder's coding path, kept cheap to push: array indices become `CodingKey`s
/// only when a path is asked for.
enum PathElement {
    case key(any CodingKey)
    case index(Int)

    var codingKey: any CodingKey {
        switch self {
        case .key(let key): key
        case .index(let index): JSONKey(index: index)
        }
    }
}
