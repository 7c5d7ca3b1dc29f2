import Foundation

extension IDXFile {
    /// The elements as `Float`, row-major (exact for all but large int32 and float64 values).
    public func floatValues() -> [Float] {
        let count = self.count
        var result = [Float](repeating: 0, count: count)
        payload.withUnsafeBufferPointer { bytes in
            result.withUnsafeMutableBufferPointer { out in
                switch elementType {
                case .uint8:
                    for i in 0..<count { out[i] = Float(bytes[i]) }
                case .int8:
                    for i in 0..<count { out[i] = Float(Int8(bitPattern: bytes[i])) }
                case .int16:
                    for i in 0..<count {
                        out[i] = Float(Int16(bitPattern: UInt16(Self.bigEndian(bytes, at: 2 * i, width: 2))))
                    }
                case .int32:
                    for i in 0..<count {
                        out[i] = Float(Int32(bitPattern: UInt32(Self.bigEndian(bytes, at: 4 * i, width: 4))))
                    }
                case .float32:
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(Self.bigEndian(bytes, at: 4 * i, width: 4)))
                    }
                case .float64:
                    for i in 0..<count {
                        out[i] = Float(Double(bitPattern: Self.bigEndian(bytes, at: 8 * i, width: 8)))
                    }
                }
            }
        }
        return result
    }

    /// The elements of an integer file as `Int`, exactly; `nil` for float32 and float64 files.
    public func integerValues() -> [Int]? {
        guard elementType.isInteger else { return nil }
        let width = elementType.byteWidth
        return payload.withUnsafeBufferPointer { bytes in
            (0..<count).map { i -> Int in
                switch elementType {
                case .uint8: Int(bytes[i])
                case .int8: Int(Int8(bitPattern: bytes[i]))
                case .int16: Int(Int16(bitPattern: UInt16(Self.bigEndian(bytes, at: width * i, width: 2))))
                default: Int(Int32(bitPattern: UInt32(Self.bigEndian(bytes, at: width * i, width: 4))))
                }
            }
        }
    }

    /// The raw bytes of a uint8 file (e.g. MNIST labels or pixels); `nil` for other types.
    public var uint8Values: [UInt8]? { elementType == .uint8 ? payload : nil }

    /// The elements as a tensor of `shape`, each divided by `divisor` (e.g. 255 for pixels).
    ///
    /// Dividing (not multiplying by `1 / divisor`, which differs in the last bit for 126 of
    /// the 256 byte values) matches NumPy's and PyTorch's `x / 255` exactly.
    public func tensor(dividedBy divisor: Float = 1) -> Tensor {
        var values = floatValues()
        if divisor != 1 {
            for i in values.indices { values[i] /= divisor }
        }
        return Tensor(shape: shape, storage: values)
    }

    /// The unsigned big-endian integer of `width` bytes starting at `offset`.
    static func bigEndian(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for k in 0..<width { value = (value << 8) | UInt64(bytes[offset + k]) }
        return value
    }
}
