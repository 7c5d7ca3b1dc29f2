/// Conv (1-D and 2-D, groups, depthwise, dilations, auto_pad, optional bias) via im2col + GEMM,
/// depthwise ones (one input channel per group) by a direct kernel, wide 3×3 stride-1 ones by
/// Winograd's algorithm (`WinogradConvolution`), small output planes with the images of a batch
/// gathered into one GEMM (`Ops+ConvolutionGathered.swift`).
extension Ops {
    /// The checked shapes of one convolution, shared by the fast path and the reference.
    struct ConvolutionProblem: Sendable, Equatable {
        /// Images in the batch (`N`).
        var batch: Int
        /// Input channels (`C`).
        var inputChannels: Int
        /// Output channels (`M`).
        var outputChannels: Int
        /// Number of groups; each sees `C / group` inputs and makes `M / group` outputs.
        var group: Int
        /// The spatial window (1 or 2 axes).
        var window: SlidingWindow

        /// Input channels per group.
        var inputChannelsPerGroup: Int { inputChannels / group }
        /// Output channels per group.
        var outputChannelsPerGroup: Int { outputChannels / group }
        /// `[N, M, out...]`.
        var outputShape: [Int] { [batch, outputChannels] + window.outputExtents }
    }

    /// Checks the operands of a Conv and resolves its window.
    ///
    /// - Parameters:
    ///   - x: `[N, C, L]` or `[N, C, H, W]`.
    ///   - weight: `[M, C/group, k...]`, same rank as `x`.
    ///   - bias: optional `[M]`.
    /// - Throws: `GraphError.unsupported` for 3-D and higher convolutions,
    ///   `GraphError.shapeMismatch` for operands that do not fit, `GraphError.invalidAttribute`
    ///   for bad attributes.
    static func convolutionProblem(
        _ x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvAttributes, node: String
    ) throws -> ConvolutionProblem {
        try convolutionProblem(xShape: x.shape, weight: weight, bias: bias, attributes: attributes, node: node)
    }

    /// `convolutionProblem` for an input known by its shape (`[N, C, L]` or `[N, C, H, W]`).
    static func convolutionProblem(
        xShape: [Int], weight: Tensor, bias: Tensor?, attributes: ConvAttributes, node: String
    ) throws -> ConvolutionProblem {
        let op = "Conv"
        if xShape.count > 4 {
            throw GraphError.unsupported(
                node: node, op: op, detail: "\(xShape.count - 2)-D convolution (only 1-D and 2-D)")
        }
        guard xShape.count >= 3 else { throw mismatch(node, op, "X \(xShape) must be [N, C, L] or [N, C, H, W]") }
        guard weight.rank == xShape.count else {
            throw mismatch(node, op, "W \(weight.shape) must have the rank of X \(xShape)")
        }
        let group = attributes.group
        guard group >= 1 else {
            throw GraphError.invalidAttribute(node: node, op: op, detail: "group \(group) must be ≥ 1")
        }
        let channels = xShape[1], outputChannels = weight.shape[0]
        guard weight.shape[1] * group == channels else {
            throw mismatch(
                node, op,
                "X has \(channels) channels but W \(weight.shape) with group \(group) expects \(weight.shape[1] * group)"
            )
        }
        guard outputChannels % group == 0 else {
            throw mismatch(node, op, "W's \(outputChannels) output channels are not divisible by group \(group)")
        }
        let kernel = Array(weight.shape.dropFirst(2))
        if !attributes.kernelShape.isEmpty, attributes.kernelShape != kernel {
            throw mismatch(node, op, "kernel_shape \(attributes.kernelShape) differs from W \(weight.shape)")
        }
        if let bias, bias.shape != [outputChannels] {
            throw mismatch(node, op, "B \(bias.shape) must be [\(outputChannels)]")
        }
        let window = try SlidingWindow(
            inputExtents: Array(xShape.dropFirst(2)), kernel: kernel, strides: attributes.strides,
            pads: attributes.pads, dilations: attributes.dilations, autoPad: attributes.autoPad, node: node, op: op)
        try checkElementCount([xShape[0], outputChannels] + window.outputExtents, node: node, op: op)
        return ConvolutionProblem(
            batch: xShape[0], inputChannels: channels, outputChannels: outputChannels, group: group, window: window)
    }

