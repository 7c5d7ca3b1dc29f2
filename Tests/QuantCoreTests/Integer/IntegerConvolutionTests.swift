import Testing

@testable import QuantCore

/// The integer convolution (im2col + GEMM) and pooling against direct loops.
@Suite struct IntegerConvolutionTests {
    /// Direct convolution on codes: padded taps read the zero point (value 0.0).
    static func direct(_ layer: IntegerLinear, _ x: IntegerTensor) -> [Int16] {
        let geometry = layer.convolution!
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (geometry.kernel[0], geometry.kernel[1])
        let perGroup = channels / geometry.group, outPerGroup = layer.outputChannels / geometry.group
        let outH =
            (height + geometry.pads[0] + geometry.pads[2] - ((kh - 1) * geometry.dilations[0] + 1))
            / geometry.strides[0] + 1
        let outW =
            (width + geometry.pads[1] + geometry.pads[3] - ((kw - 1) * geometry.dilations[1] + 1)) / geometry.strides[1]
            + 1
        var result: [Int16] = []
        for n in 0..<batch {
            for o in 0..<layer.outputChannels {
                let g = o / outPerGroup
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var sum: Int32 = 0
                        for c in 0..<perGroup {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let y = oy * geometry.strides[0] - geometry.pads[0] + i * geometry.dilations[0]
                                    let xx = ox * geometry.strides[1] - geometry.pads[1] + j * geometry.dilations[1]
                                    guard y >= 0, y < height, xx >= 0, xx < width else { continue }
                                    let code = Int32(
                                        x.codes[((n * channels + g * perGroup + c) * height + y) * width + xx])
                                    sum +=
                                        (code - x.quantization.zeroPoint)
                                        * Int32(layer.weights[((o * perGroup + c) * kh + i) * kw + j])
                                }
                            }
                        }
                        result.append(IntegerKernels.requantize(sum, layer: layer, channel: o))
                    }
                }
            }
        }
        return result
    }

    static func layer(
        channels: Int, outputs: Int, group: Int, kernel: Int, stride: Int, pad: Int, dilation: Int, seed: UInt64
    ) throws -> IntegerLinear {
        var random = SplitMix64(seed: seed)
        let depth = channels / group * kernel * kernel
        return IntegerLinear(
            layerName: "conv", input: "x", output: "y",
            weights: (0..<(outputs * depth)).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 255) - 127) },
            outputChannels: outputs, depth: depth,
            bias: (0..<outputs).map { _ in Int32(Int(random.next() % 2001) - 1000) },
            multipliers: (0..<outputs).map { _ in Float(random.next() % 1000 + 1) * 1e-5 },
            outputQuantization: try ActivationQuantization(scale: 0.1, zeroPoint: 3, bitWidth: 8, isSigned: false),
            clamp: 3...255,
            convolution: IntegerConvolution(
                kernel: [kernel, kernel], strides: [stride, stride], dilations: [dilation, dilation],
                pads: [pad, pad, pad + 1, pad], group: group))
    }

    @Test(arguments: [
        (4, 6, 1, 3, 1, 1, 1), (4, 4, 4, 3, 1, 1, 1), (6, 12, 3, 3, 2, 1, 1), (3, 6, 3, 5, 1, 2, 2),
        (2, 5, 1, 1, 1, 0, 1),
    ])
    func convolutionMatchesTheDirectLoop(geometry: (Int, Int, Int, Int, Int, Int, Int)) throws {
        let (channels, outputs, group, kernel, stride, pad, dilation) = geometry
        let layer = try Self.layer(
            channels: channels, outputs: outputs, group: group, kernel: kernel, stride: stride, pad: pad,
            dilation: dilation, seed: UInt64(channels * 100 + outputs * 10 + group))
        var random = SplitMix64(seed: 7)
        let shape = [2, channels, 9, 11]
        let x = IntegerTensor(
            shape: shape, codes: (0..<shape.reduce(1, *)).map { _ in Int16(random.next() % 256) },
            quantization: try ActivationQuantization(scale: 0.02, zeroPoint: 128, bitWidth: 8, isSigned: false))
        let result = try IntegerKernels.convolve(layer, x)
        #expect(result.codes == Self.direct(layer, x))
        #expect(result.codes.allSatisfy { $0 >= 3 })
    }

    @Test func poolingOnCodes() throws {
        let q = try ActivationQuantization(scale: 0.5, zeroPoint: 0, bitWidth: 8, isSigned: true)
        let x = IntegerTensor(shape: [1, 1, 2, 4], codes: [1, 2, -3, 4, 5, -6, 7, 8], quantization: q)
        let window = PoolAttributes(kernelShape: [2, 2], strides: [2, 2])
        #expect(try IntegerKernels.pool(x, window, average: false).codes == [5, 8])
        // (1 + 2 + 5 − 6) / 4 = 0.5 → 0 and (−3 + 4 + 7 + 8) / 4 = 4 (ties to even).
        #expect(try IntegerKernels.pool(x, window, average: true).codes == [0, 4])
    }
}
