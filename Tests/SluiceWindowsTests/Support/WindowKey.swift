import SluiceWindows

/// A key and one of its windows: how tests index results.
struct WindowKey: Hashable, Comparable, CustomStringConvertible {
    var key: String
    var window: Window

    static func < (lhs: WindowKey, rhs: WindowKey) -> Bool { (lhs.key, lhs.window) < (rhs.key, rhs.window) }

    var description: String { "\(key)\(window)" }
}

/// What a reference model predicts for a stream: each window's final record ids (arrival order)
/// and the ids of late records.
struct Expected {
    var finals: [WindowKey: [Int]] = [:]
    var late: Set<Int> = []
}
