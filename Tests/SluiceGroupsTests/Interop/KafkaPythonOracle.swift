import SluiceTestSupport
import Foundation
import Testing

/// Runs `Interop/kafka_python_groups.py` (kafka-python's consumer-protocol codec and
/// assignors) as a third-party oracle. kafka-python is required: without it these tests FAIL
/// with install instructions (a skipped third-party proof proves nothing).
enum KafkaPythonOracle {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The helper script, found next to this source file.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("kafka_python_groups.py").path
    }

    /// `$SLUICE_TEST_PYTHON`, or `python3` from PATH.
    static var interpreter: (executable: String, prefix: [String]) {
        if let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"], !python.isEmpty { return (python, []) }
        return ("/usr/bin/env", ["python3"])
    }

    static let installHint = "install it with: python3 -m pip install 'kafka-python==3.0.12' (or set SLUICE_TEST_PYTHON to an interpreter that has it)"

    /// Sends one JSON request to the script and decodes its answer. Records a test failure (and
    /// throws) when python3 or kafka-python is missing or the script fails.
    static func ask<Request: Encodable, Answer: Decodable>(
        _ request: Request, as: Answer.Type, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Answer {
        do {
            let input = try JSONEncoder().encode(request)
            let (status, stdout, stderr) = try run(input: input)
            switch status {
            case 0: break
            case 3:
                // The script names what is missing and how to install it.
                throw Failure(description: String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            case 127:
                throw Failure(description: "python3 is not on PATH — \(installHint)")
            default:
                throw Failure(
                    description: "\(script) exited with status \(status)\n--- stdout ---\n\(String(decoding: stdout, as: UTF8.self))\n--- stderr ---\n\(String(decoding: stderr, as: UTF8.self))"
                )
            }
            do {
                return try JSONDecoder().decode(Envelope<Answer>.self, from: stdout).results
            } catch {
                throw Failure(description: "cannot read the script's answer (\(error)): \(String(decoding: stdout.prefix(2000), as: UTF8.self))")
            }
        } catch {
            Issue.record("kafka-python oracle unavailable or failed: \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    private struct Envelope<Results: Decodable>: Decodable {
        var results: Results
    }

    /// Runs the script through the shared child-process runner (files, not pipes; a timeout).
    private static func run(input: Data, timeout: Double = 60) throws -> (Int32, Data, Data) {
        let (executable, prefix) = interpreter
        let output: ChildOutput
        do {
            output = try ChildProcess.run(executable, prefix + [script], stdin: [UInt8](input), timeout: timeout)
        } catch {
            throw Failure(description: "\(error) — \(installHint)")
        }
        return (output.status, Data(output.stdoutBytes), Data(output.stderrBytes))
    }
}

// MARK: - The script's JSON

/// `{"topic": T, "partitions": [P...]}`.
struct OracleTopicPartitions: Codable, Equatable {
    var topic: String
    var partitions: [Int32]
}

/// A subscription or assignment as the script reads and writes it (or, from "decode", the
/// error kafka-python raised).
struct OracleItem: Codable, Equatable {
    var kind: String?
    var version: Int16?
    var topics: [String]?
    var userData: String?
    var ownedPartitions: [OracleTopicPartitions]?
    var generationId: Int32?
    var rackId: String?
    var assignedPartitions: [OracleTopicPartitions]?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, version, topics, error
        case userData = "user_data"
        case ownedPartitions = "owned_partitions"
        case generationId = "generation_id"
        case rackId = "rack_id"
        case assignedPartitions = "assigned_partitions"
    }
}

struct OracleCodecRequest: Encodable {
    var op: String
    var items: [OracleItem]
}

struct OracleDecodeItem: Encodable {
    var kind: String
    var hex: String
}

struct OracleDecodeRequest: Encodable {
    var op = "decode"
    var items: [OracleDecodeItem]
}

struct OracleMember: Encodable {
    var memberId: String
    var groupInstanceId: String?
    var topics: [String]

    enum CodingKeys: String, CodingKey {
        case memberId = "member_id"
        case groupInstanceId = "group_instance_id"
        case topics
    }
}

struct OracleAssignCase: Encodable {
    var members: [OracleMember]
    var partitions: [String: Int32]
}

struct OracleAssignRequest: Encodable {
    var op = "assign"
    var assignor: String
    var cases: [OracleAssignCase]
}

struct OracleAssigned: Decodable {
    struct Partition: Decodable {
        var topic: String
        var partition: Int32
    }
    var partitions: [Partition]
    var encoded: String
}

// MARK: - Bytes

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

func bytes(fromHex text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
        guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}
