/// Kafka's topic-name rules (`org.apache.kafka.common.internals.Topic`): 1–249 characters of
/// `[a-zA-Z0-9._-]`, not `.` or `..`. Names starting with `__` are internal.
public enum TopicName {
    public static let maximumLength = 249

    public static func validate(_ name: String) throws(LogError) {
        if name.isEmpty { throw LogError(.invalidTopic, "topic name is empty") }
        if name == "." || name == ".." { throw LogError(.invalidTopic, "topic name cannot be '.' or '..'") }
        let count = name.utf8.count
        if count > maximumLength {
            throw LogError(.invalidTopic, "topic name is \(count) characters long; the maximum is \(maximumLength)")
        }
        for scalar in name.unicodeScalars where !isLegal(scalar) {
            throw LogError(
                .invalidTopic,
                "topic name \(quoted(name)) contains \(describe(scalar)); only ASCII letters, digits, '.', '_' and '-' are allowed")
        }
    }

    public static func isInternal(_ name: String) -> Bool { name.hasPrefix("__") }

    /// Kafka's warning: `.` and `_` collide in metric names, so `a.b` and `a_b` should not both exist.
    public static func collides(_ a: String, _ b: String) -> Bool {
        a != b && a.replacingDots() == b.replacingDots()
    }

    private static func isLegal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": "a space"
        case "\t": "a tab"
        case "\n", "\r": "a line break"
        case "\0": "a NUL byte"
        default: (0x20..<0x7f).contains(scalar.value) ? "'\(scalar)'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
    }

    static func quoted(_ name: String) -> String {
        let shown = name.count > 60 ? String(name.prefix(57)) + "..." : name
        return "'" + shown.unicodeScalars.map { (0x20..<0x7f).contains($0.value) ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "'"
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
}
