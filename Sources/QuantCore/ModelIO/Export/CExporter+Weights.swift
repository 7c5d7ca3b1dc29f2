extension CExporter {
    /// One `static const` array of the generated source: what flash holds.
    public struct CArray: Sendable, Equatable {
        /// The C identifier.
        public var name: String
        /// A comment written above it (shape, encoding).
        public var comment: String
        /// The bytes, for `uint8_t` arrays.
        public var bytes: [UInt8]?
        /// The values, for `float` arrays.
        public var floats: [Float]?
        /// The values, for `int8_t` arrays (integer form: weight codes).
        public var int8s: [Int8]?
        /// The values, for `int32_t` arrays (integer form: biases).
        public var int32s: [Int32]?

        /// The C element type.
        public var elementType: String {
            bytes != nil ? "uint8_t" : (int8s != nil ? "int8_t" : (int32s != nil ? "int32_t" : "float"))
        }

        /// The array's size in flash: one byte per `uint8_t` or `int8_t`, four per `float` or `int32_t`.
        public var byteCount: Int {
            if let bytes { return bytes.count }
            if let int8s { return int8s.count }
            if let int32s { return 4 * int32s.count }
            return (floats?.count ?? 0) * SizeModel.floatByteCount
        }
    }

    /// A layer's weights as arrays plus the initializer of the C `qd_weights` that decodes them.
    struct EncodedWeights {
        var arrays: [CArray]
        /// The fields of `qd_weights` (C99 designated initializer body).
        var initializer: String
        /// Weights per output channel (the decoded row).
        var rowLength: Int
    }

    /// Bit-packs `codes` LSB-first at `bitWidth` bits each: code `i`, bit `j` is stream bit
    /// `i · bitWidth + j`, stream bit `k` is bit `k mod 8` of byte `k / 8`; `⌈n · b / 8⌉` bytes.
    public static func pack(_ codes: [Int32], bitWidth: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SizeModel.packedBytes(count: codes.count, bitWidth: bitWidth))
        let mask = bitWidth >= 32 ? UInt32.max : (UInt32(1) << bitWidth) - 1
        var bit = 0
        for code in codes {
            let value = UInt32(bitPattern: code) & mask
            for j in 0..<bitWidth where value & (UInt32(1) << j) != 0 {
                let position = bit + j
                bytes[position / 8] |= UInt8(1) << (position % 8)
            }
            bit += bitWidth
        }
        return bytes
    }

    /// The occupancy bitmap (bit `i` set = value `i` is not exactly 0), `⌈n / 8⌉` bytes.
    static func occupancy(of values: [Float]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SizeModel.occupancyBytes(count: values.count))
        for (i, value) in values.enumerated() where value != 0 { bytes[i / 8] |= UInt8(1) << (i % 8) }
        return bytes
    }

    /// Encodes `layer`'s weights exactly as `SizeModel.layerSize` counts them.
    ///
    /// - Throws: `ModelIOError.incompatible` when the weight's output channels are not its rows
    ///   (axis 0), which the row decoder needs.
    static func encodeWeights(
        of layer: Layer, float: Tensor, quantized: QuantizedWeights?, prefix: String, path: String
    ) throws -> EncodedWeights {
        guard layer.outputChannelAxis == 0, let channels = float.shape.first, channels > 0 else {
            throw ModelIOError.incompatible(
                path: path,
                detail:
                    "C export: layer \(layer.name) has output channels on axis \(layer.outputChannelAxis); only axis 0 "
                    + "(Conv, Gemm with transB = 1) is supported")
        }
        let rowLength = float.count / channels
        let size = SizeModel.layerSize(layer, quantized: quantized)
        let shape = "[" + float.shape.map(String.init).joined(separator: ", ") + "]"
        var fields = ["  .row_length = \(rowLength)u"]
        var arrays: [CArray] = []
        guard let quantized, quantized.settings.bitWidth != nil else {
            // Float weights: every value, or (pruned, when SizeModel chose sparse) bitmap + non-zeros.
            let values = quantized?.dequantized ?? float.storage
            fields += ["  .kind = 0", "  .values = \(prefix)_values", "  .group_size = 1u"]
            if size.encoding == .sparse {
                arrays.append(
                    CArray(
                        name: "\(prefix)_occupancy", comment: "\(shape) occupancy bitmap", bytes: occupancy(of: values))
                )
                arrays.append(
                    CArray(
                        name: "\(prefix)_values", comment: "non-zero float32 values", floats: values.filter { $0 != 0 })
                )
                fields.append("  .occupancy = \(prefix)_occupancy")
            } else {
                arrays.append(CArray(name: "\(prefix)_values", comment: "\(shape) float32", floats: values))
            }
            return EncodedWeights(arrays: arrays, initializer: fields.joined(separator: ",\n"), rowLength: rowLength)
        }
        let layout = try quantized.blockLayout()
        let bits = quantized.bitWidth
        let scheme = quantized.settings.scheme
        let kind = decodeKind(for: scheme)
        var codes = quantized.codes
        if scheme == .binary { codes = codes.map { $0 > 0 ? 1 : 0 } }
        if size.encoding == .sparse {
            let stored = quantized.dequantized.indices.filter { quantized.dequantized[$0] != 0 }
            arrays.append(
                CArray(
                    name: "\(prefix)_occupancy", comment: "\(shape) occupancy bitmap",
                    bytes: occupancy(of: quantized.dequantized)))
            codes = stored.map { codes[$0] }
            fields.append("  .occupancy = \(prefix)_occupancy")
        }
        let packed = pack(codes, bitWidth: bits)
        arrays.append(
            CArray(
                name: "\(prefix)_codes",
                comment:
                    "\(shape) \(scheme.rawValue) \(bits)-bit codes, \(size.encoding == .sparse ? "non-zeros only" : "dense")",
                bytes: packed))
        fields += [
            "  .kind = \(kind.rawValue)", "  .bits = \(bits)", "  .codes = \(prefix)_codes",
            "  .code_bytes = \(packed.count)u",
        ]
        switch quantized.settings.granularity {
        case .tensor: fields += ["  .blocks_per_row = 0u", "  .group_size = \(max(rowLength, 1))u"]
        case .channel: fields += ["  .blocks_per_row = 1u", "  .group_size = \(max(rowLength, 1))u"]
        case .group(let groupSize):
            // A group at least a row long is the row: the same blocks, and always a uint32_t.
            let size = max(min(groupSize, rowLength), 1)
            fields += ["  .blocks_per_row = \(layout.blockCount / channels)u", "  .group_size = \(size)u"]
        }
        if !quantized.scales.isEmpty {
            arrays.append(
                CArray(
                    name: "\(prefix)_scales", comment: "\(quantized.scales.count) float32 scales",
                    floats: quantized.scales))
            fields.append("  .scales = \(prefix)_scales")
        }
        if !quantized.zeroPoints.isEmpty {
            let width = SizeModel.packedBytes(count: 1, bitWidth: bits)
            var bytes: [UInt8] = []
            for zeroPoint in quantized.zeroPoints {
                let value = UInt32(bitPattern: zeroPoint)
                for byte in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
            }
            arrays.append(
                CArray(
                    name: "\(prefix)_zero_points", comment: "\(quantized.zeroPoints.count) zero points", bytes: bytes))
            fields += ["  .zero_points = \(prefix)_zero_points", "  .zero_point_bytes = \(width)"]
        }
        if scheme.usesCodebook {
            var table = quantized.codebook
            table += [Float](repeating: 0, count: max(0, (1 << min(bits, 16)) - table.count))
            arrays.append(
                CArray(name: "\(prefix)_codebook", comment: "\(table.count) float32 centroids", floats: table))
            fields.append("  .codebook = \(prefix)_codebook")
        }
        return EncodedWeights(arrays: arrays, initializer: fields.joined(separator: ",\n"), rowLength: rowLength)
    }
}
