/// The error of the consumer-protocol codec (`ConsumerProtocol.Subscription` and `.Assignment`),
/// under the name it had before the codec shared its reader and writer with the
/// `__consumer_offsets` records. It is that shared error, so code catching either name sees the
/// same values.
public typealias ConsumerProtocolError = KafkaEncodingError
