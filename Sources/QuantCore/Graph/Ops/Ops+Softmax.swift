import Foundation

/// Softmax and LogSoftmax along one axis (opset-13 semantics), numerically stable.
extension Ops {
    /// `x ← exp(x − max) / Σ exp(x − max)` along `axis` (negative counts from the end), in place.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `axis` is out of range.
    static func softmax(_ x: inout Tensor, axis: Int, node: String = "") throws {
        try softmax(&x, axis: axis, logarithm: false, node: node, op: "Softmax")
    }

    /// `x ← x − max − log Σ exp(x − max)` along `axis`, in place.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `axis` is out of range.
    static func logSoftmax(_ x: inout Tensor, axis: Int, node: String = "") throws {
        try softmax(&x, axis: axis, logarithm: true, node: node, op: "LogSoftmax")
    }

    /// Shared loop: for each (outer, inner) position, one pass along `axis` with stride `inner`.
    private static func softmax(_ x: inout Tensor, axis: Int, logarithm: Bool, node: String, op: String) throws {
        let shape = x.shape
        // A scalar is treated as rank 1 (ONNX allows axis 0 or -1 on it through the reference).
        let effectiveShape = shape.isEmpty ? [1] : shape
        let resolved = try normalizedAxis(axis, rank: effectiveShape.count, node: node, op: op)
        let outer = product(effectiveShape, 0..<resolved)
        let extent = effectiveShape[resolved]
        let inner = product(effectiveShape, (resolved + 1)..<effectiveShape.count)
        guard extent > 0 else { return }
        x.storage.withUnsafeMutableBufferPointer { buffer in
            guard let values = buffer.baseAddress else { return }
            for o in 0..<outer {
                for i in 0..<inner {
                    let start = values + o * extent * inner + i
                    var maximum = -Float.infinity
                    for k in 0..<extent where start[k * inner] > maximum { maximum = start[k * inner] }
                    if maximum == -.infinity { maximum = 0 }  // all −inf: avoid −inf − (−inf)
                    var sum: Float = 0
                    if logarithm {
                        for k in 0..<extent { sum += Foundation.exp(start[k * inner] - maximum) }
                        let logSum = Foundation.log(sum)
                        for k in 0..<extent { start[k * inner] = (start[k * inner] - maximum) - logSum }
                    } else {
                        for k in 0..<extent {
                            let e = Foundation.exp(start[k * inner] - maximum)
                            start[k * inner] = e
                            sum += e
                        }
                        for k in 0..<extent { start[k * inner] /= sum }
                    }
                }
            }
        }
    }
}
