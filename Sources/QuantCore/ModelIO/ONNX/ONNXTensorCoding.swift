import Foundation

/// Converts between ONNX `TensorProto` messages and engine tensors.
///
/// Reading accepts `raw_data` (little-endian) and the typed fields: `float_data` (FLOAT),
/// `double_data` (DOUBLE), `int64_data` (INT64) and `int32_data` (INT32, and INT8/UINT8/INT16/UINT16,
/// which ONNX stores one per `int32` entry; INT4/UINT4 one packed byte per entry). Every value becomes a `Float`; the file type is returned
/// so it can be written back. Writing always uses `raw_data`.
enum ONNXTensorCoding {
    /// The tensor held by `proto` and its element type in the file.
    ///
    /// - Parameters:
    ///   - proto: the message; its `name` is used in errors (`fallbackName` when empty).
    ///   - path: the file, for errors.
    ///   - externalData: where tensors with `data_location = EXTERNAL` are read from (the model's
    ///     folder); `nil` rejects such tensors (a model decoded from memory has no folder).
    /// - Throws: `ModelIOError.unsupportedDataType`, or `.malformed` when the data does not
    ///   match the shape, dimensions are negative or overflow, or external data is refused.
    static func tensor(
        from proto: Onnx_TensorProto, path: String, fallbackName: String = "",
        externalData: ONNXExternalData? = nil
    ) throws -> (Tensor, ElementType) {
        let name = proto.name.isEmpty ? fallbackName : proto.name
        let isExternal = proto.dataLocation == .external || !proto.externalData.isEmpty
        if isExternal && externalData == nil {
            throw ModelIOError.malformed(
                path: path,
                detail: "tensor '\(name)' keeps its data in an external file, which is only read when "
                    + "the model is loaded from its file")
        }
        if proto.hasSegment {
            throw ModelIOError.malformed(
                path: path, detail: "tensor '\(name)' is split into segments, which is not supported")
        }
        let type = try elementType(code: proto.dataType, tensor: name, path: path)
        let (shape, count) = try shapeAndCount(of: proto, name: name, path: path)
        let storage: [Float]
        if isExternal, let externalData {
            let (byteCount, _) = try externalByteCount(of: proto, path: path, fallbackName: fallbackName)
            let bytes = try externalData.bytes(for: proto, name: name, byteCount: byteCount)
            storage = decodeLittleEndian(bytes, count: count, type: type)
        } else if proto.hasRawData {
            var (byteCount, overflow) = count.multipliedReportingOverflow(by: type.byteWidth)
            if type.isPacked4Bit { (byteCount, overflow) = ((count + 1) / 2, false) }
            guard !overflow, proto.rawData.count == byteCount else {
                throw ModelIOError.malformed(
                    path: path,
                    detail: "tensor '\(name)' has \(proto.rawData.count) bytes of raw data; shape \(shape) of "
                        + "\(dataTypeName(proto.dataType)) needs \(overflow ? "more" : String(byteCount))")
            }
            storage = decodeLittleEndian(proto.rawData, count: count, type: type)
        } else {
            switch type {
            case .float32: storage = proto.floatData
            case .float64: storage = proto.doubleData.map { Float($0) }
            case .int64: storage = proto.int64Data.map { Float($0) }
            case .int32, .int8, .uint8, .int16, .uint16, .bool: storage = proto.int32Data.map { Float($0) }
            case .int4, .uint4:
                // Packed like raw data: one byte (two values) per int32 entry.
                let packed = Data(proto.int32Data.map { UInt8(truncatingIfNeeded: $0) })
                storage = unpack4Bit(packed, count: min(count, packed.count * 2), isSigned: type == .int4)
            }
            guard storage.count == count else {
                throw ModelIOError.malformed(
                    path: path, detail: "tensor '\(name)' has \(storage.count) values; shape \(shape) needs \(count)")
            }
        }
        return (Tensor(shape: shape, storage: storage), type)
    }

