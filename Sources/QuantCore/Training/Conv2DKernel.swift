/// Forward and backward passes of a stride-1 2-D convolution over a mini-batch, via im2col and `GEMM`.
///
/// Per image: `Y[M, oH·oW] = W[M, C·k·k] · cols[C·k·k, oH·oW] + b[M]`, where `cols` is
/// `Im2Col.unfold` of the `[C, H, W]` input. The forward pass returns the column matrices so the
/// backward pass can reuse them.
enum Conv2DKernel {
    /// Convolves X `[B, C, H, W]` with W `[M, C, k, k]` and adds b `[M]`.
    ///
    /// - Returns: Y `[B, M, oH, oW]` and the column matrices `[B, C·k·k, oH·oW]` as flat storage.
    static func forward(
        input: Tensor, weight: Tensor, bias: Tensor, geometry g: ConvolutionGeometry
    ) -> (output: Tensor, columns: [Float]) {
        let batch = input.shape[0], outChannels = weight.shape[0]
        let imageSize = g.channels * g.inputHeight * g.inputWidth
        let columnSize = g.columnRows * g.columnCount, outputSize = outChannels * g.columnCount
        var columns = [Float](repeating: 0, count: batch * columnSize)  // [B, C·k·k, oH·oW]
        var output = [Float](repeating: 0, count: batch * outputSize)  // [B, M, oH·oW]
        for image in 0..<batch {
            for channel in 0..<outChannels {
                let start = image * outputSize + channel * g.columnCount
                output.withUnsafeMutableBufferPointer { y in
                    y[start..<(start + g.columnCount)].update(repeating: bias.storage[channel])
                }
            }
        }
        input.storage.withUnsafeBufferPointer { x in
            weight.storage.withUnsafeBufferPointer { w in
                columns.withUnsafeMutableBufferPointer { cols in
                    output.withUnsafeMutableBufferPointer { y in
                        guard let x = x.baseAddress, let w = w.baseAddress, let cols = cols.baseAddress,
                            let y = y.baseAddress
                        else { return }
                        for image in 0..<batch {
                            let imageColumns = cols + image * columnSize
                            Im2Col.unfold(x + image * imageSize, geometry: g, into: imageColumns)
                            GEMM.multiply(
                                m: outChannels, n: g.columnCount, k: g.columnRows, a: w, b: imageColumns, beta: 1,
                                c: y + image * outputSize)
                        }
                    }
                }
            }
        }
        let output4D = Tensor(shape: [batch, outChannels, g.outputHeight, g.outputWidth], storage: output)
        return (output4D, columns)
    }

    /// Adds `∂L/∂W = Σ_images dY · colsᵀ` and `∂L/∂b` into the gradients; returns `∂L/∂X`
    /// (`Im2Col.fold` of `Wᵀ · dY`) when `needsInputGradient` (else `nil`).
    ///
    /// - Parameters:
    ///   - columns: the forward pass's column matrices `[B, C·k·k, oH·oW]`.
    ///   - outputGradient: dY `[B, M, oH, oW]`.
    ///   - weightGradient: `[M, C, k, k]`, accumulated into.
    ///   - biasGradient: `[M]`, accumulated into.
    static func backward(
        columns: [Float], weight: Tensor, outputGradient: Tensor, geometry g: ConvolutionGeometry,
        weightGradient: inout Tensor, biasGradient: inout Tensor, needsInputGradient: Bool
    ) -> Tensor? {
        let batch = outputGradient.shape[0], outChannels = weight.shape[0]
        let columnSize = g.columnRows * g.columnCount, outputSize = outChannels * g.columnCount
        let imageSize = g.channels * g.inputHeight * g.inputWidth
        for image in 0..<batch {
            for channel in 0..<outChannels {
                let start = image * outputSize + channel * g.columnCount
                var sum: Float = 0
                for position in start..<(start + g.columnCount) { sum += outputGradient.storage[position] }
                biasGradient.storage[channel] += sum
            }
        }
        columns.withUnsafeBufferPointer { cols in
            outputGradient.storage.withUnsafeBufferPointer { dy in
                weightGradient.storage.withUnsafeMutableBufferPointer { dw in
                    guard let cols = cols.baseAddress, let dy = dy.baseAddress, let dw = dw.baseAddress else { return }
                    for image in 0..<batch {
                        // [M, oH·oW] · [C·k·k, oH·oW]ᵀ → [M, C·k·k]
                        GEMM.multiply(
                            m: outChannels, n: g.columnRows, k: g.columnCount, a: dy + image * outputSize,
                            b: cols + image * columnSize, transposeB: true, beta: 1, c: dw)
                    }
                }
            }
        }
        guard needsInputGradient else { return nil }
        var inputGradient = [Float](repeating: 0, count: batch * imageSize)  // [B, C, H, W]
        var columnGradient = [Float](repeating: 0, count: columnSize)  // [C·k·k, oH·oW]
        let transposedWeight = weight.storage.withUnsafeBufferPointer { w in  // [C·k·k, M]
            w.baseAddress.map { GEMM.transpose($0, rows: outChannels, columns: g.columnRows) } ?? []
        }
        transposedWeight.withUnsafeBufferPointer { wt in
            outputGradient.storage.withUnsafeBufferPointer { dy in
                columnGradient.withUnsafeMutableBufferPointer { dcols in
                    inputGradient.withUnsafeMutableBufferPointer { dx in
                        guard let wt = wt.baseAddress, let dy = dy.baseAddress, let dcols = dcols.baseAddress,
                            let dx = dx.baseAddress
                        else { return }
                        for image in 0..<batch {
                            // [C·k·k, M] · [M, oH·oW] → [C·k·k, oH·oW]
                            GEMM.multiply(
                                m: g.columnRows, n: g.columnCount, k: outChannels, a: wt,
                                b: dy + image * outputSize, c: dcols)
                            Im2Col.fold(dcols, geometry: g, addingInto: dx + image * imageSize)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, g.channels, g.inputHeight, g.inputWidth], storage: inputGradient)
    }
}