    /// Whether a convolution's GEMM reads its column matrix (a pointwise convolution's image, or
    /// im2col's columns) in place instead of packing it (`GEMM.multiply(readingBInPlace:)`): for
    /// few output channels (per group) over a shallow depth only. Measured with a C harness on
    /// AVX-512 the way a pass runs (batches of 16 images, each output fresh, one thread): with
    /// 16–32 channels over a depth of 32 (MobileNetV2's 112×112 layers) in place took 0.84–0.95×
    /// the packed time; at depth 64 and beyond the packed product won (64 × 3136 × 256, ResNet-50's
    /// narrowing 1×1 layers: 1.2 ms packed, 1.7–1.8 in place; 24 × 3136 × 144: 0.33 against 0.44–0.62).
    static func readsColumnsInPlace(outputChannels: Int, depth: Int) -> Bool {
        outputChannels <= 64 && depth <= 32
    }

    /// ONNX Conv: `Y[n, m] = B[m] + Σ W[m, c, ·] ⋆ X[n, g·C/group + c]` over the group of `m`,
    /// then `+ residual` when one is fused in (the other operand of a residual Add that reads
    /// this convolution's output), then `activation` when one is fused in (a ReLU or Clip the
    /// executor found right after the convolution, or after the Add).
    ///
    /// Per image and group: im2col unfolds the group's input into `[C/g·kH·kW, outH·outW]`,
    /// one GEMM with the group's weights `[M/g, C/g·kH·kW]` writes `[M/g, outH·outW]` starting
    /// from the bias (and clamps each tile as it is finished). A 1×1 kernel with stride 1 and no
    /// padding skips im2col. The result is bit for bit filling the output with the bias,
    /// accumulating, then clamping in a pass of its own.
    /// - Parameters:
    ///   - x: `[N, C, L]` or `[N, C, H, W]`.
    ///   - weight: `[M, C/group, kL]` or `[M, C/group, kH, kW]`.
    ///   - bias: optional `[M]`.
    ///   - activation: bounds applied to the output as it is written (`nil`: none).
    ///   - residual: the output's shape; added to each output element before `activation`, as the
    ///     output is written (`(bias + Σ) + residual`, the Add's own operation on the same values).
    ///   - winogradWeights: the weights transformed for `WinogradConvolution` when it applies (a
    ///     cache's copy for constant weights); transformed here when `nil`.
    /// - Returns: `[N, M, outL]` or `[N, M, outH, outW]`.
    static func convolution(
        _ x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvAttributes, activation: OutputClamp? = nil,
        residual: Tensor? = nil, winogradWeights: (() -> [Float]?)? = nil, node: String = ""
    ) throws -> Tensor {
        let problem = try convolutionProblem(x, weight: weight, bias: bias, attributes: attributes, node: node)
        if let residual {
            guard residual.shape == problem.outputShape else {
                throw GraphError.shapeMismatch(
                    node: node, op: "Conv",
                    detail: "residual \(residual.shape) does not match the output \(problem.outputShape)")
            }
            return try residual.storage.withUnsafeBufferPointer { addend in
                try convolution(
                    x, weight: weight, bias: bias, problem: problem, activation: activation,
                    winogradWeights: winogradWeights, addend: addend.baseAddress)
            }
        }
        return try convolution(
            x, weight: weight, bias: bias, problem: problem, activation: activation, winogradWeights: winogradWeights,
            addend: nil)
    }

