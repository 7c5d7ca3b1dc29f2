import Foundation

extension IDXFile {
    /// Encodes `values` (row-major, `shape`) as an IDX file of `elementType`.
    ///
    /// Integer types take only whole numbers within their range (no silent rounding or
    /// saturation); float64 stores each `Float` exactly.
    ///
    /// - Parameter path: names the destination in errors.
    /// - Throws: `ModelIOError.writeFailed` naming `path` when the shape is not 1…8 extents of at
    ///   most 2^32 − 1 whose product is `values.count`, or a value does not fit `elementType`.
    public static func encode(
        _ values: [Float], shape: [Int], as elementType: IDXElementType, path: String
    ) throws -> Data {
        func failure(_ reason: String) -> ModelIOError { .writeFailed(path: path, reason: reason) }
        guard shape.count >= 1, shape.count <= maximumRank else {
            throw failure("an IDX array needs 1...\(maximumRank) dimensions, got shape \(shape)")
        }
        guard shape.allSatisfy({ $0 >= 0 && UInt64($0) <= UInt64(UInt32.max) }) else {
            throw failure("every extent must be in 0...\(UInt32.max), got shape \(shape)")
        }
        let (elementCount, overflow) = shape.reduce((1, false)) { partial, extent in
            let (product, overflow) = partial.0.multipliedReportingOverflow(by: extent)
            return (product, partial.1 || overflow)
        }
        guard !overflow, elementCount == values.count else {
            throw failure("shape \(shape) does not match \(values.count) values")
        }
        if let range = elementType.integerRange {
            for (index, value) in values.enumerated() {
                let fits =
                    value.isFinite && value.rounded() == value
                    && Double(value) >= Double(range.lowerBound) && Double(value) <= Double(range.upperBound)
                guard fits else {
                    throw failure(
                        "element \(index) is \(value), which \(elementType) cannot hold (whole numbers \(range.lowerBound)...\(range.upperBound))"
                    )
                }
            }
        }
        var bytes: [UInt8] = [0, 0, elementType.rawValue, UInt8(shape.count)]
        bytes.reserveCapacity(4 + 4 * shape.count + values.count * elementType.byteWidth)
        for extent in shape { appendBigEndian(UInt64(extent), width: 4, to: &bytes) }
        for value in values {
            switch elementType {
            case .uint8: bytes.append(UInt8(value))
            case .int8: bytes.append(UInt8(bitPattern: Int8(value)))
            case .int16: appendBigEndian(UInt64(UInt16(bitPattern: Int16(value))), width: 2, to: &bytes)
            case .int32: appendBigEndian(UInt64(UInt32(bitPattern: Int32(value))), width: 4, to: &bytes)
            case .float32: appendBigEndian(UInt64(value.bitPattern), width: 4, to: &bytes)
            case .float64: appendBigEndian(Double(value).bitPattern, width: 8, to: &bytes)
            }
        }
        return Data(bytes)
    }

    /// The file's bytes: magic, extents and the payload unchanged.
    public func encoded() -> Data {
        var bytes: [UInt8] = [0, 0, elementType.rawValue, UInt8(shape.count)]
        for extent in shape { Self.appendBigEndian(UInt64(extent), width: 4, to: &bytes) }
        return Data(bytes + payload)
    }

    /// Atomically writes `values` (row-major, `shape`) to `url` as an IDX file of `elementType`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file; see `encode(_:shape:as:path:)`.
    public static func write(_ values: [Float], shape: [Int], as elementType: IDXElementType, to url: URL) throws {
        let data = try encode(values, shape: shape, as: elementType, path: url.path)
        try AtomicFile.write(data, to: url)
    }

    /// Atomically writes this file, byte for byte, to `url`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming the file.
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    private static func appendBigEndian(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for k in stride(from: width - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))))
        }
    }
}
