import Foundation

/// HardSigmoid, HardSwish and Gelu (exact and tanh-approximated).
extension Ops {
    /// `max(0, min(1, alpha · x + beta))`, in place.
    static func hardSigmoid(_ x: inout Tensor, alpha: Float, beta: Float) {
        for index in x.storage.indices { x.storage[index] = max(0, min(1, alpha * x.storage[index] + beta)) }
    }

    /// `x · max(0, min(1, x / 6 + 1/2))`, in place.
    static func hardSwish(_ x: inout Tensor) {
        for index in x.storage.indices {
            let value = x.storage[index]
            x.storage[index] = value * max(0, min(1, value / 6 + 0.5))
        }
    }

    /// `0.5 · x · (1 + erf(x / √2))`, or `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, in place.
    static func gelu(_ x: inout Tensor, tanhApproximation: Bool) {
        let root2 = Float(2).squareRoot(), root2OverPi = Float(2 / Double.pi).squareRoot()
        for index in x.storage.indices {
            let value = x.storage[index]
            let gate =
                tanhApproximation
                ? Foundation.tanh(root2OverPi * (value + 0.044715 * value * value * value))
                : Foundation.erf(value / root2)
            x.storage[index] = 0.5 * value * (1 + gate)
        }
    }
}
