// What a pipeline author needs to give a record type SluiceJSON's fast paths (see `JSONSerde`),
// so `import Sluice` is enough: the reader and writer protocols, the types their requirements
// name, and the error they throw.
@_exported public import protocol SluiceJSON.JSONReadable
@_exported public import struct SluiceJSON.JSONReader
@_exported public import protocol SluiceJSON.JSONWritable
@_exported public import struct SluiceJSON.JSONWriter
@_exported public import struct SluiceJSON.JSONError
