/// The types every container reads directly, without going through `init(from:)`.
protocol JSONPrimitive {
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> Self
}

extension Bool: JSONPrimitive {
    @inline(__always)
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> Bool { try impl.bool(at: index) }
}

extension String: JSONPrimitive {
    @inline(__always)
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> String { try impl.string(at: index) }
}

extension Double: JSONPrimitive {
    @inline(__always)
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> Double { try impl.double(at: index) }
}

extension Float: JSONPrimitive {
    @inline(__always)
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> Float { try impl.float(at: index) }
}

extension JSONPrimitive where Self: FixedWidthInteger {
    @inline(__always)
    static func read(from impl: JSONDecoderImpl, at index: UInt32) throws(Mismatch) -> Self { try impl.integer(Self.self, at: index) }
}

extension Int: JSONPrimitive {}
extension Int8: JSONPrimitive {}
extension Int16: JSONPrimitive {}
extension Int32: JSONPrimitive {}
extension Int64: JSONPrimitive {}
extension Int128: JSONPrimitive {}
extension UInt: JSONPrimitive {}
extension UInt8: JSONPrimitive {}
extension UInt16: JSONPrimitive {}
extension UInt32: JSONPrimitive {}
extension UInt64: JSONPrimitive {}
extension UInt128: JSONPrimitive {}
