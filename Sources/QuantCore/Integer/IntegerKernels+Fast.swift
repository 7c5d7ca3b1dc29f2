import CKernels

/// Conv / Gemm / MatMul on the C kernels (`ck_qconv`, `ck_qdense`): weights packed once at
/// lowering, im2col over the whole batch into one reused buffer per thread, the GEMM's tiles
/// requantized as they finish. Bit for bit `convolve` and `dense` (IntegerFastKernelTests).
extension IntegerKernels {
    /// Multiply-adds below which a layer runs on one thread: splitting costs a wake-up of the
    /// pool's threads, more than a small layer takes.
    static let minimumWorkPerThread = 1 << 20

    /// One Conv, Gemm or MatMul step with the `variant` kernels over up to `threads` threads, each
    /// with at least `minimumWork` multiply-adds (tests lower it to split small layers).
    /// `compaction`: the direct convolution's choice (`ck_qlinear_params.compaction`: 0 by the
    /// share of padding slots, 1 always, -1 never, k > 1 in chunks of k − 1 blocks; tests force
    /// each).
    static func linear(
        _ layer: IntegerLinear, _ x: IntegerTensor, variant: IntegerKernelVariant, threads: Int,
        minimumWork: Int = minimumWorkPerThread, compaction: Int32 = 0
    ) throws -> IntegerTensor {
        let out = layer.outputQuantization
        let group = layer.convolution?.group ?? 1
        var params = ck_qlinear_params(
            n: layer.outputChannels / max(group, 1), k: layer.depth, packed: nil, direct: nil, bias: nil,
            multipliers: nil,
            fixed_point: nil, input_zero_point: x.quantization.zeroPoint, output_zero_point: out.zeroPoint,
            low: layer.clamp.lowerBound, high: layer.clamp.upperBound,
            input_low: x.quantization.codeRange.lowerBound, input_high: x.quantization.codeRange.upperBound,
            compaction: compaction)
        guard layer.bias.count == layer.outputChannels, layer.multipliers.count == layer.outputChannels,
            layer.fixedPointMultipliers.count == layer.outputChannels,
            layer.packed.count == ck_qpack_weights_count(params.n, params.k) * group, params.n > 0
        else { throw IntegerLoweringError("\(layer.layerName): the weights do not fit the layer's shape") }
        let shape: [Int]
        var geometry: ck_qconv_shape? = nil
        if layer.convolution != nil {
            let g = try convolutionShape(layer, x)
            geometry = g
            shape = [g.batch, layer.outputChannels, g.out_h, g.out_w]
        } else {
            guard let batch = x.shape.first, x.codes.count == batch * layer.depth else {
                throw IntegerLoweringError(
                    "\(layer.layerName): input shape \(x.shape) does not have \(layer.depth) features")
            }
            shape = [batch, layer.outputChannels]
        }
        let rows = geometry.map { $0.batch * $0.out_h * $0.out_w } ?? shape[0]
        let count = shape.reduce(1, *)
        guard rows > 0 else {
            return IntegerTensor(shape: shape, codes: [Int16](repeating: 0, count: count), quantization: out)
        }
        let work = rows * params.n * group * layer.depth
        let workers = max(1, min(threads, work / max(minimumWork, 1), (rows + 15) / 16))
        let bufferCount = ck_qbuffer_count(layer.depth)
        let request = variant.code
        // TFLite's fixed point when the layer asks for it (NULL: MLAS's float multipliers).
        let fixedPoint =
            layer.requantization == .fixedPoint
            ? layer.fixedPointMultipliers.map { ck_qfixed(multiplier: $0.multiplier, shift: $0.shift) } : []
        // Every code is written by the kernels: no zeroing first.
        let codes = [Int16](unsafeUninitializedCapacity: count) { output, initialized in
            layer.bias.withUnsafeBufferPointer { bias in
                layer.multipliers.withUnsafeBufferPointer { multipliers in
                    fixedPoint.withUnsafeBufferPointer { fixedPoint in
                        x.codes.withUnsafeBufferPointer { input in
                            params.packed = UnsafePointer(layer.packed.words)
                            params.direct = layer.packed.direct.map { UnsafePointer($0) }
                            params.bias = bias.baseAddress
                            params.multipliers = multipliers.baseAddress
                            params.fixed_point = fixedPoint.isEmpty ? nil : fixedPoint.baseAddress
                            let (params, input, output) = (params, input, output)
                            // Split on 16-position panels so no two threads share a tile.
                            let panels = (rows + 15) / 16
                            WorkerPool.shared.run(workerCount: workers) { worker in
                                let first = min(rows, panels * worker / workers * 16)
                                let end = min(rows, panels * (worker + 1) / workers * 16)
                                guard first < end else { return }
                                let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: bufferCount)
                                defer { buffer.deallocate() }
                                withUnsafePointer(to: params) { params in
                                    if var geometry {
                                        ck_qconv(
                                            request, &geometry, params, input.baseAddress, first, end, buffer,
                                            output.baseAddress)
                                    } else {
                                        ck_qdense(
                                            request, params, input.baseAddress, first, end, buffer, output.baseAddress)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return IntegerTensor(shape: shape, codes: codes, quantization: out)
    }

    /// The C geometry of `layer` over the NCHW input `x`, checked (the reference `convolve` reads
    /// it too).
    static func convolutionShape(_ layer: IntegerLinear, _ x: IntegerTensor) throws -> ck_qconv_shape {
        guard let geometry = layer.convolution, x.shape.count == 4 else {
            throw IntegerLoweringError("\(layer.layerName): input shape \(x.shape) is not NCHW")
        }
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (geometry.kernel[0], geometry.kernel[1])
        let channelsPerGroup = layer.depth / max(kh * kw, 1)
        guard channelsPerGroup * geometry.group == channels, layer.outputChannels % geometry.group == 0,
            x.codes.count == batch * channels * height * width
        else {
            throw IntegerLoweringError(
                "\(layer.layerName): input has \(channels) channels, the weights expect \(channelsPerGroup * geometry.group)"
            )
        }
        let outHeight = outputSize(
            height, kernel: kh, stride: geometry.strides[0], dilation: geometry.dilations[0],
            padding: geometry.pads[0] + geometry.pads[2])
        let outWidth = outputSize(
            width, kernel: kw, stride: geometry.strides[1], dilation: geometry.dilations[1],
            padding: geometry.pads[1] + geometry.pads[3])
        guard outHeight > 0, outWidth > 0 else {
            throw IntegerLoweringError("\(layer.layerName): a \(height)×\(width) input is smaller than the kernel")
        }
        return ck_qconv_shape(
            batch: batch, channels: channels, height: height, width: width, kernel_h: kh, kernel_w: kw,
            stride_h: geometry.strides[0], stride_w: geometry.strides[1], pad_top: geometry.pads[0],
            pad_left: geometry.pads[1], dilation_h: geometry.dilations[0], dilation_w: geometry.dilations[1],
            out_h: outHeight, out_w: outWidth, group: geometry.group)
    }
}