    /// `convolution` for a checked problem, the residual (if any) as a pointer to its `[N, M, P]` values.
    private static func convolution(
        _ x: Tensor, weight: Tensor, bias: Tensor?, problem: ConvolutionProblem, activation: OutputClamp?,
        winogradWeights: (() -> [Float]?)?, addend addendBase: UnsafePointer<Float>?
    ) throws -> Tensor {
        let cg = problem.inputChannelsPerGroup, mg = problem.outputChannelsPerGroup
        let geometry = problem.window.convolutionGeometry(channels: cg)
        let k = geometry.columnRows  // C/g · kH · kW
        let positions = geometry.columnCount  // outH · outW
        // im2col's floor-based extents equal the resolved ones for every auto_pad mode (no ceil_mode in Conv).
        precondition(
            [geometry.outputHeight, geometry.outputWidth].suffix(problem.window.axes.count)
                == ArraySlice(problem.window.outputExtents),
            "im2col geometry disagrees with the resolved window")
        let imageSize = problem.inputChannels * geometry.inputHeight * geometry.inputWidth
        let isPointwise =
            geometry.kernelHeight == 1 && geometry.kernelWidth == 1 && geometry.strideHeight == 1
            && geometry.strideWidth == 1 && geometry.padTop == 0 && geometry.padLeft == 0
            && geometry.padBottom == 0 && geometry.padRight == 0
        // The unfolding fused into the GEMM where it applies; else a column matrix, made on first use.
        let masks = isPointwise ? nil : Im2Col.fusedMasks(geometry: geometry)
        var columns: [Float] = []  // [K, P]
        // Each output row starts from its bias (zeros without one), written by the GEMM tile by tile.
        let rowStart = bias?.storage ?? [Float](repeating: 0, count: problem.outputChannels)
        let inPlace = readsColumnsInPlace(outputChannels: mg, depth: k)
        if WinogradConvolution.applies(geometry: geometry, outputChannels: mg, group: problem.group),
            let output = winograd(
                x, weight: weight, problem: problem, geometry: geometry, rowStart: rowStart, activation: activation,
                winogradWeights: winogradWeights, addend: addendBase)
        {
            return output
        }
        if problem.group == 1, k > 0, gathersImages(positions: positions, batch: problem.batch) {
            return x.storage.withUnsafeBufferPointer { bufferX in
                weight.storage.withUnsafeBufferPointer { bufferW in
                    makeTensor(shape: problem.outputShape) { output in
                        guard let out = output.baseAddress, let image = bufferX.baseAddress,
                            let weights = bufferW.baseAddress
                        else { return }
                        convolveGatheringImages(
                            image: image, weights: weights, bias: rowStart, activation: activation,
                            addend: addendBase, problem: problem, geometry: geometry, isPointwise: isPointwise,
                            out: out)
                    }
                }
            }
        }
        return x.storage.withUnsafeBufferPointer { bufferX in
            weight.storage.withUnsafeBufferPointer { bufferW in
                rowStart.withUnsafeBufferPointer { bufferStart in
                    makeTensor(shape: problem.outputShape) { output in
                        guard let out = output.baseAddress, let starts = bufferStart.baseAddress else { return }
                        for n in 0..<problem.batch {
                            let imageOutputs = problem.outputChannels * positions
                            if problem.group > 1, cg == 1, DepthwiseConvolution.isEnabled,
                                let image = bufferX.baseAddress, let weights = bufferW.baseAddress
                            {
                                // Depthwise: one direct pass over the image instead of a GEMM per channel
                                // (a residual, rare after one, added in a pass of its own before the clamp).
                                let whole = problem.window.convolutionGeometry(channels: problem.inputChannels)
                                if DepthwiseConvolution.add(
                                    image: image + n * imageSize, geometry: whole, multiplier: mg, weights: weights,
                                    planeStart: starts, clamp: addendBase == nil ? activation : nil,
                                    into: out + n * imageOutputs)
                                {
                                    if let addendBase {
                                        finish(
                                            out + n * imageOutputs, addend: addendBase + n * imageOutputs,
                                            count: imageOutputs, activation: activation)
                                    }
                                    continue
                                }
                            }
                            for g in 0..<problem.group {
                                let groupOffset = (n * problem.outputChannels + g * mg) * positions
                                let outGroup = out + groupOffset  // [M/g, P]
                                let addend = addendBase.map { $0 + groupOffset }
                                let groupStart = starts + g * mg
                                guard let image = bufferX.baseAddress, let weights = bufferW.baseAddress, k > 0 else {
                                    for m in 0..<mg {
                                        (outGroup + m * positions).update(repeating: groupStart[m], count: positions)
                                    }
                                    if let addend {
                                        finish(outGroup, addend: addend, count: mg * positions, activation: activation)
                                    } else {
                                        activation?.apply(to: outGroup, count: mg * positions)
                                    }
                                    continue
                                }
                                let groupImage =
                                    image + n * imageSize + g * cg * geometry.inputHeight * geometry.inputWidth
                                let groupWeights = weights + g * mg * k
                                if isPointwise {
                                    // [C/g, H·W] is already the column matrix, read in place by few output
                                    // channels over a shallow depth (packing it would cost more than it saves).
                                    GEMM.multiply(
                                        m: mg, n: positions, k: k, a: groupWeights, b: groupImage, rowStart: groupStart,
                                        clamp: activation, readingBInPlace: inPlace, addend: addend, c: outGroup)
                                    continue
                                }
                                if let masks,
                                    Im2Col.multiplyUnfolded(
                                        m: mg, weights: groupWeights, image: groupImage, geometry: geometry,
                                        masks: masks, rowStart: groupStart, clamp: activation, addend: addend,
                                        c: outGroup)
                                {
                                    continue
                                }
                                if columns.isEmpty {  // im2col writes every element: no fill first
                                    columns = [Float](unsafeUninitializedCapacity: k * positions) { _, count in
                                        count = k * positions
                                    }
                                }
                                columns.withUnsafeMutableBufferPointer { scratch in
                                    guard let scratch = scratch.baseAddress else { return }
                                    Im2Col.unfoldFast(groupImage, geometry: geometry, into: scratch)
                                    GEMM.multiply(
                                        m: mg, n: positions, k: k, a: groupWeights, b: scratch, rowStart: groupStart,
                                        clamp: activation, readingBInPlace: inPlace, addend: addend, c: outGroup)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The whole batch by `WinogradConvolution`; `nil` where its kernel declines.
    private static func winograd(
        _ x: Tensor, weight: Tensor, problem: ConvolutionProblem, geometry: ConvolutionGeometry, rowStart: [Float],
        activation: OutputClamp?, winogradWeights: (() -> [Float]?)?, addend: UnsafePointer<Float>?
    ) -> Tensor? {
        let transformed =
            winogradWeights?()
            ?? weight.storage.withUnsafeBufferPointer { buffer in
                WinogradConvolution.transformedWeights(
                    buffer.baseAddress!, outputChannels: problem.outputChannels, channels: problem.inputChannels)
            }
        guard transformed.count == 16 * problem.outputChannels * problem.inputChannels else { return nil }
        var done = false
        let output = x.storage.withUnsafeBufferPointer { images in
            rowStart.withUnsafeBufferPointer { starts in
                makeTensor(shape: problem.outputShape) { output in
                    guard let images = images.baseAddress, let starts = starts.baseAddress, let out = output.baseAddress
                    else { return }
                    done = WinogradConvolution.convolve(
                        images: images, batch: problem.batch, geometry: geometry,
                        outputChannels: problem.outputChannels, transformed: transformed, rowStart: starts,
                        clamp: activation, addend: addend, output: out)
                }
            }
        }
        return done ? output : nil
    }

    /// `values[i] = values[i] + addend[i]`, then the clamp: a residual Add and its activation
    /// where the kernel that wrote `values` could not take them.
    private static func finish(
        _ values: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>, count: Int, activation: OutputClamp?
    ) {
        for index in 0..<count { values[index] = values[index] + addend[index] }
        activation?.apply(to: values, count: count)
    }
}
