import Foundation

/// Element-wise activations (Relu, Clip, LeakyRelu, Sigmoid, Tanh), applied in place.
///
/// Each mutates its tensor's storage; the executor hands over a value nobody else holds, so
/// no copy is made. Call sites that still share the storage pay one copy-on-write.
extension Ops {
    /// `x ← max(x, 0)`.
    static func relu(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices where values[i] < 0 { values[i] = 0 }
        }
    }

    /// `x ← min(max(x, minimum), maximum)`; a `nil` bound is absent. NaN stays NaN.
    ///
    /// With `minimum > maximum` every element becomes `maximum`, as ONNX specifies.
    static func clip(_ x: inout Tensor, minimum: Float?, maximum: Float?) {
        let low = minimum ?? -.infinity, high = maximum ?? .infinity
        x.storage.withUnsafeMutableBufferPointer { values in
            for i in values.indices where !values[i].isNaN {
                var value = values[i]
                if value < low { value = low }
                if value > high { value = high }
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
}
