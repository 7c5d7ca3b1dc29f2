/// Conv (grouped and depthwise included) and pooling.
extension Backward {
    /// Conv: `dB[m] = Σ dY[n, m, ·]` and, per image and group, with the group's input unfolded
    /// (`Im2Col`, the forward pass's column matrix `[C/g·kH·kW, P]`) and `dY_g` `[M/g, P]`:
    /// `dW_g += dY_g · colᵀ`, `dX_g = fold(W_gᵀ · dY_g)` (grouped and depthwise included).
    /// `dX` is skipped when the context says no gradient is wanted for input 0.
    static func convolution(_ context: BackwardContext, _ attributes: ConvAttributes) throws -> [Tensor?] {
        let x = try context.input(0), weight = try context.input(1)
        let bias = context.inputs.count > 2 ? context.inputs[2] : nil
        let problem = try Ops.convolutionProblem(
            x, weight: weight, bias: bias, attributes: attributes, node: context.name)
        let gradient = try context.gradient()
        let cg = problem.inputChannelsPerGroup, mg = problem.outputChannelsPerGroup
        let geometry = problem.window.convolutionGeometry(channels: cg)
        let rows = geometry.columnRows, positions = geometry.columnCount
        let groupImage = cg * geometry.inputHeight * geometry.inputWidth
        let wantsInput = !context.skipsGradient(0)
        var dX = [Float](repeating: 0, count: wantsInput ? x.storage.count : 0)
        var dW = [Float](repeating: 0, count: weight.storage.count)
        var dB = [Float](repeating: 0, count: problem.outputChannels)
        var columns = [Float](repeating: 0, count: rows * positions)
        var foldColumns = [Float](repeating: 0, count: wantsInput ? rows * positions : 0)
        x.storage.withUnsafeBufferPointer { x in
            weight.storage.withUnsafeBufferPointer { w in
                gradient.storage.withUnsafeBufferPointer { dY in
                    for n in 0..<problem.batch {
                        for g in 0..<problem.group {
                            let image = x.baseAddress! + (n * problem.group + g) * groupImage
                            let output = dY.baseAddress! + (n * problem.outputChannels + g * mg) * positions
                            for m in 0..<mg {
                                var sum: Float = 0
                                for p in 0..<positions { sum += output[m * positions + p] }
                                dB[g * mg + m] += sum
                            }
                            columns.withUnsafeMutableBufferPointer { col in
                                Im2Col.unfoldFast(image, geometry: geometry, into: col.baseAddress!)
                                dW.withUnsafeMutableBufferPointer { dW in
                                    GEMM.multiply(
                                        m: mg, n: rows, k: positions, a: output, b: col.baseAddress!, transposeB: true,
                                        beta: 1, c: dW.baseAddress! + g * mg * rows)
                                }
                            }
                            guard wantsInput else { continue }
                            foldColumns.withUnsafeMutableBufferPointer { fold in
                                GEMM.multiply(
                                    m: rows, n: positions, k: mg, a: w.baseAddress! + g * mg * rows, transposeA: true,
                                    b: output, c: fold.baseAddress!)
                                dX.withUnsafeMutableBufferPointer { dX in
                                    Im2Col.fold(
                                        fold.baseAddress!, geometry: geometry,
                                        addingInto: dX.baseAddress! + (n * problem.group + g) * groupImage)
                                }
                            }
                        }
                    }
                }
            }
        }
        var result: [Tensor?] = [
            wantsInput ? Tensor(shape: x.shape, storage: dX) : nil, Tensor(shape: weight.shape, storage: dW),
        ]
        if bias != nil { result.append(Tensor(shape: [problem.outputChannels], storage: dB)) }
        return result
    }

    /// MaxPool (the gradient goes to the first largest tap of each window, as PyTorch's) and
    /// AveragePool (spread over the taps that counted in the divisor's window).
    static func pool(
        _ kind: Ops.PoolKind, _ context: BackwardContext, _ attributes: PoolAttributes
    ) throws
        -> [Tensor?]
    {
        let x = try context.input(0), gradient = try context.gradient()
        guard x.rank == 3 || x.rank == 4 else {
            throw GraphError.unsupported(node: context.name, op: kind.onnxName, detail: "backward of \(x.shape)")
        }
        let window = try SlidingWindow(
            inputExtents: Array(x.shape.dropFirst(2)), kernel: attributes.kernelShape, strides: attributes.strides,
            pads: attributes.pads, dilations: attributes.dilations, autoPad: attributes.autoPad,
            ceilMode: attributes.ceilMode, node: context.name, op: kind.onnxName)
        let (height, width) = window.planeAxes
        let rowsH = Ops.tapRanges(height), rowsW = Ops.tapRanges(width)
        let inputPlane = height.input * width.input
        var dX = [Float](repeating: 0, count: x.storage.count)
        var outputIndex = 0
        for plane in 0..<(x.shape[0] * x.shape[1]) {
            let base = plane * inputPlane
            for oy in 0..<height.output {
                let startY = oy * height.stride - height.padBegin
                for ox in 0..<width.output {
                    let startX = ox * width.stride - width.padBegin
                    let g = gradient.storage[outputIndex]
                    outputIndex += 1
                    let (tapsY, tapsX) = (rowsH[oy], rowsW[ox])
                    func offset(_ i: Int, _ j: Int) -> Int {
                        base + (startY + i * height.dilation) * width.input + startX + j * width.dilation
                    }
                    switch kind {
                    case .max:
                        var best = -Float.infinity, bestOffset = -1
                        for i in tapsY.valid {
                            for j in tapsX.valid where x.storage[offset(i, j)] > best {
                                best = x.storage[offset(i, j)]
                                bestOffset = offset(i, j)
                            }
                        }
                        if bestOffset >= 0 { dX[bestOffset] += g }
                    case .average:
                        let divisor =
                            attributes.countIncludePad
                            ? tapsY.insidePadding * tapsX.insidePadding : tapsY.valid.count * tapsX.valid.count
                        guard divisor > 0 else { continue }
                        let share = g / Float(divisor)
                        for i in tapsY.valid {
                            for j in tapsX.valid { dX[offset(i, j)] += share }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: x.shape, storage: dX)]
    }

    /// GlobalAveragePool (`dY / size` to every element) and GlobalMaxPool (to the first largest).
    static func globalPool(_ kind: Ops.PoolKind, _ context: BackwardContext) throws -> [Tensor?] {
        let x = try context.input(0), gradient = try context.gradient()
        let planes = x.shape[0] * x.shape[1], size = x.storage.count / Swift.max(planes, 1)
        var dX = [Float](repeating: 0, count: x.storage.count)
        for plane in 0..<planes {
            let g = gradient.storage[plane], base = plane * size
            switch kind {
            case .max:
                var best = -Float.infinity, bestOffset = -1
                for offset in base..<(base + size) where x.storage[offset] > best {
                    best = x.storage[offset]
                    bestOffset = offset
                }
                if bestOffset >= 0 { dX[bestOffset] = g }
            case .average:
                for offset in base..<(base + size) { dX[offset] = g / Float(size) }
            }
        }
        return [Tensor(shape: x.shape, storage: dX)]
    }
}
