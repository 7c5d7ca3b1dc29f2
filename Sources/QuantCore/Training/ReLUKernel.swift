/// Forward and backward passes of `max(x, 0)`, any shape.
enum ReLUKernel {
    /// `Y = max(X, 0)` element-wise.
    static func forward(input: Tensor) -> Tensor {
        Tensor(shape: input.shape, storage: input.storage.map { $0 > 0 ? $0 : 0 })
    }

    /// `dX = dY` where the forward output was positive, 0 elsewhere (PyTorch's choice at 0).
    static func backward(output: Tensor, outputGradient: Tensor) -> Tensor {
        var inputGradient = outputGradient.storage
        for index in inputGradient.indices where !(output.storage[index] > 0) {
            inputGradient[index] = 0
        }
        return Tensor(shape: output.shape, storage: inputGradient)
    }
}
