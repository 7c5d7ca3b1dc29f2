/// The plain direct-loop convolution: the specification `Ops.convolution` is tested against.
extension Ops {
    /// ONNX Conv by definition: for every output element, sum input × weight over the window.
    ///
    /// Same operands, result shape and errors as `convolution`; slow, obviously correct.
    static func convolutionReference(
        _ x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvAttributes, node: String = ""
    ) throws -> Tensor {
        let problem = try convolutionProblem(x, weight: weight, bias: bias, attributes: attributes, node: node)
        let (height, width) = problem.window.planeAxes
        let cg = problem.inputChannelsPerGroup, mg = problem.outputChannelsPerGroup
        var result = Tensor(shape: problem.outputShape)
        // Index helpers over the 2-D view (a 1-D convolution has height 1).
        func inputIndex(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Int {
            ((n * problem.inputChannels + c) * height.input + y) * width.input + x
        }
        func weightIndex(_ m: Int, _ c: Int, _ i: Int, _ j: Int) -> Int {
            ((m * cg + c) * height.kernel + i) * width.kernel + j
        }
        var outputIndex = 0
        for n in 0..<problem.batch {
            for m in 0..<problem.outputChannels {
                let g = m / mg
                for oy in 0..<height.output {
                    for ox in 0..<width.output {
                        var sum: Float = 0
                        for c in 0..<cg {
                            for i in 0..<height.kernel {
                                let y = oy * height.stride - height.padBegin + i * height.dilation
                                guard y >= 0, y < height.input else { continue }
                                for j in 0..<width.kernel {
                                    let xPosition = ox * width.stride - width.padBegin + j * width.dilation
                                    guard xPosition >= 0, xPosition < width.input else { continue }
                                    sum +=
                                        x.storage[inputIndex(n, g * cg + c, y, xPosition)]
                                        * weight.storage[weightIndex(m, c, i, j)]
                                }
                            }
                        }
                        result.storage[outputIndex] = sum + (bias?.storage[m] ?? 0)
                        outputIndex += 1
                    }
                }
            }
        }
        return result
    }
}
