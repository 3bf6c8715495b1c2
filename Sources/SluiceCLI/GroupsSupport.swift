import Foundation
import SluiceGroups
import SluiceLog

/// A data directory opened for the `groups` commands, with the group coordinator over it.
///
/// The coordinator of a CLI process never has live members (members exist only inside the
/// process that runs the consumers), so groups are seen as `Empty` with their committed offsets,
/// or `Dead` when they have none.
final class GroupsSession {
    let log: LogManager
    /// nil only for a writable open of a directory that has never stored a commit: creating
    /// `__consumer_offsets` is left to the first commit, so refused input changes nothing.
    private var opened: GroupCoordinator?

    init(_ options: DataDirectoryOptions, readOnly: Bool) throws {
        log = try openLog(options, readOnly: readOnly)
        do {
            if readOnly || log.topicNames(includeInternal: true).contains(OffsetsTopic.name) {
                opened = try Self.openCoordinator(log)
            }
        } catch {
            try? log.close()
            throw error
        }
    }

    private static func openCoordinator(_ log: LogManager) throws -> GroupCoordinator {
        let coordinator = try GroupCoordinator(log: log)
        for line in coordinator.offsetStore.report { printError("sluice: \(line)") }
        return coordinator
    }

    /// The coordinator, creating `__consumer_offsets` if needed (writable opens only).
    func coordinator() throws -> GroupCoordinator {
        if let opened { return opened }
        let coordinator = try Self.openCoordinator(log)
        opened = coordinator
        return coordinator
    }

    func listGroups(states: Set<GroupState> = []) -> [GroupListing] {
        opened?.listGroups(states: states) ?? []
    }

    /// The group as DescribeGroups sees it; nil when it does not exist (DescribeGroups: `Dead`).
    func describeGroup(_ groupId: String) -> GroupDescription? {
        guard let description = opened?.describeGroup(groupId), description.state != .dead else { return nil }
        return description
    }

    func committedOffsets(_ groupId: String) -> [TopicPartition: OffsetCommitValue] {
        opened?.committedOffsets(groupId: groupId) ?? [:]
    }

    func lag(_ groupId: String, including partitions: [TopicPartition]) -> [GroupCoordinator.PartitionLag] {
        opened?.lag(groupId: groupId, including: partitions) ?? []
    }

    func close() {
        try? log.close()
    }
}

/// Kafka's column output: every column as wide as its widest cell (header included), columns
/// separated by a space, left-aligned; the last column is not padded.
struct TextTable {
    let headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "a row of \(row.count) cells in a table of \(headers.count) columns")
        rows.append(row)
    }

    var rendered: String {
        let lines = [headers] + rows
        let widths = headers.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for line in lines {
            for (column, cell) in line.enumerated() {
                if column > 0 { out += " " }
                out += cell
                if column < line.count - 1 { out += String(repeating: " ", count: widths[column] - cell.count) }
            }
            out += "\n"
        }
        return out
    }
}

/// What Kafka's tools print for an unknown value.
let missingValue = "-"

/// The partitions of a consumer-protocol assignment; empty when the member has none yet (or the
/// group is not a consumer group, whose assignment bytes mean something else).
func assignedPartitions(_ member: GroupDescription.Member, protocolType: String) -> [TopicPartition] {
    guard protocolType == SluiceGroups.consumerProtocolType || protocolType.isEmpty, !member.assignment.isEmpty else { return [] }
    return ((try? ConsumerProtocol.Assignment(decoding: member.assignment))?.partitions ?? []).sorted()
}

/// Kafka's `--verbose` ASSIGNMENT cell: `topic(0,1,2), other(0)`, or `-`.
func assignmentCell(_ partitions: [TopicPartition]) -> String {
    guard !partitions.isEmpty else { return missingValue }
    let byTopic = Dictionary(grouping: partitions, by: \.topic)
    return byTopic.map { topic, partitions in
        topic + "(" + partitions.map(\.partition).sorted().map(String.init).joined(separator: ",") + ")"
    }.sorted().joined(separator: ", ")
}

/// Parses `--state` values: state names (any case), comma-separated, as Kafka's `--list --state`.
func parseGroupStates(_ text: String) throws -> Set<GroupState> {
    var states: Set<GroupState> = []
    for name in text.split(separator: ",", omittingEmptySubsequences: false) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard let state = GroupState(kafkaName: trimmed) else {
            throw CLIError(
                "Invalid state list '\(text)'. Valid states are: \(GroupState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        states.insert(state)
    }
    return states
}

/// Kafka's `--to-datetime` format (`Utils.getDateTime`): `YYYY-MM-DDTHH:mm:SS.sss`, where the
/// seconds and the fraction may be left out and a zone may follow (`Z`, `+01:00`, `+0100`,
/// `-05`); without a zone the time is local, as in Kafka.
enum KafkaDateTime {
    /// Milliseconds since the epoch, or nil when `text` is not such a date-time.
    static func parse(_ text: String, localZone: TimeZone = .current) -> Int64? {
        var rest = Substring(text)

        func number(_ digits: Int) -> Int? {
            let prefix = rest.prefix(digits)
            guard prefix.count == digits, prefix.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            rest = rest.dropFirst(digits)
            return Int(prefix)
        }
        func literal(_ character: Character) -> Bool {
            guard rest.first == character else { return false }
            rest = rest.dropFirst()
            return true
        }

        guard let year = number(4), literal("-"), let month = number(2), literal("-"), let day = number(2), literal("T"),
            let hour = number(2), literal(":"), let minute = number(2)
        else { return nil }
        var second = 0
        var nanosecond = 0
        if literal(":") {
            guard let s = number(2) else { return nil }
            second = s
            if literal(".") {
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard (1...9).contains(digits.count) else { return nil }
                rest = rest.dropFirst(digits.count)
                nanosecond = Int(digits + String(repeating: "0", count: 9 - digits.count)) ?? 0
            }
        }
        var zone = localZone
        if literal("Z") {
            zone = TimeZone(secondsFromGMT: 0) ?? localZone
        } else if let sign = rest.first, sign == "+" || sign == "-" {
            rest = rest.dropFirst()
            guard let hours = number(2), hours <= 18 else { return nil }
            var minutes = 0
            if !rest.isEmpty {
                _ = literal(":")
                guard let m = number(2), m < 60 else { return nil }
                minutes = m
            }
            let seconds = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
            guard let fixed = TimeZone(secondsFromGMT: seconds) else { return nil }
            zone = fixed
        }
        guard rest.isEmpty else { return nil }
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }

        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(
            calendar: calendar, timeZone: zone, year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard day >= 1, let firstOfMonth = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let days = calendar.range(of: .day, in: .month, for: firstOfMonth), days.contains(day),
            let date = calendar.date(from: components)
        else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) + Int64(nanosecond / 1_000_000)
    }
}
