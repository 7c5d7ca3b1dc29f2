/// The reference kernels of the steps the model zoo's classic CNNs add: GlobalAveragePool,
/// requantization to another grid and Concat. They move or average codes only, so one plain
/// version serves every `IntegerKernelVariant`.
extension IntegerKernels {
    /// GlobalAveragePool on NCHW codes: `pool` with the whole plane as the window (`[N, C, 1, 1]`).
    static func globalAveragePool(_ x: IntegerTensor, variant: IntegerKernelVariant) throws -> IntegerTensor {
        guard x.shape.count == 4, x.shape[2] > 0, x.shape[3] > 0 else {
            throw IntegerLoweringError("GlobalAveragePool needs an NCHW input, got \(x.shape)")
        }
        let window = PoolAttributes(kernelShape: [x.shape[2], x.shape[3]])
        return try variant == .reference ? pool(x, window, average: true) : fastPool(x, window, average: true)
    }

    /// The code `code` of `input` on the grid of `output`:
    /// `clamp(roundHalfEven(Float(code − z_x) · (s_x / s_y)) + z_y)`, the requantization of
    /// `requantize` with no bias (onnxruntime's QLinearConcat computes the same per input code).
    ///
    /// | s_x   | s_y  | code (z = 0) | → code |
    /// |-------|------|--------------|--------|
    /// | 0.1   | 0.2  | 5            | 2 (2.5 to even) |
    /// | 0.1   | 0.2  | 7            | 4 (3.5 to even) |
    /// | 0.1   | 0.05 | 100          | 127 (saturated) |
    @inline(__always)
    static func requantized(
        _ code: Int16, from input: ActivationQuantization, to output: ActivationQuantization
    ) -> Int16 {
        requantize(
            Int32(code) - input.zeroPoint, bias: 0, multiplier: input.scale / output.scale,
            zeroPoint: output.zeroPoint, clamp: output.codeRange)
    }

    /// `x` with every code moved to the grid of `output`; in the fixed point as TFLite's QUANTIZE
    /// (int8 → int8) does it, `clamp(MultiplyByQuantizedMultiplier(code − z_x, m, shift) + z_y)` with
    /// `s_x / s_y` taken in `Double`.
    static func requantize(
        _ x: IntegerTensor, to output: ActivationQuantization, requantization: Requantization = .float
    ) -> IntegerTensor {
        let input = x.quantization
        switch requantization {
        case .float:
            return IntegerTensor(
                shape: x.shape, codes: x.codes.map { requantized($0, from: input, to: output) }, quantization: output)
        case .fixedPoint:
            let fixedPoint = FixedPointMultiplier(Double(input.scale) / Double(output.scale))
            let codes = x.codes.map { code in
                requantize(
                    Int32(code) - input.zeroPoint, bias: 0, fixedPoint: fixedPoint, zeroPoint: output.zeroPoint,
                    clamp: output.codeRange)
            }
            return IntegerTensor(shape: x.shape, codes: codes, quantization: output)
        }
    }

    /// The tensors concatenated along `axis` (negative counts from the end); they share one
    /// quantization (the lowering requantizes the others first) and every other extent.
    static func concat(_ tensors: [IntegerTensor], axis: Int) throws -> IntegerTensor {
        guard let first = tensors.first, tensors.allSatisfy({ $0.quantization == first.quantization }) else {
            throw IntegerLoweringError("Concat needs inputs of one quantization")
        }
        let shape = try concatShape(tensors.map(\.shape), axis: axis)
        let cut = axis < 0 ? axis + shape.count : axis
        let outer = first.shape[..<cut].reduce(1, *)
        var codes: [Int16] = []
        codes.reserveCapacity(shape.reduce(1, *))
        let chunks = tensors.map { $0.codes.count / max(outer, 1) }  // codes per outer index
        for index in 0..<outer {
            for (tensor, chunk) in zip(tensors, chunks) {
                codes.append(contentsOf: tensor.codes[(index * chunk)..<((index + 1) * chunk)])
            }
        }
        return IntegerTensor(shape: shape, codes: codes, quantization: first.quantization)
    }

    /// The shape of a Concat of `shapes` along `axis`: equal but for `axis`, whose extents add.
    static func concatShape(_ shapes: [[Int]], axis: Int) throws -> [Int] {
        guard let first = shapes.first else { throw IntegerLoweringError("Concat of no tensors") }
        let cut = axis < 0 ? axis + first.count : axis
        guard (0..<first.count).contains(cut) else {
            throw IntegerLoweringError("Concat axis \(axis) for shape \(first)")
        }
        for shape in shapes
        where shape.count != first.count
            || shape.indices.contains(where: {
                $0 != cut && shape[$0] != first[$0]
            })
        {
            throw IntegerLoweringError("Concat of shapes \(first) and \(shape) along axis \(axis)")
        }
        var result = first
        result[cut] = shapes.map { $0[cut] }.reduce(0, +)
        return result
    }
}
