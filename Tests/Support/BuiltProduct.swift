import Foundation

/// Executables built by the package (`sluice`, `SluiceTestWorker`) that tests run as children.
public enum BuiltProduct {
    /// How many directories above each starting point are searched (besides the start itself).
    static let levelsAbove = 5

    /// The executable `name`: `$environmentVariable` when set, otherwise the first `name` in the
    /// build products directory the tests run from (`.build/debug`, `.build/<triple>/debug`,
    /// `<--scratch-path>/debug`).
    ///
    /// The search starts from `/proc/self/exe`, `Bundle.main.executableURL`,
    /// `CommandLine.arguments[0]` (the directories holding them), and `Bundle.main.bundleURL` and
    /// every `Bundle.allBundles` bundle (the bundle directories themselves, so walking up leaves an
    /// `.xctest` bundle on macOS), each both as given and with symbolic links resolved; from every
    /// start it looks in that directory and up to five directories above it.
    ///
    /// - Returns: the path, or an error naming where it looked and how to make it found.
    public static func locate(_ name: String, environmentVariable: String) -> Result<String, ChildProcessError> {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment[environmentVariable], !explicit.isEmpty {
            return isExecutableFile(explicit)
                ? .success(explicit)
                : .failure(
                    ChildProcessError(
                        "\(environmentVariable)=\(explicit) is not an executable file; point it at the built `\(name)` or unset it to search next to the test bundle"
                    ))
        }

        var starts: [URL] = []  // directories
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL { starts.append(executable.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first, !first.isEmpty {
            let argument = URL(fileURLWithPath: first, relativeTo: URL(fileURLWithPath: fm.currentDirectoryPath))
            starts.append(argument.deletingLastPathComponent())
        }
        starts.append(Bundle.main.bundleURL)
        starts += Bundle.allBundles.map(\.bundleURL)

        var looked: [String] = []
        var seen = Set<String>()
        for start in starts {
            let standardized = start.standardizedFileURL
            for first in [standardized, standardized.resolvingSymlinksInPath()] {
                var directory = first
                for _ in 0...levelsAbove {
                    if seen.insert(directory.path).inserted {
                        looked.append(directory.path)
                        let candidate = directory.appendingPathComponent(name).path
                        if isExecutableFile(candidate) { return .success(candidate) }
                    }
                    if directory.path == "/" { break }
                    directory = directory.deletingLastPathComponent()
                }
            }
        }
        return .failure(
            ChildProcessError(
                "no `\(name)` executable next to the test bundle (looked in \(looked.joined(separator: ", "))); build it with `swift build --build-tests` (same --scratch-path as the tests) or set \(environmentVariable) to its path"
            ))
    }

    /// An executable regular file (not a directory, whose search bit also reads as executable).
    private static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        let fm = FileManager.default
        return fm.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue && fm.isExecutableFile(atPath: path)
    }
}

/// The `sluice` command-line tool built with the tests.
public enum SluiceBinary {
    /// `$SLUICE_BINARY`, or `sluice` next to the test bundle (see `BuiltProduct.locate`).
    public static let located = BuiltProduct.locate("sluice", environmentVariable: "SLUICE_BINARY")

    /// The binary's path, or an error saying where it was looked for.
    public static func path() throws -> String { try located.get() }
}
