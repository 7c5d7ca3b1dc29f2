import Foundation

/// LRN (across channels) and LayerNormalization (over trailing axes).
extension Ops {
    /// ONNX LRN on `[N, C, …]`: `y = x / (bias + alpha / size · Σ x²)^beta`, the sum over channels
    /// `c − ⌊(size − 1)/2⌋ … c + ⌈(size − 1)/2⌉` that exist.
    static func localResponseNormalization(
        _ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float, node: String
    ) throws -> Tensor {
        guard x.rank >= 3 else { throw mismatch(node, "LRN", "X \(x.shape) needs [N, C, spatial…]") }
        let batch = x.shape[0], channels = x.shape[1], plane = product(x.shape, 2..<x.rank)
        let below = (size - 1) / 2, above = size - 1 - below
        var output = x
        let scale = alpha / Float(size)
        for n in 0..<batch {
            let base = n * channels * plane
            for c in 0..<channels {
                let first = max(0, c - below), last = min(channels - 1, c + above)
                for position in 0..<plane {
                    var sum: Float = 0
                    if first <= last {
                        for neighbour in first...last {
                            let value = x.storage[base + neighbour * plane + position]
                            sum += value * value
                        }
                    }
                    let index = base + c * plane + position
                    output.storage[index] = x.storage[index] / Foundation.pow(bias + scale * sum, beta)
                }
            }
        }
        return output
    }

    /// ONNX LayerNormalization: each slice over axes `axis…` normalized to mean 0 and variance 1
    /// (population variance, in `Double`), then `· scale + bias` (both broadcast to the slice).
    ///
    /// - Returns: Y, the mean and the inverse standard deviation (the last two with the reduced
    ///   axes kept as extent 1).
    static func layerNormalization(
        _ x: Tensor, scale: Tensor, bias: Tensor?, axis: Int, epsilon: Float, node: String
    ) throws -> [Tensor] {
        let op = "LayerNormalization"
        let first = try normalizedAxis(axis, rank: x.rank, node: node, op: op)
        let sliceShape = Array(x.shape[first...])
        let sliceCount = product(x.shape, first..<x.rank)
        let rows = product(x.shape, 0..<first)
        func expanded(_ tensor: Tensor, _ name: String) throws -> [Float] {
            guard isUnidirectionallyBroadcastable(tensor.shape, to: sliceShape) else {
                throw mismatch(node, op, "\(name) \(tensor.shape) does not broadcast to \(sliceShape)")
            }
            if tensor.shape == sliceShape { return tensor.storage }
            return try broadcastMap([tensor, Tensor(shape: sliceShape, repeating: 0)], node: node, op: op) {
                $0[0]
            }.storage
        }
        let gamma = try expanded(scale, "Scale")
        let beta = try bias.map { try expanded($0, "B") }
        var y = x
        var means = [Float](repeating: 0, count: rows)
        var inverse = [Float](repeating: 0, count: rows)
        for row in 0..<rows {
            let start = row * sliceCount
            var sum = 0.0
            for index in start..<(start + sliceCount) { sum += Double(x.storage[index]) }
            let mean = sum / Double(max(sliceCount, 1))
            var squares = 0.0
            for index in start..<(start + sliceCount) {
                let centred = Double(x.storage[index]) - mean
                squares += centred * centred
            }
            let inverseDeviation = 1 / (squares / Double(max(sliceCount, 1)) + Double(epsilon)).squareRoot()
            means[row] = Float(mean)
            inverse[row] = Float(inverseDeviation)
            for offset in 0..<sliceCount {
                let normalized = Float((Double(x.storage[start + offset]) - mean) * inverseDeviation)
                y.storage[start + offset] = normalized * gamma[offset] + (beta?[offset] ?? 0)
            }
        }
        let statisticsShape = x.shape.enumerated().map { $0.offset < first ? $0.element : 1 }
        return [y, Tensor(shape: statisticsShape, storage: means), Tensor(shape: statisticsShape, storage: inverse)]
    }
}
