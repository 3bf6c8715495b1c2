import Foundation

/// What `<data-dir>/topics/<name>.json` holds: the partition count and the explicitly set
/// configs. Written atomically (temporary file, fsync, rename, fsync of the directory), so a
/// crash leaves either the old or the new version, never a mix.
struct TopicMetadata: Codable, Equatable {
    var name: String
    var partitions: Int32
    var configs: [String: String]
    var createdAt: Int64

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [0x0a]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> TopicMetadata {
        do {
            return try JSONDecoder().decode(TopicMetadata.self, from: Data(bytes))
        } catch {
            throw LogError(.incompatibleDataDirectory, "topic metadata \(path) is unreadable: \(error)")
        }
    }
}

/// A topic as `sluice topics describe` shows it.
public struct TopicDescription: Sendable {
    public struct PartitionInfo: Sendable {
        public var id: Int32
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var highWatermark: Int64
        public var segmentCount: Int
        public var sizeInBytes: Int64
        /// Set when the partition could not be opened (damaged durable data).
        public var offlineReason: String?
    }

    public var name: String
    public var config: TopicConfig
    public var partitions: [PartitionInfo]
}

extension StorageIO {
    /// Replaces `path` with `bytes` atomically and durably.
    func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
        // A short fixed-length name: `<249-char topic>.json.tmp` would exceed NAME_MAX (255).
        let temporary = directory + "/.tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let file = try open(temporary, mode: .readWrite)
        try file.truncate(to: 0)
        try file.write(bytes, at: 0)
        try file.sync()
        file.close()
        try rename(temporary, to: path)
        try syncDirectory(directory)
    }

    func readWholeFile(_ path: String) throws -> [UInt8] {
        let file = try open(path, mode: .readOnly)
        defer { file.close() }
        return try file.readAll()
    }
}
