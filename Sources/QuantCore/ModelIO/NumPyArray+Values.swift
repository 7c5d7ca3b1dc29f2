import Foundation

extension NumPyArray {
    /// The number of rows along axis 0 (1 for a scalar).
    public var rowCount: Int { shape.first ?? 1 }

    /// Elements `range` (in C order) converted to `Float`; integers convert exactly up to 2^24.
    public func floatValues(in range: Range<Int>? = nil) -> [Float] {
        let range = range ?? 0..<count
        return payload.withUnsafeBytes { raw in
            let width = elementType.byteWidth
            func load<T>(_ type: T.Type, _ convert: (T) -> Float) -> [Float] {
                range.map { convert(raw.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
            }
            switch elementType {
            case .uint8: return load(UInt8.self) { Float($0) }
            case .int8: return load(Int8.self) { Float($0) }
            case .uint16: return load(UInt16.self) { Float(UInt16(littleEndian: $0)) }
            case .int32: return load(Int32.self) { Float(Int32(littleEndian: $0)) }
            case .int64: return load(Int64.self) { Float(Int64(littleEndian: $0)) }
            case .float32: return load(UInt32.self) { Float(bitPattern: UInt32(littleEndian: $0)) }
            case .float64: return load(UInt64.self) { Float(Double(bitPattern: UInt64(littleEndian: $0))) }
            }
        }
    }

    /// The values as integers, or `nil` for floating-point arrays.
    public func integerValues() -> [Int]? {
        guard elementType.isInteger else { return nil }
        return payload.withUnsafeBytes { raw in
            let width = elementType.byteWidth
            func load<T>(_ type: T.Type, _ convert: (T) -> Int) -> [Int] {
                (0..<count).map { convert(raw.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
            }
            switch elementType {
            case .uint8: return load(UInt8.self) { Int($0) }
            case .int8: return load(Int8.self) { Int($0) }
            case .uint16: return load(UInt16.self) { Int(UInt16(littleEndian: $0)) }
            case .int32: return load(Int32.self) { Int(Int32(littleEndian: $0)) }
            case .int64: return load(Int64.self) { Int(Int64(littleEndian: $0)) }
            case .float32, .float64: return []  // excluded by the guard above
            }
        }
    }
}
