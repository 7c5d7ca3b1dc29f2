/// Conv (grouped and depthwise included) and pooling.
extension Backward {
    /// Conv: for every output element `g = dY[n, m, oy, ox]`, `dB[m] += g` and over the window
    /// `dX[n, c, y, x] += g·W[m, c, i, j]`, `dW[m, c, i, j] += g·X[n, c, y, x]` (c in m's group).
    static func convolution(_ context: BackwardContext, _ attributes: ConvAttributes) throws -> [Tensor?] {
        let x = try context.input(0), weight = try context.input(1)
        let bias = context.inputs.count > 2 ? context.inputs[2] : nil
        let problem = try Ops.convolutionProblem(
            x, weight: weight, bias: bias, attributes: attributes, node: context.name)
        let gradient = try context.gradient()
        let (height, width) = problem.window.planeAxes
        let cg = problem.inputChannelsPerGroup, mg = problem.outputChannelsPerGroup
        let (kh, kw) = (height.kernel, width.kernel)
        var dX = [Float](repeating: 0, count: x.storage.count)
        var dW = [Float](repeating: 0, count: weight.storage.count)
        var dB = [Float](repeating: 0, count: problem.outputChannels)
        let inputPlane = height.input * width.input
        var outputIndex = 0
        for n in 0..<problem.batch {
            for m in 0..<problem.outputChannels {
                let firstChannel = (m / mg) * cg
                for oy in 0..<height.output {
                    for ox in 0..<width.output {
                        let g = gradient.storage[outputIndex]
                        outputIndex += 1
                        if g == 0 { continue }
                        dB[m] += g
                        for c in 0..<cg {
                            let plane = (n * problem.inputChannels + firstChannel + c) * inputPlane
                            let kernel = (m * cg + c) * kh * kw
                            for i in 0..<kh {
                                let y = oy * height.stride - height.padBegin + i * height.dilation
                                guard y >= 0, y < height.input else { continue }
                                for j in 0..<kw {
                                    let column = ox * width.stride - width.padBegin + j * width.dilation
                                    guard column >= 0, column < width.input else { continue }
                                    let at = plane + y * width.input + column
                                    dX[at] += g * weight.storage[kernel + i * kw + j]
                                    dW[kernel + i * kw + j] += g * x.storage[at]
                                }
                            }
                        }
                    }
                }
            }
        }
        var result: [Tensor?] = [Tensor(shape: x.shape, storage: dX), Tensor(shape: weight.shape, storage: dW)]
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
