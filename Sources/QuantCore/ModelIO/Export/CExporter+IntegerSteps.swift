extension CExporter {
    /// Writes the C of each integer step (loops with the shapes, zero points and clamps as
    /// literals) and the `static const` arrays of the linear layers, in `IntegerKernels`' order of
    /// arithmetic: `Σ (x − z_x) · w + bias` in `int32_t`, then `qd_requantize`.
    struct IntegerEmitter {
        /// The export's symbol prefix.
        var name: String
        /// Each buffer's offset in the arena.
        var offsets: [Int]
        /// The weight, bias and multiplier arrays, in step order.
        var arrays: [CArray] = []
        /// The C blocks of the steps, in order.
        var blocks: [String] = []
        /// Whether any step requantizes with a float multiplier (so `qd_requantize` is needed).
        var requantizes = false
        /// Whether any layer requantizes in TFLite's fixed point (so `qd_requantize_fixed` is needed).
        var requantizesFixedPoint = false
        /// The model's requantization, for the steps that are not layers (a Concat input's).
        var requantization = Requantization.float
        /// Identifiers already used for layers.
        private var usedIdentifiers = Set<String>()

        init(name: String, offsets: [Int]) {
            self.name = name
            self.offsets = offsets
        }

        /// `(type *)` at `value`'s place in the arena.
        func pointer(_ value: IntegerValue, constant: Bool) -> String {
            let type = (constant ? "const " : "") + value.cType
            return "\(type) *\(constant ? "x" : "y") = \(name.uppercased())_AT(\(type), \(offsets[value.buffer]));"
        }

        /// A distinct identifier for a layer's arrays.
        mutating func prefix(for layer: String) -> String {
            let base = "\(name)_\(identifier(layer))"
            var candidate = base, suffix = 2
            while usedIdentifiers.contains(candidate) {
                candidate = "\(base)_\(suffix)"
                suffix += 1
            }
            usedIdentifiers.insert(candidate)
            return candidate
        }

        mutating func emit(_ step: IntegerStep, inputs: [IntegerValue], output y: IntegerValue) {
            guard let x = inputs.first else { return }
            switch step {
            case .linear(let layer):
                let block = linear(layer, x: x, y: y)
                blocks.append(block)
            case .maxPool(_, let out, let attributes):
                blocks.append(pool(attributes, average: false, label: out, x: x, y: y))
            case .averagePool(_, let out, let attributes):
                blocks.append(pool(attributes, average: true, label: out, x: x, y: y))
            case .add(_, _, let out):
                let b = inputs[1]
                blocks.append(
                    """
                    { /* \(commentText(out)) = Add: the codes of one scale with zero point 0 add exactly */
                        \(pointer(x, constant: true))
                        const \(b.cType) *b = \(name.uppercased())_AT(const \(b.cType), \(offsets[b.buffer]));
                        \(pointer(y, constant: false))
                        int i;
                        for (i = 0; i < \(y.count); i++) { y[i] = (\(y.cType))((int32_t)x[i] + (int32_t)b[i]); }
                    }
                    """)
            case .requantizedAdd(let add):
                blocks.append(requantizedAdd(add, a: x, b: inputs[1], y: y))
            case .clamp(_, let out, let range):
                blocks.append(
                    """
                    { /* \(commentText(out)) = ReLU / Clip not folded: codes clamped to [\(range.lowerBound), \(range.upperBound)] */
                        \(pointer(x, constant: true))
                        \(pointer(y, constant: false))
                        int i;
                        int32_t v;
                        for (i = 0; i < \(y.count); i++) {
                            v = (int32_t)x[i];
                            y[i] = (\(y.cType))(v < \(range.lowerBound) ? \(range.lowerBound) : (v > \(range.upperBound) ? \(range.upperBound) : v));
                        }
                    }
                    """)
            case .reshape: break  // the same bytes under another shape
            case .globalAveragePool(_, let out):
                blocks.append(globalAveragePool(label: out, x: x, y: y))
            case .requantize(_, let out, _):
                blocks.append(requantize(label: out, x: x, y: y))
            case .concat(_, let out, let axis):
                blocks.append(concat(axis: axis, label: out, inputs: inputs, y: y))
            }
        }

        /// The requantization of `acc` for output channel `channel` (a C expression), in the layer's
        /// arithmetic: `qd_requantize` (float multiplier) or `qd_requantize_fixed` (significand, shift).
        func requantized(_ layer: IntegerLinear, multiplier: String, channel: String, y: IntegerValue) -> String {
            let zero = layer.outputQuantization.zeroPoint
            guard layer.requantization == .float else {
                let index =
                    layer.fixedPointMultipliers.allSatisfy({ $0 == layer.fixedPointMultipliers.first })
                    ? "0" : "2 * \(channel)"
                return "(\(y.cType))qd_requantize_fixed(acc, \(multiplier)[\(index)], \(multiplier)[\(index) + 1], "
                    + "\(zero), \(layer.clamp.lowerBound), \(layer.clamp.upperBound))"
            }
            let index = layer.multipliers.allSatisfy({ $0 == layer.multipliers.first }) ? "0" : channel
            return "(\(y.cType))qd_requantize(acc, \(multiplier)[\(index)], \(zero), "
                + "\(cFloat(Float(layer.clamp.lowerBound - zero))), \(cFloat(Float(layer.clamp.upperBound - zero))))"
        }

        /// The multiplier array of `layer` named `name`: one float32 per channel (or one for all),
        /// or in the fixed point the int32 pairs (significand, shift).
        func multiplierArray(_ layer: IntegerLinear, name: String) -> CArray {
            guard layer.requantization == .float else {
                let all = layer.fixedPointMultipliers
                let kept = all.allSatisfy({ $0 == all.first }) ? Array(all.prefix(1)) : all
                return CArray(
                    name: name,
                    comment: (kept.count == 1 ? "1 pair (one for every channel) of" : "[\(kept.count)][2]")
                        + " fixed-point requantization multipliers (int32 significand m, shift): "
                        + "s_x · s_w / s_y ≈ m · 2^(shift − 31)",
                    int32s: kept.flatMap { [$0.multiplier, $0.shift] })
            }
            let perTensor = layer.multipliers.allSatisfy { $0 == layer.multipliers.first }
            return CArray(
                name: name,
                comment: perTensor
                    ? "1 float32 requantization multiplier s_x · s_w / s_y (one for every channel)"
                    : "[\(layer.outputChannels)] float32 requantization multipliers s_x · s_w / s_y",
                floats: perTensor ? Array(layer.multipliers.prefix(1)) : layer.multipliers)
        }

        /// A Conv (direct loops over the window; padding reads as the zero point, adding 0) or a
        /// Gemm / MatMul (one dot product per output).
        mutating func linear(_ layer: IntegerLinear, x: IntegerValue, y: IntegerValue) -> String {
            if layer.requantization == .fixedPoint { requantizesFixedPoint = true } else { requantizes = true }
            let prefix = prefix(for: layer.layerName)
            arrays.append(
                CArray(
                    name: "\(prefix)_weights", comment: "[\(layer.outputChannels), \(layer.depth)] int8 weight codes",
                    int8s: layer.weights))
            let hasBias = layer.bias.contains { $0 != 0 }
            if hasBias {
                arrays.append(
                    CArray(
                        name: "\(prefix)_bias", comment: "[\(layer.outputChannels)] int32 biases (scale s_x · s_w)",
                        int32s: layer.bias))
            }
            arrays.append(multiplierArray(layer, name: "\(prefix)_multiplier"))
            let start = hasBias ? "\(prefix)_bias[o]" : "0"
            let zx = x.quantization.zeroPoint
            let store = requantized(layer, multiplier: "\(prefix)_multiplier", channel: "o", y: y)
            let label = "\(commentText(layer.layerName)): \(commentText(layer.input)) -> \(commentText(layer.output))"
            guard let g = layer.convolution else {
                return """
                    { /* \(label), \(layer.depth) -> \(layer.outputChannels) */
                        \(pointer(x, constant: true))
                        \(pointer(y, constant: false))
                        const int8_t *w;
                        int32_t acc;
                        int o, i;
                        for (o = 0; o < \(layer.outputChannels); o++) {
                            w = \(prefix)_weights + o * \(layer.depth);
                            acc = \(start);
                            for (i = 0; i < \(layer.depth); i++) { acc += ((int32_t)x[i] - \(zx)) * (int32_t)w[i]; }
                            y[o] = \(store);
                        }
                    }
                    """
            }
            let (height, width) = (x.shape[2], x.shape[3])
            let (outHeight, outWidth) = (y.shape[2], y.shape[3])
            let (kh, kw) = (g.kernel[0], g.kernel[1])
            let channelsPerGroup = layer.depth / (kh * kw), outputsPerGroup = layer.outputChannels / g.group
            return """
                { /* \(label): Conv \(kh)x\(kw), \(x.shape[1]) -> \(layer.outputChannels) channels, group \(g.group), stride \(g.strides[0])x\(g.strides[1]) */
                    \(pointer(x, constant: true))
                    \(pointer(y, constant: false))
                    const \(x.cType) *plane;
                    const int8_t *w;
                    int32_t acc;
                    int o, oy, ox, c, ky, kx, iy, ix;
                    for (o = 0; o < \(layer.outputChannels); o++) {
                        for (oy = 0; oy < \(outHeight); oy++) {
                            for (ox = 0; ox < \(outWidth); ox++) {
                                acc = \(start);
                                w = \(prefix)_weights + o * \(layer.depth);
                                for (c = 0; c < \(channelsPerGroup); c++) {
                                    plane = x + ((o / \(outputsPerGroup)) * \(channelsPerGroup) + c) * \(height * width);
                                    for (ky = 0; ky < \(kh); ky++, w += \(kw)) {
                                        iy = oy * \(g.strides[0]) - \(g.pads[0]) + ky * \(g.dilations[0]);
                                        if (iy < 0 || iy >= \(height)) { continue; }
                                        for (kx = 0; kx < \(kw); kx++) {
                                            ix = ox * \(g.strides[1]) - \(g.pads[1]) + kx * \(g.dilations[1]);
                                            if (ix >= 0 && ix < \(width)) { acc += ((int32_t)plane[iy * \(width) + ix] - \(zx)) * (int32_t)w[kx]; }
                                        }
                                    }
                                }
                                y[(o * \(outHeight) + oy) * \(outWidth) + ox] = \(store);
                            }
                        }
                    }
                }
                """
        }

        /// MaxPool (the largest code) or AveragePool (the mean of the codes minus the zero point,
        /// rounded half to even), NCHW, floor mode, padded positions skipped.
        func pool(
            _ attributes: PoolAttributes, average: Bool, label: String, x: IntegerValue, y: IntegerValue
        ) -> String {
            let p = PoolGeometry(attributes)
            let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
            let (outHeight, outWidth) = (y.shape[2], y.shape[3])
            let zero = x.quantization.zeroPoint, range = x.quantization.codeRange
            let inside =
                average
                ? "sum += (int32_t)x[(c * \(height) + iy) * \(width) + ix] - \(zero); count++;"
                : "v = (int32_t)x[(c * \(height) + iy) * \(width) + ix]; if (v > best) { best = v; }"
            let outside = average && attributes.countIncludePad ? " else { count++; }" : ""
            let result =
                average
                ? "(\(y.cType))(qd_round_clamped((float)sum / (float)(count > 0 ? count : 1), "
                    + "\(cFloat(Float(range.lowerBound - zero))), \(cFloat(Float(range.upperBound - zero)))) + \(zero))"
                : "(\(y.cType))best"
            return """
                { /* \(commentText(label)) = \(average ? "AveragePool" : "MaxPool") \(p.kernel[0])x\(p.kernel[1]), stride \(p.strides[0])x\(p.strides[1]) */
                    \(pointer(x, constant: true))
                    \(pointer(y, constant: false))
                    int c, oy, ox, ky, kx, iy, ix;
                    int32_t \(average ? "sum, count" : "v, best");
                    for (c = 0; c < \(channels); c++) {
                        for (oy = 0; oy < \(outHeight); oy++) {
                            for (ox = 0; ox < \(outWidth); ox++) {
                                \(average ? "sum = 0, count = 0;" : "best = -32768;")
                                for (ky = 0; ky < \(p.kernel[0]); ky++) {
                                    iy = oy * \(p.strides[0]) - \(p.pads[0]) + ky * \(p.dilations[0]);
                                    for (kx = 0; kx < \(p.kernel[1]); kx++) {
                                        ix = ox * \(p.strides[1]) - \(p.pads[1]) + kx * \(p.dilations[1]);
                                        if (iy >= 0 && iy < \(height) && ix >= 0 && ix < \(width)) { \(inside) }\(outside)
                                    }
                                }
                                y[(c * \(outHeight) + oy) * \(outWidth) + ox] = \(result);
                            }
                        }
                    }
                }
                """
        }
    }
}
