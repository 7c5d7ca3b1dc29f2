import Foundation

/// BatchNormalization (inference form), LayerNormalization, Softmax and LogSoftmax.
extension Backward {
    /// The axis `axis` names in a tensor of `rank` (negative counts from the end).
    static func resolvedAxis(_ axis: Int, rank: Int, context: BackwardContext) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < Swift.max(rank, 1) else {
            throw GraphError.shapeMismatch(
                node: context.name, op: context.node.op.onnxName, detail: "axis \(axis) outside rank \(rank)")
        }
        return resolved
    }

    /// BatchNormalization with its running statistics (what inference and ONNX compute):
    /// `y = scale·(x − mean)/√(var + ε) + B`, so `dX = dY·scale/√(var + ε)`,
    /// `dScale = Σ dY·(x − mean)/√(var + ε)`, `dB = Σ dY` per channel. The statistics are
    /// constants (PyTorch's running buffers get no gradient either).
    static func batchNormalization(_ context: BackwardContext, epsilon: Float) throws -> [Tensor?] {
        let x = try context.input(0), scale = try context.input(1), mean = try context.input(3)
        let variance = try context.input(4)
        var gradient = try context.gradient()
        let channels = x.shape[1], size = x.rank > 2 ? Tensor.elementCount(of: Array(x.shape[2...])) : 1
        var dScale = [Float](repeating: 0, count: channels), dBias = [Float](repeating: 0, count: channels)
        for n in 0..<x.shape[0] {
            for c in 0..<channels {
                let inverse = 1 / (variance.storage[c] + epsilon).squareRoot()
                let base = (n * channels + c) * size
                for index in base..<(base + size) {
                    let g = gradient.storage[index]
                    dBias[c] += g
                    dScale[c] += g * (x.storage[index] - mean.storage[c]) * inverse
                    gradient.storage[index] = g * scale.storage[c] * inverse
                }
            }
        }
        return [
            gradient, Tensor(shape: scale.shape, storage: dScale), Tensor(shape: [channels], storage: dBias), nil, nil,
        ]
    }

    /// LayerNormalization over the axes from `axis` on: with `x̂ = (x − μ)·σ⁻¹` per row,
    /// `dScale = Σ dY·x̂`, `dB = Σ dY`, `dX = σ⁻¹·(d − mean(d) − x̂·mean(d·x̂))` where `d = dY·scale`.
    static func layerNormalization(_ context: BackwardContext, axis: Int, epsilon: Float) throws -> [Tensor?] {
        let x = try context.input(0), scale = try context.input(1), gradient = try context.gradient()
        let bias = context.inputs.count > 2 ? context.inputs[2] : nil
        let first = try resolvedAxis(axis, rank: x.rank, context: context)
        let rowShape = Array(x.shape[first...])
        let inner = Tensor.elementCount(of: rowShape), rows = x.storage.count / Swift.max(inner, 1)
        let gamma = broadcast(scale, to: rowShape)
        var dX = [Float](repeating: 0, count: x.storage.count)
        var dScale = [Float](repeating: 0, count: inner), dBias = [Float](repeating: 0, count: inner)
        var normalized = [Float](repeating: 0, count: inner), scaled = [Float](repeating: 0, count: inner)
        for row in 0..<rows {
            let base = row * inner
            var mean: Float = 0
            for i in 0..<inner { mean += x.storage[base + i] }
            mean /= Float(inner)
            var variance: Float = 0
            for i in 0..<inner {
                let centred = x.storage[base + i] - mean
                variance += centred * centred
            }
            let inverse = 1 / (variance / Float(inner) + epsilon).squareRoot()
            var meanScaled: Float = 0, meanProduct: Float = 0
            for i in 0..<inner {
                let g = gradient.storage[base + i]
                normalized[i] = (x.storage[base + i] - mean) * inverse
                scaled[i] = g * gamma.storage[i]
                dScale[i] += g * normalized[i]
                dBias[i] += g
                meanScaled += scaled[i]
                meanProduct += scaled[i] * normalized[i]
            }
            meanScaled /= Float(inner)
            meanProduct /= Float(inner)
            for i in 0..<inner {
                dX[base + i] = inverse * (scaled[i] - meanScaled - normalized[i] * meanProduct)
            }
        }
        var result: [Tensor?] = [
            Tensor(shape: x.shape, storage: dX), reduce(Tensor(shape: rowShape, storage: dScale), to: scale.shape),
        ]
        if let bias { result.append(reduce(Tensor(shape: rowShape, storage: dBias), to: bias.shape)) }
        return result
    }

    /// Softmax `dX = y·(dY − Σ dY·y)` and LogSoftmax `dX = dY − exp(y)·Σ dY` along `axis`, or
    /// (`flattened`, before opset 13) over the input flattened to 2-D at `axis`.
    static func softmax(
        _ context: BackwardContext, axis: Int, logarithm: Bool = false, flattened: Bool = false
    ) throws -> [Tensor?] {
        let y = try context.output(0)
        var gradient = try context.gradient()
        let shape = y.shape.isEmpty ? [1] : y.shape
        let resolved = try resolvedAxis(axis, rank: shape.count, context: context)
        let outer = Tensor.elementCount(of: Array(shape[..<resolved]))
        let extent = flattened ? Tensor.elementCount(of: Array(shape[resolved...])) : shape[resolved]
        let inner = flattened ? 1 : Tensor.elementCount(of: Array(shape[(resolved + 1)...]))
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                var total: Float = 0
                for e in 0..<extent {
                    let at = base + e * inner
                    total += logarithm ? gradient.storage[at] : gradient.storage[at] * y.storage[at]
                }
                for e in 0..<extent {
                    let at = base + e * inner
                    gradient.storage[at] =
                        logarithm
                        ? gradient.storage[at] - Foundation.exp(y.storage[at]) * total
                        : y.storage[at] * (gradient.storage[at] - total)
                }
            }
        }
        return [gradient]
    }
}
