/// What an aggregation did with one record.
public enum RecordOutcome: Hashable, Sendable {
    /// The record counts: it updated at least one open window, or (sliding windows) it is held
    /// for windows that later records will create. A hopping record can still miss some of its
    /// windows that had already closed; those windows stay final.
    case accepted
    /// Every window the record could belong to had closed: it changed nothing and was counted
    /// in `lateRecordCount`. The caller owns the record and may route it to a late-records topic.
    case late
}
