import CKernels

/// MaxPool, AveragePool (1-D and 2-D) and the global pools.
extension Ops {
    /// Which reduction a pooling window applies.
    enum PoolKind: Sendable {
        /// Largest value in the window; padding never wins.
        case max
        /// Mean of the window; `countIncludePad` decides whether padding counts in the divisor.
        case average

        /// The ONNX operator name.
        var onnxName: String { self == .max ? "MaxPool" : "AveragePool" }
    }

    /// ONNX MaxPool / AveragePool over `[N, C, L]` or `[N, C, H, W]`.
    ///
    /// Window geometry (pads, auto_pad, strides, dilations, ceil_mode) as in `SlidingWindow`.
    /// AveragePool divides by the number of window taps inside the input, or with
    /// `count_include_pad` by the taps inside the padded input `[−padBegin, in + padEnd)`;
    /// taps past the end padding (ceil_mode) never count, as in PyTorch and onnxruntime.
    /// - Returns: `[N, C, outL]` or `[N, C, outH, outW]`.
    /// - Throws: `GraphError.unsupported` for 3-D pooling, `GraphError.shapeMismatch` for bad shapes.
    static func pool(_ kind: PoolKind, _ x: Tensor, attributes: PoolAttributes, node: String = "") throws -> Tensor {
        let op = kind.onnxName
        if x.rank > 4 {
            throw GraphError.unsupported(node: node, op: op, detail: "\(x.rank - 2)-D pooling (only 1-D and 2-D)")
        }
        guard x.rank >= 3 else { throw mismatch(node, op, "X \(x.shape) must be [N, C, L] or [N, C, H, W]") }
        guard attributes.kernelShape.count == x.rank - 2 else {
            throw mismatch(node, op, "kernel_shape \(attributes.kernelShape) does not fit X \(x.shape)")
        }
        let window = try SlidingWindow(
            inputExtents: Array(x.shape.dropFirst(2)), kernel: attributes.kernelShape, strides: attributes.strides,
            pads: attributes.pads, dilations: attributes.dilations, autoPad: attributes.autoPad,
            ceilMode: attributes.ceilMode, node: node, op: op)
        try checkElementCount([x.shape[0], x.shape[1]] + window.outputExtents, node: node, op: op)
        let (height, width) = window.planeAxes
        let planes = x.shape[0] * x.shape[1]
        let inputPlane = height.input * width.input, outputPlane = height.output * width.output
        let rowsH = tapRanges(height), rowsW = tapRanges(width)
        return x.storage.withUnsafeBufferPointer { bufferX in
            makeTensor(shape: [x.shape[0], x.shape[1]] + window.outputExtents) { output in
                guard let out = output.baseAddress else { return }
                guard let input = bufferX.baseAddress else { return }
                if kind == .max, height.dilation == 1, width.dilation == 1 {
                    // The same taps in the same order, the column loops vectorized (CKernels).
                    ck_max_pool2d(
                        input, planes, height.input, width.input, height.kernel, width.kernel, height.stride,
                        width.stride, height.padBegin, width.padBegin, height.output, width.output, out)
                    return
                }
                let isInterior =
                    rowsH.allSatisfy { $0.valid == 0..<height.kernel && $0.insidePadding == height.kernel }
                    && rowsW.allSatisfy { $0.valid == 0..<width.kernel && $0.insidePadding == width.kernel }
                if isInterior && height.dilation == 1 && width.dilation == 1 {
                    poolInterior(kind, input, planes: planes, height: height, width: width, into: out)
                    return
                }
                for plane in 0..<planes {
                    let source = input + plane * inputPlane
                    var target = out + plane * outputPlane
                    for oy in 0..<height.output {
                        let startY = oy * height.stride - height.padBegin
                        let tapsY = rowsH[oy]
                        for ox in 0..<width.output {
                            let startX = ox * width.stride - width.padBegin
                            let tapsX = rowsW[ox]
                            switch kind {
                            case .max:
                                var best = -Float.infinity
                                for i in tapsY.valid {
                                    let row = source + (startY + i * height.dilation) * width.input + startX
                                    for j in tapsX.valid {
                                        let value = row[j * width.dilation]
                                        if value > best { best = value }
                                    }
                                }
                                target.pointee = best
                            case .average:
                                var sum: Float = 0
                                for i in tapsY.valid {
                                    let row = source + (startY + i * height.dilation) * width.input + startX
                                    for j in tapsX.valid { sum += row[j * width.dilation] }
                                }
                                let divisor =
                                    attributes.countIncludePad
                                    ? tapsY.insidePadding * tapsX.insidePadding : tapsY.valid.count * tapsX.valid.count
                                target.pointee = divisor > 0 ? sum / Float(divisor) : 0
                            }
                            target += 1
                        }
                    }
                }
            }
        }
    }