    /// The shape of `proto` and its element count.
    ///
    /// - Throws: `ModelIOError.malformed` when a dimension is negative or the product of the
    ///   non-zero extents overflows.
    static func shapeAndCount(of proto: Onnx_TensorProto, name: String, path: String) throws -> ([Int], Int) {
        var shape: [Int] = []
        var count = 1
        // The product of the non-zero extents must fit too: a zero-sized [0, 2^40, 2^40] would
        // overflow as soon as any code multiplies its trailing axes.
        var nonZeroProduct = 1
        for dimension in proto.dims {
            let extent = Int(truncatingIfNeeded: dimension)
            let (product, overflow) = nonZeroProduct.multipliedReportingOverflow(by: max(extent, 1))
            guard dimension >= 0, !overflow else {
                throw ModelIOError.malformed(
                    path: path, detail: "tensor '\(name)' has invalid dimensions \(proto.dims)")
            }
            shape.append(extent)
            nonZeroProduct = product
            count *= extent
        }
        return (shape, count)
    }

    /// The bytes `proto` keeps in raw form (its external data must hold exactly these) and its
    /// element count.
    ///
    /// - Throws: `ModelIOError` for an unsupported type or invalid dimensions.
    static func externalByteCount(
        of proto: Onnx_TensorProto, path: String, fallbackName: String = ""
    ) throws -> (byteCount: Int, count: Int) {
        let name = proto.name.isEmpty ? fallbackName : proto.name
        let type = try elementType(code: proto.dataType, tensor: name, path: path)
        let (_, count) = try shapeAndCount(of: proto, name: name, path: path)
        var (byteCount, overflow) = count.multipliedReportingOverflow(by: type.byteWidth)
        if type.isPacked4Bit { (byteCount, overflow) = ((count + 1) / 2, false) }
        guard !overflow else {
            throw ModelIOError.malformed(path: path, detail: "tensor '\(name)' has invalid dimensions \(proto.dims)")
        }
        return (byteCount, count)
    }

