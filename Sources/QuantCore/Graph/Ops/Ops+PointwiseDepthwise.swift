/// A pointwise Conv followed by the depthwise Conv that reads its output, in one pass
/// (`PointwiseDepthwiseConvolution`).
extension Ops {
    /// One Conv of a chain: its operands and the ReLU/Clip fused after it.
    struct ChainedConvolution {
        var weight: Tensor
        var bias: Tensor?
        var attributes: ConvAttributes
        var activation: OutputClamp?
        /// The node's name, for errors.
        var node: String
    }

    /// The smallest plane (output positions) chained when a batch has several images.
    static let fewestChainedPositions = 128

    /// `depthwise(pointwise(x))`, each with its activation, without the expanded tensor in
    /// between; `nil` where it does not apply (the first is not a pointwise convolution of one
    /// group — 1×1, stride 1, no padding — the second not a depthwise one with one output per
    /// channel on a 2-D plane, a plane under `fewestChainedPositions` in a batch of several
    /// images, or the kernel declines): then run them apart. Operands that do not fit throw the
    /// error the node they belong to would throw.
    static func pointwiseDepthwise(
        _ x: Tensor, _ pointwise: ChainedConvolution, _ depthwise: ChainedConvolution
    ) throws -> Tensor? {
        guard PointwiseDepthwiseConvolution.isEnabled, DepthwiseConvolution.isEnabled, x.rank == 4 else { return nil }
        let first = try convolutionProblem(
            x, weight: pointwise.weight, bias: pointwise.bias, attributes: pointwise.attributes, node: pointwise.node)
        let g = first.window.convolutionGeometry(channels: first.inputChannels)
        guard first.group == 1, g.kernelHeight == 1, g.kernelWidth == 1, g.strideHeight == 1, g.strideWidth == 1,
            g.padTop == 0, g.padLeft == 0, g.padBottom == 0, g.padRight == 0, first.inputChannels > 0
        else { return nil }
        // Planes under 128 positions stay apart when there are several images: the pointwise
        // convolution alone gathers the batch's images into full GEMM panels, which the chain,
        // image by image, cannot (7×7: 49 columns an image fill 77 % of two 32-column panels).
        // C harness, batches of 16: 960 channels from 160 at 7×7 chained 1.15× slower than the
        // gathered GEMM + depthwise; at 14×14 on par or faster.
        guard first.batch == 1 || g.columnCount >= Self.fewestChainedPositions else { return nil }
        let second = try convolutionProblem(
            xShape: first.outputShape, weight: depthwise.weight, bias: depthwise.bias,
            attributes: depthwise.attributes, node: depthwise.node)
        let expanded = first.outputChannels
        guard second.group > 1, second.group == expanded, second.outputChannels == expanded,
            second.window.axes.count == 2, first.batch > 0, Tensor.elementCount(of: second.outputShape) > 0
        else { return nil }
        let geometry = second.window.convolutionGeometry(channels: expanded)
        let imageSize = first.inputChannels * g.inputHeight * g.inputWidth
        let outputSize = expanded * geometry.outputHeight * geometry.outputWidth
        let zeros = [Float](repeating: 0, count: expanded)
        var done = true
        let output = x.storage.withUnsafeBufferPointer { images in
            pointwise.weight.storage.withUnsafeBufferPointer { pointwiseWeights in
                depthwise.weight.storage.withUnsafeBufferPointer { depthwiseWeights in
                    (pointwise.bias?.storage ?? zeros).withUnsafeBufferPointer { pointwiseStart in
                        (depthwise.bias?.storage ?? zeros).withUnsafeBufferPointer { depthwiseStart in
                            makeTensor(shape: second.outputShape) { output in
                                guard let images = images.baseAddress, let out = output.baseAddress,
                                    let pointwiseWeights = pointwiseWeights.baseAddress,
                                    let depthwiseWeights = depthwiseWeights.baseAddress,
                                    let pointwiseStart = pointwiseStart.baseAddress,
                                    let depthwiseStart = depthwiseStart.baseAddress
                                else {
                                    done = false
                                    return
                                }
                                for n in 0..<first.batch where done {
                                    done = PointwiseDepthwiseConvolution.run(
                                        image: images + n * imageSize, channels: first.inputChannels,
                                        pointwiseWeights: pointwiseWeights, pointwiseStart: pointwiseStart,
                                        pointwiseClamp: pointwise.activation, geometry: geometry,
                                        depthwiseWeights: depthwiseWeights, depthwiseStart: depthwiseStart,
                                        depthwiseClamp: depthwise.activation, into: out + n * outputSize)
                                }
                            }
                        }
                    }
                }
            }
        }
        return done ? output : nil
    }
}
