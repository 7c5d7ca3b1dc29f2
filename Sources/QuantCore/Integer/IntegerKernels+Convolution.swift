/// Convolution (im2col on codes minus the zero point, so padding is exactly 0.0), Add and reshapes.
extension IntegerKernels {
    /// Conv, NCHW, any group count (depthwise included): per image and group one integer GEMM of
    /// the patches `[positions, depth]` with the group's weight rows.
    static func convolve(_ layer: IntegerLinear, _ x: IntegerTensor) throws -> IntegerTensor {
        // The geometry checked once, as the C kernels check it (IntegerKernels+Fast.swift).
        let shape = try convolutionShape(layer, x)
        guard let geometry = layer.convolution else {
            throw IntegerLoweringError("\(layer.layerName): input shape \(x.shape) is not NCHW")
        }
        let (batch, channels, height, width) = (shape.batch, shape.channels, shape.height, shape.width)
        let (kh, kw, group) = (shape.kernel_h, shape.kernel_w, shape.group)
        let channelsPerGroup = layer.depth / (kh * kw)
        let (outHeight, outWidth) = (shape.out_h, shape.out_w)
        let positions = outHeight * outWidth
        let outputsPerGroup = layer.outputChannels / group
        let zeroPoint = Int16(x.quantization.zeroPoint)
        let out = layer.outputQuantization
        var codes = [Int16](repeating: 0, count: batch * layer.outputChannels * positions)
        var patches = [Int16](repeating: 0, count: positions * layer.depth)
        for image in 0..<batch {
            for g in 0..<group {
                for index in patches.indices { patches[index] = 0 }
                for c in 0..<channelsPerGroup {
                    let plane = ((image * channels) + g * channelsPerGroup + c) * height * width
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let column = (c * kh + i) * kw + j
                            for oy in 0..<outHeight {
                                let y = oy * geometry.strides[0] - geometry.pads[0] + i * geometry.dilations[0]
                                guard y >= 0, y < height else { continue }
                                for ox in 0..<outWidth {
                                    let xx = ox * geometry.strides[1] - geometry.pads[1] + j * geometry.dilations[1]
                                    guard xx >= 0, xx < width else { continue }
                                    patches[(oy * outWidth + ox) * layer.depth + column] =
                                        x.codes[plane + y * width + xx] &- zeroPoint
                                }
                            }
                        }
                    }
                }
                let rows = Array(
                    layer.weights[(g * outputsPerGroup * layer.depth)..<((g + 1) * outputsPerGroup * layer.depth)])
                let sums = gemm(patches, rows, m: positions, n: outputsPerGroup, k: layer.depth)
                for o in 0..<outputsPerGroup {
                    let channel = g * outputsPerGroup + o
                    let base = (image * layer.outputChannels + channel) * positions
                    for p in 0..<positions {
                        codes[base + p] = requantize(sums[p * outputsPerGroup + o], layer: layer, channel: channel)
                    }
                }
            }
        }
        return IntegerTensor(
            shape: [batch, layer.outputChannels, outHeight, outWidth], codes: codes, quantization: out)
    }

    /// Add of two tensors with one scale and zero point 0 (checked by the lowering): codes add.
    static func add(_ a: IntegerTensor, _ b: IntegerTensor) throws -> IntegerTensor {
        guard a.shape == b.shape else {
            throw IntegerLoweringError("Add of shapes \(a.shape) and \(b.shape): integer Add needs equal shapes")
        }
        let quantization = try ActivationQuantization(
            scale: a.quantization.scale, bitWidth: min(max(a.quantization.bitWidth, b.quantization.bitWidth) + 2, 16),
            isSigned: true)
        return IntegerTensor(shape: a.shape, codes: zip(a.codes, b.codes).map { $0 &+ $1 }, quantization: quantization)
    }

    /// Flatten (`[d0…d(axis−1), rest]`) or Reshape (0 copies a dimension, −1 takes the rest).
    static func reshaped(_ shape: [Int], flattenAxis: Int?, target: [Int]?) throws -> [Int] {
        let count = shape.reduce(1, *)
        if let axis = flattenAxis {
            let cut = axis < 0 ? axis + shape.count : axis
            guard (0...shape.count).contains(cut) else {
                throw IntegerLoweringError("Flatten axis \(axis) for shape \(shape)")
            }
            return [shape[..<cut].reduce(1, *), shape[cut...].reduce(1, *)]
        }
        var result = (target ?? shape).enumerated().map {
            $0.element == 0 && $0.offset < shape.count ? shape[$0.offset] : $0.element
        }
        let known = result.filter { $0 != -1 }.reduce(1, *)
        if let free = result.firstIndex(of: -1), known > 0 { result[free] = count / known }
        guard result.reduce(1, *) == count, result.allSatisfy({ $0 >= 0 }) else {
            throw IntegerLoweringError("Reshape of \(shape) to \(target ?? []) changes the element count")
        }
        return result
    }
}