    /// A `TensorProto` holding `tensor` as `elementType` in little-endian `raw_data`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming `path` when an integer type is asked for and a
    ///   value is not an integer or (for 8-bit types) out of range. 32- and 64-bit integers
    ///   saturate: `Float` cannot hold `Int64.max` exactly, and such values are limits anyway.
    static func proto(
        from tensor: Tensor, name: String, elementType: ElementType, path: String
    ) throws -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dataType = Int32(elementType.rawValue)
        proto.dims = tensor.shape.map { Int64($0) }
        if elementType.isPacked4Bit {
            proto.rawData = try pack4Bit(tensor, name: name, isSigned: elementType == .int4, path: path)
            return proto
        }
        var bytes = Data(capacity: tensor.count * elementType.byteWidth)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for value in tensor.storage {
            switch elementType {
            case .float32:
                append(value.bitPattern)
            case .float64:
                append(Double(value).bitPattern)
            case .int64, .int32, .int8, .uint8, .int16, .uint16, .int4, .uint4, .bool:
                guard value.isFinite, value.rounded() == value else {
                    throw ModelIOError.writeFailed(
                        path: path, reason: "tensor '\(name)' holds \(value), which is not an integer (\(elementType))")
                }
                switch elementType {
                case .int64: append(Int64(saturating: value))
                case .int32: append(Int32(saturating: value))
                case .bool:
                    append(UInt8(value != 0 ? 1 : 0))
                case .int8, .uint8:
                    guard
                        let byte = elementType == .int8
                            ? Int8(exactly: value).map({ UInt8(bitPattern: $0) }) : UInt8(exactly: value)
                    else {
                        throw ModelIOError.writeFailed(
                            path: path, reason: "tensor '\(name)' holds \(value), which does not fit \(elementType)")
                    }
                    append(byte)
                case .int16, .uint16:
                    guard
                        let word = elementType == .int16
                            ? Int16(exactly: value).map({ UInt16(bitPattern: $0) }) : UInt16(exactly: value)
                    else {
                        throw ModelIOError.writeFailed(
                            path: path, reason: "tensor '\(name)' holds \(value), which does not fit \(elementType)")
                    }
                    append(word)
                default: break
                }
            }
        }
        proto.rawData = bytes
        return proto
    }

    /// The engine element type for an ONNX `TensorProto.DataType` code.
    ///
    /// - Throws: `ModelIOError.unsupportedDataType` naming the tensor and the ONNX type.
    static func elementType(code: Int32, tensor: String, path: String) throws -> ElementType {
        guard let type = ElementType(rawValue: Int(code)) else {
            throw ModelIOError.unsupportedDataType(path: path, tensor: tensor, dataType: dataTypeName(code))
        }
        return type
    }

    /// The ONNX spelling of a data type code, e.g. `FLOAT16`.
    static func dataTypeName(_ code: Int32) -> String {
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(code)) else { return "data type \(code)" }
        return "\(type)".uppercased()
    }

    /// Values `[lowest, highest]`-checked into nibbles, two per byte, low nibble first.
    private static func pack4Bit(_ tensor: Tensor, name: String, isSigned: Bool, path: String) throws -> Data {
        let range: ClosedRange<Float> = isSigned ? -8...7 : 0...15
        var bytes = Data(count: (tensor.count + 1) / 2)
        for (index, value) in tensor.storage.enumerated() {
            guard range.contains(value), value.rounded() == value else {
                throw ModelIOError.writeFailed(
                    path: path,
                    reason: "tensor '\(name)' holds \(value), which does not fit \(isSigned ? "int4" : "uint4")")
            }
            let nibble = UInt8(truncatingIfNeeded: Int(value)) & 0x0F
            bytes[index / 2] |= index.isMultiple(of: 2) ? nibble : nibble << 4
        }
        return bytes
    }

    /// The first `count` nibbles of `data`, low nibble first, sign-extended when `isSigned`.
    private static func unpack4Bit(_ data: Data, count: Int, isSigned: Bool) -> [Float] {
        let bytes = [UInt8](data)
        return (0..<count).map { index in
            let byte = bytes[index / 2]
            let nibble = Int(index.isMultiple(of: 2) ? byte & 0x0F : byte >> 4)
            return Float(isSigned && nibble >= 8 ? nibble - 16 : nibble)
        }
    }

    private static func decodeLittleEndian(_ data: Data, count: Int, type: ElementType) -> [Float] {
        if type.isPacked4Bit { return unpack4Bit(data, count: count, isSigned: type == .int4) }
        return data.withUnsafeBytes { bytes -> [Float] in
            (0..<count).map { index in
                let offset = index * type.byteWidth
                switch type {
                case .float32:
                    return Float(
                        bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .float64:
                    return Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .int64:
                    return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .int32:
                    return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case .int8: return Float(bytes.load(fromByteOffset: offset, as: Int8.self))
                case .uint8: return Float(bytes[offset])
                case .bool: return bytes[offset] != 0 ? 1 : 0
                case .int16:
                    return Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
                case .uint16:
                    return Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case .int4, .uint4: return 0  // unpacked above
                }
            }
        }
    }
}

extension ElementType {
    /// Bytes per element in `raw_data` (1 for the packed 4-bit types, which hold two per byte).
    var byteWidth: Int {
        switch self {
        case .int4, .uint4: 1
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .int8, .uint8, .bool: 1
        case .int16, .uint16: 2
        }
    }
}

extension FixedWidthInteger {
    /// The integer nearest to an integral `value`, clamped to the type's range.
    fileprivate init(saturating value: Float) {
        if value >= Float(Self.max) {
            self = .max
        } else if value <= Float(Self.min) {
            self = .min
        } else {
            self.init(value)
        }
    }
}
