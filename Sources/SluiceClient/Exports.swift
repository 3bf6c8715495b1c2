// The few lower-layer types that appear in this module's API, so `import SluiceClient` is enough.
@_exported public import struct SluiceGroups.TopicPartition
@_exported public import struct SluiceGroups.GroupError
@_exported public import struct SluiceLog.RecordHeader
@_exported public import struct SluiceLog.RecordView
@_exported public import struct SluiceLog.LogError
