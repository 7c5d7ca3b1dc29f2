import CKernels

/// The integer model's kernels: quantization of the input, im2col + integer GEMM + requantization
/// for Conv / Gemm / MatMul, pooling, Add, clamps and reshapes, all on `Int16` codes. `dense` and
/// `convolve` are the plain reference; `linear` (IntegerKernels+Fast.swift) runs the C kernels.
public enum IntegerKernels {
    /// The codes of a float tensor (`ActivationQuantizer.quantize`, round half to even, saturated),
    /// vectorized by `ck_quantize_codes16` (same float operations).
    public static func quantize(_ tensor: Tensor, with quantization: ActivationQuantization) -> IntegerTensor {
        quantize(tensor, rows: 0..<(tensor.shape.first ?? 1), with: quantization)
    }

    /// The codes of rows `rows` of `tensor`'s first axis (images of a batch), without copying
    /// them out first: `quantize(tensor.slice(rows: rows), with:)`.
    public static func quantize(
        _ tensor: Tensor, rows: Range<Int>, with quantization: ActivationQuantization
    ) -> IntegerTensor {
        let range = quantization.codeRange
        let whole = tensor.shape.first ?? 1
        let perRow = whole > 0 ? tensor.storage.count / whole : 0
        let shape = tensor.shape.isEmpty ? [] : [rows.count] + tensor.shape.dropFirst()
        let count = rows.count * perRow
        let codes = [Int16](unsafeUninitializedCapacity: count) { codes, initialized in
            tensor.storage.withUnsafeBufferPointer { values in
                if let base = values.baseAddress, count > 0 {
                    ck_quantize_codes16(
                        base + rows.lowerBound * perRow, count, quantization.scale, quantization.zeroPoint,
                        range.lowerBound, range.upperBound, codes.baseAddress)
                }
            }
            initialized = count
        }
        return IntegerTensor(shape: shape, codes: codes, quantization: quantization)
    }

    /// `clamp(roundHalfEven(Float(acc + bias) · multiplier) + zeroPoint)`: MLAS's requantization
    /// (`MlasRequantizeOutput`: float scale, clamp, round to nearest even).
    @inline(__always)
    public static func requantize(
        _ accumulator: Int32, bias: Int32, multiplier: Float, zeroPoint: Int32, clamp: ClosedRange<Int32>
    ) -> Int16 {
        let sum = accumulator &+ bias
        let scaled = (Float(sum) * multiplier).rounded(.toNearestOrEven)
        let lowest = Float(clamp.lowerBound - zeroPoint), highest = Float(clamp.upperBound - zeroPoint)
        let bounded = scaled < lowest ? lowest : (scaled > highest ? highest : scaled)
        return Int16(Int32(bounded) + zeroPoint)
    }

    /// TFLite's requantization: `clamp(MultiplyByQuantizedMultiplier(acc + bias, m, shift) + zeroPoint)`
    /// (the sums and the zero point added in wrapping int32, as TFLite's kernels add them).
    @inline(__always)
    public static func requantize(
        _ accumulator: Int32, bias: Int32, fixedPoint: FixedPointMultiplier, zeroPoint: Int32,
        clamp: ClosedRange<Int32>
    ) -> Int16 {
        let shifted = fixedPoint.apply(to: accumulator &+ bias) &+ zeroPoint
        return Int16(min(max(shifted, clamp.lowerBound), clamp.upperBound))
    }

    /// The output code of `layer`'s `channel` for the int32 sum `accumulator`, in the layer's
    /// requantization.
    @inline(__always)
    static func requantize(_ accumulator: Int32, layer: IntegerLinear, channel: Int) -> Int16 {
        switch layer.requantization {
        case .float:
            requantize(
                accumulator, bias: layer.bias[channel], multiplier: layer.multipliers[channel],
                zeroPoint: layer.outputQuantization.zeroPoint, clamp: layer.clamp)
        case .fixedPoint:
            requantize(
                accumulator, bias: layer.bias[channel], fixedPoint: layer.fixedPointMultipliers[channel],
                zeroPoint: layer.outputQuantization.zeroPoint, clamp: layer.clamp)
        }
    }

