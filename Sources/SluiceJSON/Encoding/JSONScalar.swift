/// Values every Codable container writes directly (the public, hand-written counterpart is
/// ``JSONWritable``).
protocol JSONScalar {
    /// Appends the JSON text; false (nothing written) when JSON cannot represent the value.
    func write(to out: inout OutputBuffer) -> Bool
}

extension Bool: JSONScalar {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        out.append(self ? "true" : "false")
        return true
    }
}

extension String: JSONScalar {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        var text = self
        text.withUTF8 { out.appendString($0) }
        return true
    }
}

extension Double: JSONScalar {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool { out.appendFloatingPoint(self) }
}

extension Float: JSONScalar {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool { out.appendFloatingPoint(self) }
}

extension JSONScalar where Self: FixedWidthInteger {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        out.appendInteger(self)
        return true
    }
}

extension Int: JSONScalar {}
extension Int8: JSONScalar {}
extension Int16: JSONScalar {}
extension Int32: JSONScalar {}
extension Int64: JSONScalar {}
extension Int128: JSONScalar {}
extension UInt: JSONScalar {}
extension UInt8: JSONScalar {}
extension UInt16: JSONScalar {}
extension UInt32: JSONScalar {}
extension UInt64: JSONScalar {}
extension UInt128: JSONScalar {}
