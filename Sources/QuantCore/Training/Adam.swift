import Foundation

/// The Adam optimizer (Kingma & Ba) with bias correction, as PyTorch's `torch.optim.Adam` computes it.
///
/// Per parameter element, at step t (from 1):
/// `m = β1·m + (1 − β1)·g`, `v = β2·v + (1 − β2)·g²`,
/// `p −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)`.
/// The first step therefore moves every parameter by about `lr · sign(g)`.
struct Adam: Sendable, Equatable {
    /// The step size `lr`.
    var learningRate: Float
    /// Decay of the first-moment (mean) estimate.
    var beta1: Float = 0.9
    /// Decay of the second-moment (uncentered variance) estimate.
    var beta2: Float = 0.999
    /// Added to the denominator to avoid division by zero.
    var epsilon: Float = 1e-8
    /// Number of updates applied so far.
    private(set) var step = 0
    /// First moments, one array per parameter tensor.
    private(set) var firstMoments: [[Float]] = []
    /// Second moments, one array per parameter tensor.
    private(set) var secondMoments: [[Float]] = []

    /// Creates an optimizer with PyTorch's default betas and epsilon.
    init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Applies one update to `parameters` from `gradients` (same count and shapes).
    mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        if firstMoments.isEmpty {
            firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
            secondMoments = firstMoments
        }
        step += 1
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) / correction1)
        let correction2Root = Float(correction2.squareRoot())
        let (beta1, beta2, epsilon) = (self.beta1, self.beta2, self.epsilon)
        for index in parameters.indices {
            let gradient = gradients[index].storage
            parameters[index].storage.withUnsafeMutableBufferPointer { p in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        for element in 0..<p.count {
                            let g = gradient[element]
                            m[element] = beta1 * m[element] + (1 - beta1) * g
                            v[element] = beta2 * v[element] + (1 - beta2) * g * g
                            let denominator = v[element].squareRoot() / correction2Root + epsilon
                            p[element] -= stepSize * m[element] / denominator
                        }
                    }
                }
            }
        }
    }
}