    /// The fast path when every window lies wholly inside the input (no padding reached,
    /// dilation 1): no per-tap bounds, the kind decided once per call (max pooling with dilation 1
    /// goes to CKernels' `ck_max_pool2d` before this).
    private static func poolInterior(
        _ kind: PoolKind, _ input: UnsafePointer<Float>, planes: Int, height: SlidingWindow.Axis,
        width: SlidingWindow.Axis, into out: UnsafeMutablePointer<Float>
    ) {
        let inputPlane = height.input * width.input
        let divisor = Float(height.kernel * width.kernel)
        var target = out
        for plane in 0..<planes {
            let source = input + plane * inputPlane
            for oy in 0..<height.output {
                let top = source + (oy * height.stride - height.padBegin) * width.input - width.padBegin
                for ox in 0..<width.output {
                    let corner = top + ox * width.stride
                    switch kind {
                    case .max:
                        var best = -Float.infinity
                        for i in 0..<height.kernel {
                            let row = corner + i * width.input
                            for j in 0..<width.kernel where row[j] > best { best = row[j] }
                        }
                        target.pointee = best
                    case .average:
                        var sum: Float = 0
                        for i in 0..<height.kernel {
                            let row = corner + i * width.input
                            for j in 0..<width.kernel { sum += row[j] }
                        }
                        target.pointee = sum / divisor
                    }
                    target += 1
                }
            }
        }
    }

    /// For each window position along `axis`: the taps inside the input, and how many lie inside the padded input.
    static func tapRanges(_ axis: SlidingWindow.Axis) -> [(valid: Range<Int>, insidePadding: Int)] {
        (0..<axis.output).map { position in
            let start = position * axis.stride - axis.padBegin
            func firstTap(atOrAfter limit: Int) -> Int {  // smallest i with start + i·d ≥ limit
                limit <= start ? 0 : (limit - start + axis.dilation - 1) / axis.dilation
            }
            let low = min(axis.kernel, firstTap(atOrAfter: 0))
            let high = max(low, min(axis.kernel, firstTap(atOrAfter: axis.input)))
            let paddedHigh = min(axis.kernel, firstTap(atOrAfter: axis.input + axis.padEnd))
            let paddedLow = min(axis.kernel, firstTap(atOrAfter: -axis.padBegin))
            return (low..<high, max(0, paddedHigh - paddedLow))
        }
    }

    /// GlobalAveragePool / GlobalMaxPool: `[N, C, spatial...]` → `[N, C, 1, ...]`.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `x` has rank below 3.
    static func globalPool(_ kind: PoolKind, _ x: Tensor, node: String = "") throws -> Tensor {
        let op = kind == .max ? "GlobalMaxPool" : "GlobalAveragePool"
        guard x.rank >= 3 else { throw mismatch(node, op, "X \(x.shape) must have rank ≥ 3 ([N, C, ...])") }
        let planes = x.shape[0] * x.shape[1]
        let size = product(x.shape, 2..<x.rank)
        let outputShape = [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2)
        return x.storage.withUnsafeBufferPointer { bufferX in
            makeTensor(shape: outputShape) { output in
                for plane in 0..<planes {
                    let values = bufferX[(plane * size)..<((plane + 1) * size)]
                    switch kind {
                    case .max:
                        var best = -Float.infinity
                        for value in values where value > best { best = value }
                        output[plane] = best
                    case .average:
                        var sum: Float = 0
                        for value in values { sum += value }
                        output[plane] = size > 0 ? sum / Float(size) : 0
                    }
                }
            }
        }
    }
}
