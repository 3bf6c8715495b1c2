/// Event-time windowing for Sluice: which windows a record falls into (tumbling, hopping,
/// sliding, session), grace and lateness by stream time, and a single-owner aggregation engine
/// that emits on every update or only final results.
///
/// The module is pure and synchronous: no I/O, no clocks, no concurrency. Stream time only moves
/// with the timestamps it is given, so every result is a function of the input sequence and
/// can be replayed exactly. The DSL (`Sluice`) wraps it with serdes, a changelog and sinks.
///
/// Semantics follow Kafka Streams (`TimeWindows`, `SlidingWindows`, `SessionWindows`,
/// `suppress(untilWindowCloses)` / `EmitStrategy.onWindowClose`); the few places that differ are
/// documented where they happen (`WindowSpec`, `WindowedAggregation`).
public enum SluiceWindows {}
