// What a test needs besides this module and `Sluice`, so `import SluiceTesting` is enough.
@_exported public import struct SluiceLog.RecordHeader
