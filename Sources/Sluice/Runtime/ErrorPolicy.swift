/// What a branch does with a record it cannot process (it does not decode, or an operator or
/// side effect threw): Kafka Streams' deserialization/processing exception handlers.
///
/// Whatever the policy, a poison record never blocks its partition forever and is never lost
/// silently: `.fail` stops the branch before committing it (it is read again on restart),
/// `.skip` counts and logs it, `.deadLetter` writes it durably before its offset is committed.
public enum ErrorPolicy: Sendable, Hashable {
    /// Stop the branch (the default, like Kafka Streams' LogAndFail).
    case fail
    /// Log, count and go on (LogAndContinue).
    case skip
    /// Write the original key, value and headers to this topic, with headers naming the error
    /// and the source (`sluice.error`, `sluice.source.topic`, `.partition`, `.offset`), and go on.
    case deadLetter(String)
}
