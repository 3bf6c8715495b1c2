public import SluiceClient

/// A record as stored, bytes and all: what `PipelineTestDriver.rawRecords` returns, for dead
/// letters (original bytes plus `sluice.*` error headers) and anything a serde cannot read.
/// It is the consumer's own record type.
public typealias RawRecord = ConsumerRecord
