import Foundation

/// Every file and directory under a root, with file contents: compare two to prove that an
/// operation changed nothing on disk.
public struct DirectorySnapshot: Equatable, Sendable {
    public enum Entry: Equatable, Sendable {
        case directory
        case file([UInt8])
    }

    public let root: String
    /// Relative path ("" is the root itself) → entry. Empty when the root does not exist.
    public private(set) var entries: [String: Entry] = [:]

    /// - Parameter ignoringContentsOf: relative paths whose contents may change (existence still counts).
    public init(_ root: String, ignoringContentsOf ignored: Set<String> = []) {
        self.root = root
        visit("", ignored: ignored)
    }

    private mutating func visit(_ relative: String, ignored: Set<String>) {
        let fm = FileManager.default
        let path = relative.isEmpty ? root : root + "/" + relative
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue {
            entries[relative] = .directory
            for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
                visit(relative.isEmpty ? name : relative + "/" + name, ignored: ignored)
            }
        } else {
            entries[relative] = .file(ignored.contains(relative) ? [] : [UInt8](fm.contents(atPath: path) ?? Data()))
        }
    }

    public var exists: Bool { !entries.isEmpty }
    public var paths: [String] { entries.keys.sorted() }

    /// Human-readable differences (empty when identical).
    public func differences(to other: DirectorySnapshot) -> [String] {
        var out: [String] = []
        for path in Set(entries.keys).union(other.entries.keys).sorted() {
            let shown = path.isEmpty ? "<root \(root)>" : path
            switch (entries[path], other.entries[path]) {
            case (nil, .some): out.append("created \(shown)")
            case (.some, nil): out.append("removed \(shown)")
            case (.directory, .file), (.file, .directory): out.append("changed type of \(shown)")
            case (.file(let a), .file(let b)) where a != b: out.append("changed \(shown) (\(a.count) → \(b.count) bytes)")
            default: break
            }
        }
        return out
    }
}
