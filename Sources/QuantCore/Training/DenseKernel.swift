/// Forward and backward passes of a fully connected layer over a mini-batch (reference code on `GEMM`).
///
/// `Y = X · Wᵀ + b` with X `[B, in]`, W `[out, in]` (PyTorch `Linear`, ONNX Gemm `transB = 1`),
/// b `[out]`, Y `[B, out]`.
enum DenseKernel {
    /// `Y[B, out] = X[B, in] · W[out, in]ᵀ + b[out]`.
    static func forward(input: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        let batch = input.shape[0], inputs = weight.shape[1], outputs = weight.shape[0]
        var output = [Float](repeating: 0, count: batch * outputs)  // [B, out]
        for row in 0..<batch {
            for unit in 0..<outputs { output[row * outputs + unit] = bias.storage[unit] }
        }
        input.storage.withUnsafeBufferPointer { x in
            weight.storage.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    guard let x = x.baseAddress, let w = w.baseAddress, let y = y.baseAddress else { return }
                    GEMM.multiply(m: batch, n: outputs, k: inputs, a: x, b: w, transposeB: true, beta: 1, c: y)
                }
            }
        }
        return Tensor(shape: [batch, outputs], storage: output)
    }

    /// Adds `∂L/∂W = dYᵀ · X` and `∂L/∂b = Σ_rows dY` into the gradients; returns `∂L/∂X = dY · W`
    /// when `needsInputGradient` (else `nil`).
    ///
    /// - Parameters:
    ///   - input: X `[B, in]` as seen by the forward pass.
    ///   - outputGradient: dY `[B, out]`.
    ///   - weightGradient: `[out, in]`, accumulated into.
    ///   - biasGradient: `[out]`, accumulated into.
    static func backward(
        input: Tensor, weight: Tensor, outputGradient: Tensor,
        weightGradient: inout Tensor, biasGradient: inout Tensor, needsInputGradient: Bool
    ) -> Tensor? {
        let batch = input.shape[0], inputs = weight.shape[1], outputs = weight.shape[0]
        for row in 0..<batch {
            for unit in 0..<outputs { biasGradient.storage[unit] += outputGradient.storage[row * outputs + unit] }
        }
        input.storage.withUnsafeBufferPointer { x in
            outputGradient.storage.withUnsafeBufferPointer { dy in
                weightGradient.storage.withUnsafeMutableBufferPointer { dw in
                    guard let x = x.baseAddress, let dy = dy.baseAddress, let dw = dw.baseAddress else { return }
                    // [out, B] · [B, in] → [out, in]
                    GEMM.multiply(m: outputs, n: inputs, k: batch, a: dy, transposeA: true, b: x, beta: 1, c: dw)
                }
            }
        }
        guard needsInputGradient else { return nil }
        var inputGradient = [Float](repeating: 0, count: batch * inputs)  // [B, in]
        outputGradient.storage.withUnsafeBufferPointer { dy in
            weight.storage.withUnsafeBufferPointer { w in
                inputGradient.withUnsafeMutableBufferPointer { dx in
                    guard let dy = dy.baseAddress, let w = w.baseAddress, let dx = dx.baseAddress else { return }
                    // [B, out] · [out, in] → [B, in]
                    GEMM.multiply(m: batch, n: inputs, k: outputs, a: dy, b: w, c: dx)
                }
            }
        }
        return Tensor(shape: [batch, inputs], storage: inputGradient)
    }
}
