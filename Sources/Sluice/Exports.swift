// What a pipeline author needs besides this module, so `import Sluice` is enough.
@_exported public import enum SluiceClient.AckMode
@_exported public import struct SluiceGroups.TopicPartition
@_exported public import enum SluiceWindows.WindowSpec
@_exported public import enum SluiceWindows.EmitMode
@_exported public import struct SluiceWindows.Window
