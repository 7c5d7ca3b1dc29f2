import Foundation

/// Softmax and LogSoftmax along one axis (opset-13 semantics) and over flattened trailing axes
/// (before opset 13), numerically stable.
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

    /// Softmax before opset 13, in place: `x` is viewed as `[d0·…·d(axis−1), d(axis)·…·d(r−1)]`
    /// and each row is normalized; the shape is kept. `axis` is in `−r..<r` (negative counts
    /// from the end); a scalar counts as rank 1.
    ///
    /// `[[0, ln 3], [ln 2, ln 2]]` at axis 0 is one row of four: `[1, 3, 2, 2] / 8`.
    /// - Throws: `GraphError.shapeMismatch` when `axis` is out of range.
    static func flattenedSoftmax(_ x: inout Tensor, axis: Int, node: String = "") throws {
        try flattenedSoftmax(&x, axis: axis, logarithm: false, node: node, op: "Softmax")
    }

    /// LogSoftmax before opset 13: the log of `flattenedSoftmax`, in place.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `axis` is out of range.
    static func flattenedLogSoftmax(_ x: inout Tensor, axis: Int, node: String = "") throws {
        try flattenedSoftmax(&x, axis: axis, logarithm: true, node: node, op: "LogSoftmax")
    }

    /// Views `x` as 2-D at `axis`, normalizes along the last axis, restores the shape.
    private static func flattenedSoftmax(
        _ x: inout Tensor, axis: Int, logarithm: Bool, node: String, op: String
    ) throws {
        let shape = x.shape
        let effectiveShape = shape.isEmpty ? [1] : shape
        let resolved = try normalizedAxis(axis, rank: effectiveShape.count, node: node, op: op)
        // Reassigning keeps the storage uniquely referenced, so the kernel below does not copy.
        let rows = product(effectiveShape, 0..<resolved)
        x = x.reshaped([rows, product(effectiveShape, resolved..<effectiveShape.count)])
        try softmax(&x, axis: 1, logarithm: logarithm, node: node, op: op)
        x = x.reshaped(shape)
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
