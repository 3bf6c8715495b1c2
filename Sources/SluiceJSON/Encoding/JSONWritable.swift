/// Values every container writes directly.
protocol JSONWritable {
    /// Appends the JSON text; false (nothing written) when JSON cannot represent the value.
    func write(to out: inout OutputBuffer) -> Bool
}

extension Bool: JSONWritable {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        out.append(self ? "true" : "false")
        return true
    }
}

extension String: JSONWritable {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        var text = self
        text.withUTF8 { out.appendString($0) }
        return true
    }
}

extension Double: JSONWritable {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool { out.appendFloatingPoint(self) }
}

extension Float: JSONWritable {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool { out.appendFloatingPoint(self) }
}

extension JSONWritable where Self: FixedWidthInteger {
    @inline(__always)
    func write(to out: inout OutputBuffer) -> Bool {
        out.appendInteger(self)
        return true
    }
}

extension Int: JSONWritable {}
extension Int8: JSONWritable {}
extension Int16: JSONWritable {}
extension Int32: JSONWritable {}
extension Int64: JSONWritable {}
extension Int128: JSONWritable {}
extension UInt: JSONWritable {}
extension UInt8: JSONWritable {}
extension UInt16: JSONWritable {}
extension UInt32: JSONWritable {}
extension UInt64: JSONWritable {}
extension UInt128: JSONWritable {}
