import Foundation

/// A fresh directory under the system temp dir, removed when the last reference goes.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ name: String = "sluice-test") {
        path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
