/// The int8 form of the integer model's requantized Add: TFLite's int8 ADD takes each input's and
/// the output's scale and zero point, so the file carries the Add's own quantization, and a
/// folded ReLU / ReLU6 becomes its fused activation.
extension TFLiteConverter {
    /// ADD of `add`'s two int8 values to its output quantization. TFLite rescales both inputs
    /// with fixed-point multipliers where the integer model rounds float products, so a code can
    /// differ from `eval --integer` by one at a tie.
    mutating func requantizedAdd(_ add: IntegerAdd) throws {
        guard let value = values[add.first] else { throw unsupported("value \(add.first) is never computed") }
        let layout = value.layout
        let inputs = [try tensor(add.first, in: layout), try tensor(add.second, in: layout)]
        let file = try int8Quantization(add.outputQuantization, of: add.output)
        let quantization = CodeQuantization(lowered: add.outputQuantization, file: file)
        let fileRange = quantization.fileCode(add.clamp.lowerBound)...quantization.fileCode(add.clamp.upperBound)
        let activation = try fusedActivation(fileRange, quantization: file, label: "the Add to \(add.output)")
        let shape = shapes[add.output] ?? value.shape
        let out = addCodes(add.output, shape: shape, layout: layout, file)
        self.add(.add, inputs: inputs, outputs: [out], options: .add(activation: activation))
        values[add.output] = Value(tensor: out, shape: shape, layout: layout)
        codes[add.output] = quantization
    }
}
