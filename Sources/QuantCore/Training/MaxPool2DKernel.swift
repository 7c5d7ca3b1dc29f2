/// Forward and backward passes of 2×2, stride-2 max pooling over `[B, C, H, W]`.
///
/// Odd extents round down (ONNX `ceil_mode = 0`). Ties go to the first maximum in row-major
/// window order, which is where the backward pass routes the gradient.
enum MaxPool2DKernel {
    /// Pools X `[B, C, H, W]` into Y `[B, C, H/2, W/2]`.
    ///
    /// - Returns: Y and, per output element, the flat index into X of the maximum it took.
    static func forward(input: Tensor) -> (output: Tensor, argmax: [Int]) {
        let batch = input.shape[0], channels = input.shape[1]
        let height = input.shape[2], width = input.shape[3]
        let outHeight = height / 2, outWidth = width / 2
        let planes = batch * channels
        var output = [Float](repeating: 0, count: planes * outHeight * outWidth)
        var argmax = [Int](repeating: 0, count: output.count)
        let x = input.storage
        var target = 0
        for plane in 0..<planes {
            let base = plane * height * width
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let topLeft = base + 2 * oy * width + 2 * ox
                    var bestIndex = topLeft
                    // The other three window positions, in row-major order.
                    for index in [topLeft + 1, topLeft + width, topLeft + width + 1] where x[index] > x[bestIndex] {
                        bestIndex = index
                    }
                    let best = x[bestIndex]
                    output[target] = best
                    argmax[target] = bestIndex
                    target += 1
                }
            }
        }
        return (Tensor(shape: [batch, channels, outHeight, outWidth], storage: output), argmax)
    }

    /// Routes dY `[B, C, H/2, W/2]` back to the maxima: returns dX with `inputShape` `[B, C, H, W]`.
    static func backward(outputGradient: Tensor, argmax: [Int], inputShape: [Int]) -> Tensor {
        var inputGradient = [Float](repeating: 0, count: Tensor.elementCount(of: inputShape))
        for (position, source) in argmax.enumerated() {
            inputGradient[source] += outputGradient.storage[position]
        }
        return Tensor(shape: inputShape, storage: inputGradient)
    }
}
