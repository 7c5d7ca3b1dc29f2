/// ConvTranspose (1-D and 2-D, groups, strides, pads, output_padding, output_shape, dilations,
/// auto_pad, optional bias) as one GEMM per image and group followed by col2im.
extension Ops {
    /// One spatial axis of a transposed convolution.
    struct TransposedAxis: Sendable, Equatable {
        /// Input extent.
        var input: Int
        /// Kernel extent (undilated).
        var kernel: Int
        /// Step between the positions an input element scatters to.
        var stride: Int
        /// Spacing between kernel taps.
        var dilation: Int
        /// Output positions cropped at the beginning.
        var padBegin: Int
        /// Output extent.
        var output: Int
    }

    /// The resolved axes of a ConvTranspose for input spatial extents `extents` and kernel `kernel`,
    /// following ONNX's reference implementation.
    ///
    /// - Throws: `GraphError.invalidAttribute` for bad attribute lists, `.shapeMismatch` for an
    ///   empty or oversized output.
    static func transposedAxes(
        extents: [Int], kernel: [Int], attributes: ConvTransposeAttributes, node: String
    ) throws -> [TransposedAxis] {
        let op = "ConvTranspose", rank = extents.count
        func invalid(_ detail: String) -> GraphError { .invalidAttribute(node: node, op: op, detail: detail) }
        try SlidingWindow.checkAttributes(
            rank: rank, kernel: kernel, strides: attributes.strides, pads: attributes.pads,
            dilations: attributes.dilations, node: node, op: op)
        let outputPadding = attributes.outputPadding
        guard outputPadding.isEmpty || outputPadding.count == rank else {
            throw invalid("output_padding \(outputPadding) needs \(rank) entries")
        }
        guard outputPadding.allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else {
            throw invalid("output_padding \(outputPadding) must be non-negative")
        }
        // Some exporters give output_shape with the batch and channel axes too.
        let requested = Array(attributes.outputShape.suffix(rank))
        guard requested.isEmpty || (requested.count == rank && requested.allSatisfy { $0 >= 1 && $0 <= 1 << 24 })
        else { throw invalid("output_shape \(attributes.outputShape) needs \(rank) positive entries") }
        let automatic = attributes.pads.isEmpty && [.sameUpper, .sameLower].contains(attributes.autoPad)
        var axes: [TransposedAxis] = []
        for axis in 0..<rank {
            let input = extents[axis], k = kernel[axis]
            let stride = attributes.strides.isEmpty ? 1 : attributes.strides[axis]
            let dilation = attributes.dilations.isEmpty ? 1 : attributes.dilations[axis]
            let extra = outputPadding.isEmpty ? 0 : outputPadding[axis]
            let full = stride * (input - 1) + extra + (k - 1) * dilation + 1
            var padBegin: Int, output: Int
            if automatic {
                output = requested.isEmpty ? input * stride : requested[axis]
                let total = full - output
                let half = Int((Double(total) / 2).rounded(.down))
                padBegin = attributes.autoPad == .sameUpper ? half : total - half
            } else {
                padBegin = attributes.pads.isEmpty ? 0 : attributes.pads[axis]
                let padEnd = attributes.pads.isEmpty ? 0 : attributes.pads[axis + rank]
                output = requested.isEmpty ? full - padBegin - padEnd : requested[axis]
            }
            guard output >= 1 else {
                throw mismatch(node, op, "output extent \(output) on spatial axis \(axis) is not positive")
            }
            axes.append(
                TransposedAxis(
                    input: input, kernel: k, stride: stride, dilation: dilation, padBegin: padBegin, output: output))
        }
        return axes
    }

