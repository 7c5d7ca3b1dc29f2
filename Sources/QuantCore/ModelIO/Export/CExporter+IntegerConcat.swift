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

    /// `y = clamp(rint((a − z_a) · r_a + (b − z_b) · r_b)) + z_y`: `IntegerKernels.requantizedAdd`
    /// code for code (the products stored to `volatile float`s, so no compiler — GCC fuses across
    /// statements under `-ffp-contract=fast` — turns product and sum into a fused multiply-add).
    func requantizedAdd(
        _ add: IntegerAdd, a: CExporter.IntegerValue, b: CExporter.IntegerValue, y: CExporter.IntegerValue
    ) -> String {
        let (ra, rb) = add.ratios
        let zy = add.outputQuantization.zeroPoint
        let low = CExporter.cFloat(Float(add.clamp.lowerBound - zy))
        let high = CExporter.cFloat(Float(add.clamp.upperBound - zy))
        return """
            { /* \(CExporter.commentText(add.output)) = Add requantized: scales \(add.firstQuantization.scale) + \(add.secondQuantization.scale) -> \(add.outputQuantization.scale) */
                const \(a.cType) *x = \(name.uppercased())_AT(const \(a.cType), \(offsets[a.buffer]));
                const \(b.cType) *b = \(name.uppercased())_AT(const \(b.cType), \(offsets[b.buffer]));
                \(pointer(y, constant: false))
                int i;
                volatile float fa, fb; /* rounded to float each: no fused multiply-add */
                for (i = 0; i < \(y.count); i++) {
                    fa = (float)((int32_t)x[i] - \(add.firstQuantization.zeroPoint)) * \(CExporter.cFloat(ra));
                    fb = (float)((int32_t)b[i] - \(add.secondQuantization.zeroPoint)) * \(CExporter.cFloat(rb));
                    y[i] = (\(y.cType))(qd_round_clamped(fa + fb, \(low), \(high)) + \(zy));
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
