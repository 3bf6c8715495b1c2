// SluiceTestWorker: the child process of Sluice's crash tests.
//
//     SluiceTestWorker <subcommand> [options]
//
// Subcommands (one per crash test; add new ones to `subcommands` below):
//
//     log-append   append to a topic from several threads until killed, reporting every
//                  acknowledged append on stdout (see LogAppendCommand.swift)
//     log-dump     print a partition's records (read-only), to look into a kept data directory
//     group-consume  consume as a group member, producing one output per input, and kill itself
//                  with SIGKILL at a chosen point (see GroupConsumeCommand.swift)
//
// Output protocol, shared by every subcommand: one line per event on stdout, each written with a
// single write(2) (no stdio buffering), so a line the parent reads is complete and was written
// before the event it reports could be lost by a kill. Words are separated by single spaces:
//
//     error <text>          the worker failed; it exits with status 3 right after
//
// Exit statuses: 0 done, 2 usage error, 3 failure. A `kill -9` is how the parent normally ends it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let subcommands: [String: ([String]) throws -> Void] = [
    "log-append": LogAppendCommand.run,
    "log-dump": LogDumpCommand.run,
    "group-consume": GroupConsumeCommand.run,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let subcommand = subcommands[name] else {
    Output.standardError("usage: SluiceTestWorker <\(subcommands.keys.sorted().joined(separator: "|"))> [options]\n")
    exit(2)
}
do {
    try subcommand(Array(arguments.dropFirst()))
    exit(0)
} catch let error as UsageError {
    Output.standardError("SluiceTestWorker \(name): \(error.message)\n")
    exit(2)
} catch {
    Output.fail("\(error)")
}
