// `SluiceTestWorker group-consume`: the child of the consumer-group crash matrix.
//
//     SluiceTestWorker group-consume --data-dir D --group G [--input T] [--output T]
//         [--crash none|before-processing|after-processing|during-commit|external]
//         [--at-batch K] [--delay-us N] [--max-poll-records N] [--idle-ms MS] [--max-runtime-ms MS]
//
// Joins group G on topic `input` (auto.offset.reset=earliest, AckMode batch) and processes each
// poll's records: for every input record it sends one record to `output` whose value is
// `<partition>:<offset>` of the input record, flushes the producer (the outputs are durable),
// and only then returns, after which the consumer commits (at-least-once, DESIGN decision 4).
//
// `--crash` kills the process with SIGKILL (a real kill -9, no cleanup) at batch K (1-based):
//
//     before-processing   after the poll returned batch K, before any output is sent
//     after-processing    after batch K's outputs are durable, before the commit
//     during-commit       a thread fires SIGKILL --delay-us µs after batch K's commit starts
//     external            never by itself: the parent kills it at a random moment
//     none                runs until idle for --idle-ms with nothing left, then closes cleanly
//
// A self-killing worker that catches up before batch K kills itself there (idle, committed).
//
// Lines on stdout (see main.swift):
//
//     ready                 joined and assigned (after the first rebalance)
//     batch <k> <count>     batch k's outputs are durable (it may or may not get committed)
//     kill <point>          about to SIGKILL itself at <point> (a --crash mode, or `idle`)
//     done                  (crash none) caught up, committed and left the group

import Dispatch
import Foundation
import SluiceClient
import SluiceLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum GroupConsumeCommand {
    static func run(_ arguments: [String]) throws {
        let options = try Options(
            arguments,
            known: ["data-dir", "group", "input", "output", "crash", "at-batch", "delay-us", "max-poll-records", "idle-ms", "max-runtime-ms"])
        let crash = options.string("crash", default: "none")
        guard ["none", "before-processing", "after-processing", "during-commit", "external"].contains(crash) else {
            throw UsageError(message: "unknown --crash \(crash)")
        }
        let atBatch = try options.int("at-batch", default: 1)
        let delayMicros = try options.int("delay-us", default: 0)
        let idleMs = try options.int("idle-ms", default: 300)
        let input = options.string("input", default: "input")
        let output = options.string("output", default: "output")
        let maxRuntimeMs = try options.int("max-runtime-ms", default: 60_000)
        let started = monotonicMilliseconds()

        let backend = try EmbeddedBackend(directory: try options.string("data-dir"))
        let producer = try Producer(backend: backend)
        var configuration = ConsumerConfiguration(groupId: try options.string("group"))
        configuration.autoOffsetReset = .earliest
        configuration.ackMode = .batch
        configuration.maxPollRecords = try options.int("max-poll-records", default: 50)
        let consumer = try Consumer(backend: backend, configuration: configuration)
        try consumer.subscribe([input])

        var batch = 0
        var idleSince = monotonicMilliseconds()
        var announced = false
        let stop = {
            let now = monotonicMilliseconds()
            if !announced && !consumer.assignment.isEmpty {
                announced = true
                Output.line("ready")
            }
            if now - started > maxRuntimeMs { Output.fail("still running after \(maxRuntimeMs) ms") }
            let idle = now - idleSince > (crash == "none" ? idleMs : 50) && caughtUp(consumer, backend.log)
            // Batch K never came (too little input): die here instead, idle after a commit.
            if idle && crash != "none" && crash != "external" { die("idle") }
            return crash == "none" && idle
        }
        try consumer.runBatches(pollTimeoutMs: 20, until: stop) { records, _ in
            batch += 1
            if crash == "before-processing" && batch == atBatch { die("before-processing") }
            try records.forEach { tp, record in
                let value = Array("\(tp.partition):\(record.offset)".utf8)
                try producer.send(topic: output, key: nil, value: value)
            }
            try producer.flush()
            Output.line("batch \(batch) \(records.count)")
            if crash == "after-processing" && batch == atBatch { die("after-processing") }
            if crash == "during-commit" && batch == atBatch {
                // The commit starts when this handler returns; the kill lands inside it.
                let thread = Thread {
                    usleep(useconds_t(delayMicros))
                    die("during-commit")
                }
                thread.start()
            }
            idleSince = monotonicMilliseconds()
        }
        try consumer.close()
        try producer.close()
        try backend.close()
        Output.line("done")
    }

    /// Reports where it dies, then SIGKILLs itself (no cleanup: what kill -9 from outside does).
    static func die(_ point: String) {
        Output.line("kill \(point)")
        kill(getpid(), SIGKILL)
    }

    /// Whether every owned partition's position is at its log end.
    static func caughtUp(_ consumer: Consumer, _ log: LogManager) -> Bool {
        let owned = consumer.assignment
        guard !owned.isEmpty else { return false }
        return owned.allSatisfy { tp in
            guard let position = try? consumer.position(tp), let partition = try? log.partition(tp.topic, tp.partition) else { return false }
            return position >= partition.highWatermark
        }
    }
}
