/// The int8 form of the integer model's Concat steps: QUANTIZE (int8 → int8, TFLite's
/// requantization) for an input of other parameters, then CONCATENATION, whose int8 kernel
/// needs every input on the output's scale and zero point.
extension TFLiteConverter {
    /// QUANTIZE from int8 to int8: `input`'s codes on the grid of `quantization`. TFLite requantizes
    /// with a fixed-point multiplier where the integer model rounds a float product, so a code
    /// can differ by one at a tie.
    mutating func requantize(_ input: String, output: String, quantization: ActivationQuantization) throws {
        guard let value = values[input] else { throw unsupported("value \(input) is never computed") }
        let file = try int8Quantization(quantization, of: output)
        let out = addCodes(output, shape: value.shape, layout: value.layout, file)
        add(.quantize, inputs: [value.tensor], outputs: [out])
        values[output] = Value(tensor: out, shape: value.shape, layout: value.layout)
        shapes[output] = value.shape
        codes[output] = CodeQuantization(lowered: quantization, file: file)
    }

    /// CONCATENATION of `inputs` (one quantization) along the NCHW `axis`, in the layout of the
    /// first input (NHWC images take the channel axis last).
    mutating func concatenate(_ inputs: [String], output: String, axis: Int) throws {
        guard let first = inputs.first, let value = values[first], let shape = shapes[output] else {
            throw unsupported("the Concat to \(output): its inputs or shape are unknown")
        }
        let rank = shape.count
        let cut = axis < 0 ? axis + rank : axis
        let layout = rank == 4 ? value.layout : .plain
        let fileAxis = layout == .nhwc ? [0, 3, 1, 2][cut] : cut
        let sources = try inputs.map { try tensor($0, in: layout) }
        try passThrough(
            .concatenation, inputs: sources, input: first, output: output, shape: shape, layout: layout,
            options: .concatenation(axis: Int32(fileAxis), activation: .none))
    }
}
