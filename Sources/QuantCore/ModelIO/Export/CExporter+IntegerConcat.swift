/// The C of the steps the model zoo's classic CNNs add: GlobalAveragePool (an AveragePool over
/// the whole plane), requantization to another grid, Concat (the codes copied in order) and the
/// requantized (residual) Add.
extension CExporter.IntegerEmitter {
    /// GlobalAveragePool of `x` (`[1, C, H, W]`) as an AveragePool with an `H × W` window.
    func globalAveragePool(label: String, x: CExporter.IntegerValue, y: CExporter.IntegerValue) -> String {
        pool(PoolAttributes(kernelShape: [x.shape[2], x.shape[3]]), average: true, label: label, x: x, y: y)
    }

    /// `y = qd_requantize(x − z_x, s_x / s_y, z_y, …)`: `IntegerKernels.requantized` code for code.
    mutating func requantize(label: String, x: CExporter.IntegerValue, y: CExporter.IntegerValue) -> String {
        let (from, to) = (x.quantization, y.quantization)
        if requantization == .fixedPoint {  // TFLite's QUANTIZE (int8 → int8), `IntegerKernels.requantize`'s
            requantizesFixedPoint = true
            let f = FixedPointMultiplier(Double(from.scale) / Double(to.scale))
            return """
                { /* \(CExporter.commentText(label)) = codes moved to the scale \(from.scale) -> \(to.scale) (a Concat input), fixed point */
                    \(pointer(x, constant: true))
                    \(pointer(y, constant: false))
                    int i;
                    for (i = 0; i < \(y.count); i++) {
                        y[i] = (\(y.cType))qd_requantize_fixed((int32_t)x[i] - \(from.zeroPoint), \(f.multiplier), \(f.shift), \(to.zeroPoint), \(to.codeRange.lowerBound), \(to.codeRange.upperBound));
                    }
                }
                """
        }
        requantizes = true
        let multiplier = CExporter.cFloat(from.scale / to.scale)
        let low = CExporter.cFloat(Float(to.codeRange.lowerBound - to.zeroPoint))
        let high = CExporter.cFloat(Float(to.codeRange.upperBound - to.zeroPoint))
        return """
            { /* \(CExporter.commentText(label)) = codes moved to the scale \(from.scale) -> \(to.scale) (a Concat input) */
                \(pointer(x, constant: true))
                \(pointer(y, constant: false))
                int i;
                for (i = 0; i < \(y.count); i++) {
                    y[i] = (\(y.cType))qd_requantize((int32_t)x[i] - \(from.zeroPoint), \(multiplier), \(to.zeroPoint), \(low), \(high));
                }
            }
            """
    }

    /// `y = clamp(rint(fma(a, r_a, fma(b, r_b, f))))` with `f` = `IntegerAdd.fixedPart`, codes in
    /// unsigned form (`IntegerAdd.unsignedOffsets`):
    /// `IntegerKernels.requantizedAdd` code for code, without libm's `fmaf`: each fused
    /// multiply-add is computed in `double` and rounded to `float` once. A code (up to 16 bits)
    /// times a `float` ratio is exact in `double` (40 bits), and so is its sum with `f` or with the
    /// inner result while the span from the larger's top bit to the smaller's last bit fits 53
    /// bits — for ratios of at least 2^−12 and sums below 2^17 (an operand 4096 times finer than
    /// the output would be all but invisible in it) — so the one rounding to `float` is the fused
    /// multiply-add's, and a compiler that fuses the `double` product and sum gets the same value.
    func requantizedAdd(
        _ add: IntegerAdd, a: CExporter.IntegerValue, b: CExporter.IntegerValue, y: CExporter.IntegerValue
    ) -> String {
        let (ra, rb) = add.ratios
        let (sa, sb, sy) = add.unsignedOffsets  // codes in unsigned form, as onnxruntime adds them
        let low = CExporter.cFloat(Float(add.clamp.lowerBound + sy))
        let high = CExporter.cFloat(Float(add.clamp.upperBound + sy))
        return """
            { /* \(CExporter.commentText(add.output)) = Add requantized: scales \(add.firstQuantization.scale) + \(add.secondQuantization.scale) -> \(add.outputQuantization.scale) */
                const \(a.cType) *x = \(name.uppercased())_AT(const \(a.cType), \(offsets[a.buffer]));
                const \(b.cType) *b = \(name.uppercased())_AT(const \(b.cType), \(offsets[b.buffer]));
                \(pointer(y, constant: false))
                int i;
                volatile float inner; /* fma(b, r_b, f) rounded to float before the second one */
                for (i = 0; i < \(y.count); i++) {
                    inner = (float)((double)((int32_t)b[i] + \(sb)) * (double)\(CExporter.cFloat(rb)) + (double)\(CExporter.cFloat(add.fixedPart)));
                    y[i] = (\(y.cType))(qd_round_clamped((float)((double)((int32_t)x[i] + \(sa)) * (double)\(CExporter.cFloat(ra)) + (double)inner), \(low), \(high)) - \(sy));
                }
            }
            """
    }

    /// Concat along `axis` of inputs of one quantization: each input's codes per outer index copied in turn.
    func concat(
        axis: Int, label: String, inputs: [CExporter.IntegerValue], y: CExporter.IntegerValue
    ) -> String {
        let cut = axis < 0 ? axis + y.shape.count : axis
        let outer = y.shape[..<max(cut, 0)].reduce(1, *)
        var lines: [String] = []
        var offset = 0
        for x in inputs {
            let chunk = x.count / max(outer, 1)
            lines.append(
                """
                    x = \(name.uppercased())_AT(const \(x.cType), \(offsets[x.buffer]));
                    for (o = 0; o < \(outer); o++) { for (i = 0; i < \(chunk); i++) { y[o * \(y.count / max(outer, 1)) + \(offset) + i] = x[o * \(chunk) + i]; } }
                """)
            offset += chunk
        }
        return """
            { /* \(CExporter.commentText(label)) = Concat along axis \(axis) of \(inputs.count) inputs of one quantization */
                const \(y.cType) *x;
                \(pointer(y, constant: false))
                int o, i;
            \(lines.joined(separator: "\n"))
            }
            """
    }
}
