extension QuantizedWeights {
    /// The blocks these weights were quantized in (from `shape`, `outputChannelAxis` and the granularity).
    ///
    /// - Throws: `QuantizationError` when the stored shape, axis or group size is invalid.
    public func blockLayout() throws -> BlockLayout {
        try BlockLayout(shape: shape, outputChannelAxis: outputChannelAxis, granularity: settings.granularity)
    }

    /// Decodes `codes` from the stored scales, zero points and codebook alone, as an importer or
    /// exporter would; for any record `WeightQuantizer` made this equals `dequantized` exactly.
    ///
    /// Float records (no codes) return `dequantized`.
    /// - Throws: `QuantizationError.malformedQuantizedWeights` when codes, scales or codebook do not fit together.
    public func decodeCodes() throws -> [Float] {
        guard settings.bitWidth != nil else { return dequantized }
        let count = Tensor.elementCount(of: shape)
        guard codes.count == count else { throw malformed("\(codes.count) codes for \(count) weights") }
        let scheme = settings.scheme
        if scheme == .kmeans || scheme == .nf4 {
            if let bad = codes.firstIndex(where: { !codebook.indices.contains(Int($0)) }) {
                throw malformed("code \(codes[bad]) of weight \(bad) is outside the \(codebook.count)-entry codebook")
            }
        }
        if scheme == .kmeans { return codes.map { codebook[Int($0)] } }
        let layout = try blockLayout()
        guard scales.count == layout.blockCount else {
            throw malformed("\(scales.count) scales for \(layout.blockCount) blocks")
        }
        let hasZeroPoint = scheme == .asymmetric || scheme == .meanStd
        if hasZeroPoint, zeroPoints.count != layout.blockCount {
            throw malformed("\(zeroPoints.count) zero points for \(layout.blockCount) blocks")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let block = layout.blockIndex(ofElement: i)
            let scale = scales[block], code = codes[i]
            switch scheme {
            case .symmetric, .symmetricFull, .asymmetric, .meanStd, .fixedPoint:
                let zeroPoint = hasZeroPoint ? zeroPoints[block] : 0
                values[i] = Float(Int64(code) - Int64(zeroPoint)) * scale
            case .powerOfTwo: values[i] = PowerOfTwoQuantizer.dequantize(code, scale: scale, bitWidth: bitWidth)
            case .fp8E4M3: values[i] = FP8Format.e4m3.value(of: UInt8(truncatingIfNeeded: code)) * scale
            case .fp8E5M2: values[i] = FP8Format.e5m2.value(of: UInt8(truncatingIfNeeded: code)) * scale
            case .nf4: values[i] = codebook[Int(code)] * scale
            case .binary, .ternary: values[i] = Float(code) * scale
            case .kmeans: values[i] = codebook[Int(code)]
            }
        }
        return values
    }

    private func malformed(_ detail: String) -> QuantizationError { .malformedQuantizedWeights(detail: detail) }
}
