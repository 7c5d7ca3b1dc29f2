import Foundation

/// Element-wise activations (Relu, Clip, LeakyRelu, Sigmoid, Tanh, Softplus, Elu, Selu), applied in place,
/// and PRelu, whose slope is a second, broadcast operand.
///
/// Each in-place activation mutates its tensor's storage; the executor hands over a value nobody else holds, so
/// no copy is made. Call sites that still share the storage pay one copy-on-write.
extension Ops {
    /// `x ← max(x, 0)`.
    static func relu(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let value = values[i]
                values[i] = value < 0 ? 0 : value  // a select, not a branch: vectorizes; NaN stays NaN
            }
        }
    }

    /// `x ← min(max(x, minimum), maximum)`; a `nil` bound is absent. NaN stays NaN.
    ///
    /// With `minimum > maximum` every element becomes `maximum`, as ONNX specifies.
    static func clip(_ x: inout Tensor, minimum: Float?, maximum: Float?) {
        let low = minimum ?? -.infinity, high = maximum ?? .infinity
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                // Selects, not branches, so the loop vectorizes; both comparisons fail for NaN, which stays NaN.
                var value = values[i]
                value = value < low ? low : value
                value = value > high ? high : value
                values[i] = value
            }
        }
    }

    /// `x ← x ≥ 0 ? x : alpha · x`.
    static func leakyRelu(_ x: inout Tensor, alpha: Float) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices where values[i] < 0 { values[i] *= alpha }
        }
    }

    /// `x ← 1 / (1 + e^−x)`, evaluated without overflow for large `|x|`.
    static func sigmoid(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let value = values[i]
                if value >= 0 {
                    values[i] = 1 / (1 + Foundation.exp(-value))
                } else {
                    let e = Foundation.exp(value)
                    values[i] = e / (1 + e)
                }
            }
        }
    }

    /// `x ← tanh(x)`.
    static func tanh(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = Foundation.tanh(values[i]) }
        }
    }

    /// `x ← log(1 + e^x)`, as `max(x, 0) + log1p(e^−|x|)` so that no `exp` overflows.
    ///
    /// softplus(0) = ln 2 ≈ 0.6931; softplus(100) = 100; softplus(−100) ≈ 3.7e−44.
    static func softplus(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let value = values[i]
                values[i] = max(value, 0) + Foundation.log1p(Foundation.exp(-abs(value)))
            }
        }
    }

    /// `x ← gamma · (x > 0 ? x : alpha · (e^x − 1))`: Elu with `gamma` 1, Selu with ONNX's
    /// defaults `Operator.seluAlpha`, `Operator.seluGamma`. `e^x − 1` is `expm1`, exact near 0.
    ///
    /// Elu (alpha 1): −∞ → −1, −ln 2 → −0.5, 0 → 0, 2 → 2.
    static func exponentialLinear(_ x: inout Tensor, alpha: Float, gamma: Float = 1) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                let value = values[i]
                values[i] = gamma * (value > 0 ? value : alpha * Foundation.expm1(value))
            }
        }
    }

    /// ONNX PRelu: `x ≥ 0 ? x : slope · x` with `slope` broadcast to the shape of `x`.
    ///
    /// `slope` must broadcast to `x` without changing it (ONNX "unidirectional"): a scalar, or
    /// `[C, 1, 1]` for per-channel slopes of `[N, C, H, W]`.
    /// - Throws: `GraphError.shapeMismatch` when it does not.
    static func prelu(_ x: Tensor, slope: Tensor, node: String = "") throws -> Tensor {
        guard isUnidirectionallyBroadcastable(slope.shape, to: x.shape) else {
            throw mismatch(node, "PRelu", "slope \(slope.shape) does not broadcast to X \(x.shape)")
        }
        return try broadcasting(x, slope, PReluFunction.self, node: node, op: "PRelu")
    }

    /// Plain reference for `prelu`: one broadcast slope lookup per element; `nil` when the
    /// shapes do not fit.
    static func preluReference(_ x: Tensor, slope: Tensor) -> Tensor? {
        guard isUnidirectionallyBroadcastable(slope.shape, to: x.shape) else { return nil }
        let slopeStrides = broadcastStrides(of: slope.shape, to: x.shape)
        var result = x
        for flat in 0..<x.count {
            var remainder = flat, offset = 0
            for axis in stride(from: x.rank - 1, through: 0, by: -1) {
                offset += (remainder % x.shape[axis]) * slopeStrides[axis]
                remainder /= x.shape[axis]
            }
            if x.storage[flat] < 0 { result.storage[flat] = slope.storage[offset] * x.storage[flat] }
        }
        return result
    }
}

/// PRelu's element function: `a ≥ 0 ? a : b · a` for value `a` and slope `b`.
enum PReluFunction: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a < 0 ? b * a : a }
}
