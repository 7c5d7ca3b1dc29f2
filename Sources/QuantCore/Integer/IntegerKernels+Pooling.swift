import CKernels

/// Max and average pooling on codes: `pool`, the reference loops, and `fastPool` on `ck_qpool`,
/// over one window geometry (`PoolWindow`).
extension IntegerKernels {
    /// A pooling window over an NCHW input: the input's size, the window's attributes with their
    /// defaults filled in and the output's size (floor or ceil mode: taps of a last partial
    /// window beyond the input are skipped, as pads are).
    struct PoolWindow {
        var batch: Int, channels: Int, height: Int, width: Int
        var kernel: [Int], strides: [Int], dilations: [Int]
        /// `[top, left, bottom, right]`.
        var pads: [Int]
        var outHeight: Int, outWidth: Int

        /// The window of `attributes` over `x`.
        ///
        /// - Throws: `IntegerLoweringError` unless `x` is NCHW, the kernel 2-D and the output
        ///   non-empty.
        init(_ x: IntegerTensor, _ attributes: PoolAttributes) throws {
            guard x.shape.count == 4, attributes.kernelShape.count == 2, x.codes.count == x.shape.reduce(1, *) else {
                throw IntegerLoweringError("pooling needs an NCHW input and a 2-D kernel, got \(x.shape)")
            }
            (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            kernel = attributes.kernelShape
            strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
            dilations = attributes.dilations.isEmpty ? [1, 1] : attributes.dilations
            pads = attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads
            outHeight = outputSize(
                height, kernel: kernel[0], stride: strides[0], dilation: dilations[0], padding: pads[0] + pads[2],
                ceilMode: attributes.ceilMode, padBegin: pads[0])
            outWidth = outputSize(
                width, kernel: kernel[1], stride: strides[1], dilation: dilations[1], padding: pads[1] + pads[3],
                ceilMode: attributes.ceilMode, padBegin: pads[1])
            guard outHeight > 0, outWidth > 0 else {
                throw IntegerLoweringError("pooling: a \(height)×\(width) input is smaller than the window")
            }
        }

        /// `[batch, channels, outHeight, outWidth]`.
        var outputShape: [Int] { [batch, channels, outHeight, outWidth] }
    }

    /// MaxPool (the largest code of each window) or AveragePool (the mean of the codes minus the
    /// zero point, rounded half to even, as QLinearAveragePool), NCHW, floor mode.
    static func pool(_ x: IntegerTensor, _ attributes: PoolAttributes, average: Bool) throws -> IntegerTensor {
        let w = try PoolWindow(x, attributes)
        let zeroPoint = x.quantization.zeroPoint
        let range = x.quantization.codeRange
        var codes = [Int16](repeating: 0, count: w.outputShape.reduce(1, *))
        var index = 0
        for plane in 0..<(w.batch * w.channels) {
            let base = plane * w.height * w.width
            for oy in 0..<w.outHeight {
                for ox in 0..<w.outWidth {
                    var best = Int16.min, sum: Int32 = 0, count: Int32 = 0
                    for i in 0..<w.kernel[0] {
                        let y = oy * w.strides[0] - w.pads[0] + i * w.dilations[0]
                        for j in 0..<w.kernel[1] {
                            let xx = ox * w.strides[1] - w.pads[1] + j * w.dilations[1]
                            let inside = y >= 0 && y < w.height && xx >= 0 && xx < w.width
                            if inside {
                                let code = x.codes[base + y * w.width + xx]
                                best = max(best, code)
                                sum += Int32(code) - zeroPoint
                                count += 1
                            } else if attributes.countIncludePad {
                                count += 1
                            }
                        }
                    }
                    if average {
                        let mean = (Float(sum) / Float(max(count, 1))).rounded(.toNearestOrEven)
                        let code = min(max(Int32(mean) + zeroPoint, range.lowerBound), range.upperBound)
                        codes[index] = Int16(code)
                    } else {
                        codes[index] = best
                    }
                    index += 1
                }
            }
        }
        return IntegerTensor(shape: w.outputShape, codes: codes, quantization: x.quantization)
    }

    /// `pool` on `ck_qpool`: the same windows and arithmetic without Swift's bounds checks.
    static func fastPool(_ x: IntegerTensor, _ attributes: PoolAttributes, average: Bool) throws -> IntegerTensor {
        let w = try PoolWindow(x, attributes)
        let range = x.quantization.codeRange
        let codes = [Int16](unsafeUninitializedCapacity: w.outputShape.reduce(1, *)) { output, initialized in
            x.codes.withUnsafeBufferPointer { input in
                ck_qpool(
                    input.baseAddress, w.batch * w.channels, w.height, w.width, w.kernel[0], w.kernel[1], w.strides[0],
                    w.strides[1], w.pads[0], w.pads[1], w.dilations[0], w.dilations[1], w.outHeight, w.outWidth,
                    average ? 1 : 0, attributes.countIncludePad ? 1 : 0, x.quantization.zeroPoint, range.lowerBound,
                    range.upperBound, output.baseAddress)
            }
            initialized = output.count
        }
        return IntegerTensor(shape: w.outputShape, codes: codes, quantization: x.quantization)
    }
}