    /// `C[m×n] = A[m×k] · B[n×k]ᵀ` in int32 with the CPU's widest `ck_qgemm` variant.
    public static func gemm(_ a: [Int16], _ b: [Int8], m: Int, n: Int, k: Int) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        guard m > 0, n > 0 else { return c }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    ck_qgemm_s16s8(m, n, k, a.baseAddress, b.baseAddress, c.baseAddress)
                }
            }
        }
        return c
    }

    /// Runs one step on the tensors computed so far; returns the value it writes and its tensor.
    static func run(
        _ step: IntegerStep, values: [String: IntegerTensor], variant: IntegerKernelVariant = .reference,
        threads: Int = 1, requantization: Requantization = .float
    ) throws -> (String, IntegerTensor) {
        func read(_ name: String) throws -> IntegerTensor {
            guard let tensor = values[name] else { throw IntegerLoweringError("no integer value '\(name)'") }
            return tensor
        }
        switch step {
        case .linear(let layer):
            let x = try read(layer.input)
            if variant == .reference {
                return (layer.output, try layer.convolution == nil ? dense(layer, x) : convolve(layer, x))
            }
            return (layer.output, try linear(layer, x, variant: variant, threads: threads))
        case .maxPool(let input, let output, let attributes):
            let x = try read(input)
            return (
                output,
                try variant == .reference
                    ? pool(x, attributes, average: false) : fastPool(x, attributes, average: false)
            )
        case .averagePool(let input, let output, let attributes):
            let x = try read(input)
            return (
                output,
                try variant == .reference ? pool(x, attributes, average: true) : fastPool(x, attributes, average: true)
            )
        case .add(let first, let second, let output):
            return (output, try add(try read(first), try read(second)))
        case .requantizedAdd(let step):
            return (step.output, try add(step, try read(step.first), try read(step.second), variant: variant))
        case .clamp(let input, let output, let range):
            var x = try read(input)
            let lowest = Int16(range.lowerBound), highest = Int16(range.upperBound)
            x.codes = x.codes.map { min(max($0, lowest), highest) }
            return (output, x)
        case .reshape(let input, let output, let flattenAxis, let shape):
            var x = try read(input)
            x.shape = try reshaped(x.shape, flattenAxis: flattenAxis, target: shape)
            return (output, x)
        case .globalAveragePool(let input, let output):
            return (output, try globalAveragePool(try read(input), variant: variant))
        case .requantize(let input, let output, let quantization):
            return (output, requantize(try read(input), to: quantization, requantization: requantization))
        case .concat(let inputs, let output, let axis):
            return (output, try concat(try inputs.map(read), axis: axis))
        }
    }

    /// Gemm / MatMul: `[batch, k] → [batch, out]`.
    static func dense(_ layer: IntegerLinear, _ x: IntegerTensor) throws -> IntegerTensor {
        let k = layer.depth
        guard let batch = x.shape.first, x.codes.count == batch * k else {
            throw IntegerLoweringError("\(layer.layerName): input shape \(x.shape) does not have \(k) features")
        }
        let zeroPoint = Int16(x.quantization.zeroPoint)
        let shifted = x.codes.map { $0 &- zeroPoint }
        let sums = gemm(shifted, layer.weights, m: batch, n: layer.outputChannels, k: k)
        var codes = [Int16](repeating: 0, count: sums.count)
        let out = layer.outputQuantization
        for row in 0..<batch {
            for channel in 0..<layer.outputChannels {
                let index = row * layer.outputChannels + channel
                codes[index] = requantize(sums[index], layer: layer, channel: channel)
            }
        }
        return IntegerTensor(shape: [batch, layer.outputChannels], codes: codes, quantization: out)
    }

    /// The output size of a window over `size` padded by `padding` in all: floor mode, or ceil
    /// mode (pooling) where, as ONNX and PyTorch, a last window starting beyond the input and the
    /// `padBegin` before it is dropped.
    static func outputSize(
        _ size: Int, kernel: Int, stride: Int, dilation: Int, padding: Int, ceilMode: Bool = false, padBegin: Int = 0
    ) -> Int {
        let span = size + padding - ((kernel - 1) * dilation + 1)
        guard ceilMode, span >= 0 else { return span / stride + 1 }
        let output = (span + stride - 1) / stride + 1
        return (output - 1) * stride >= size + padBegin ? output - 1 : output
    }
}