    /// ONNX ConvTranspose: every input element `X[n, c, i]` adds `X · W[c, m, k]` to
    /// `Y[n, g·M/group + m, i·stride − pad_begin + k·dilation]`, then `B[m]` is added.
    ///
    /// Per image and group one GEMM makes the columns `Wᵍᵀ · Xᵍ` (`[M/g·kH·kW, H·W]`), which
    /// col2im scatters into the output. A 1-D convolution runs as 2-D with height 1.
    /// - Parameters:
    ///   - x: `[N, C, L]` or `[N, C, H, W]`.
    ///   - weight: `[C, M/group, k…]`, same rank as `x`.
    ///   - bias: optional `[M]`.
    /// - Returns: `[N, M, outL]` or `[N, M, outH, outW]`.
    static func convTranspose(
        _ x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvTransposeAttributes, node: String = ""
    ) throws -> Tensor {
        let op = "ConvTranspose"
        if x.rank > 4 {
            throw GraphError.unsupported(
                node: node, op: op, detail: "\(x.rank - 2)-D transposed convolution (only 1-D and 2-D)")
        }
        guard x.rank >= 3 else { throw mismatch(node, op, "X \(x.shape) must be [N, C, L] or [N, C, H, W]") }
        guard weight.rank == x.rank else {
            throw mismatch(node, op, "W \(weight.shape) must have the rank of X \(x.shape)")
        }
        let group = attributes.group
        guard group >= 1 else {
            throw GraphError.invalidAttribute(node: node, op: op, detail: "group \(group) must be ≥ 1")
        }
        let channels = x.shape[1]
        guard weight.shape[0] == channels, channels % group == 0 else {
            throw mismatch(
                node, op,
                "W \(weight.shape) must be [\(channels), M/group, k…] with \(channels) divisible by group \(group)")
        }
        let kernel = Array(weight.shape.dropFirst(2))
        if !attributes.kernelShape.isEmpty, attributes.kernelShape != kernel {
            throw mismatch(node, op, "kernel_shape \(attributes.kernelShape) differs from W \(weight.shape)")
        }
        let mg = weight.shape[1], cg = channels / group, outputChannels = mg * group
        if let bias, bias.shape != [outputChannels] {
            throw mismatch(node, op, "B \(bias.shape) must be [\(outputChannels)]")
        }
        var axes = try transposedAxes(
            extents: Array(x.shape.dropFirst(2)), kernel: kernel, attributes: attributes, node: node)
        if axes.count == 1 {
            axes.insert(TransposedAxis(input: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, output: 1), at: 0)
        }
        let (height, width) = (axes[0], axes[1])
        let outputShape = [x.shape[0], outputChannels] + axes.suffix(x.rank - 2).map(\.output)
        try checkElementCount(outputShape, node: node, op: op)
        let positions = height.input * width.input, taps = height.kernel * width.kernel
        let outputPlane = height.output * width.output
        let rows = mg * taps
        var columns = [Float](repeating: 0, count: rows * positions)
        let biasValues = bias?.storage ?? []
        return x.storage.withUnsafeBufferPointer { bufferX in
            weight.storage.withUnsafeBufferPointer { bufferW in
                makeTensor(shape: outputShape) { output in
                    guard let out = output.baseAddress else { return }
                    for channel in 0..<(x.shape[0] * outputChannels) {
                        let value = biasValues.isEmpty ? 0 : biasValues[channel % outputChannels]
                        (out + channel * outputPlane).update(repeating: value, count: outputPlane)
                    }
                    guard let image = bufferX.baseAddress, let weights = bufferW.baseAddress, rows > 0, positions > 0
                    else { return }
                    columns.withUnsafeMutableBufferPointer { scratch in
                        guard let scratch = scratch.baseAddress else { return }
                        for n in 0..<x.shape[0] {
                            for g in 0..<group {
                                // columns [M/g·taps, H·W] = Wᵍ [C/g, M/g·taps]ᵀ · Xᵍ [C/g, H·W]
                                GEMM.multiply(
                                    m: rows, n: positions, k: cg, a: weights + g * cg * rows, transposeA: true,
                                    b: image + (n * channels + g * cg) * positions, c: scratch)
                                let target = out + (n * outputChannels + g * mg) * outputPlane
                                for row in 0..<rows {
                                    let m = row / taps, tap = row % taps
                                    let ky = tap / width.kernel, kx = tap % width.kernel
                                    let plane = target + m * outputPlane
                                    let source = scratch + row * positions
                                    for iy in 0..<height.input {
                                        let oy = iy * height.stride - height.padBegin + ky * height.dilation
                                        guard oy >= 0, oy < height.output else { continue }
                                        let line = plane + oy * width.output
                                        for ix in 0..<width.input {
                                            let ox = ix * width.stride - width.padBegin + kx * width.dilation
                                            guard ox >= 0, ox < width.output else { continue }
                                            line[ox] += source[iy * width.input + ix]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
