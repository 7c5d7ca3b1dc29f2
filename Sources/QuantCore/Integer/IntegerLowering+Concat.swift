/// Concat lowering: one quantization for the output, inputs of other parameters requantized.
extension IntegerLowering {
    /// The quantization a Concat of inputs quantized with `inputs` writes: theirs when they all
    /// agree (the codes are copied, exact); else the widest of them when they differ only in
    /// scale (every input's range fits it); else signed 8-bit symmetric over the largest
    /// magnitude any input can hold. The fake-quantized model keeps each input on its own grid,
    /// so a requantized input differs from it by at most half a step of the output's scale.
    static func concatQuantization(_ inputs: [ActivationQuantization]) throws -> ActivationQuantization {
        guard let first = inputs.first else { throw IntegerLoweringError("Concat of no inputs") }
        if inputs.allSatisfy({ $0 == first }) { return first }
        let sameKind = inputs.allSatisfy {
            $0.bitWidth == first.bitWidth && $0.isSigned == first.isSigned && $0.zeroPoint == first.zeroPoint
        }
        if sameKind, let widest = inputs.max(by: { $0.scale < $1.scale }) { return widest }
        let magnitude =
            inputs.map { q in
                max(abs(Float(q.codeRange.lowerBound - q.zeroPoint)), abs(Float(q.codeRange.upperBound - q.zeroPoint)))
                    * q.scale
            }.max() ?? 1
        return try ActivationQuantization(threshold: magnitude, bitWidth: 8, isSigned: true)
    }
}

extension IntegerLowering.State {
    /// Adds a Concat of `inputs` along `axis` writing `output`, each input of other parameters
    /// than the output's first requantized into a value of its own (`input>output`).
    mutating func concat(_ inputs: [String], output: String, axis: Int, label: String) throws {
        let parameters = inputs.compactMap { quantization[$0] }
        guard parameters.count == inputs.count, !inputs.isEmpty else {
            throw IntegerLoweringError("node \(label) (Concat): an input is float in the plan")
        }
        let target = try IntegerLowering.concatQuantization(parameters)
        var sources: [String] = []
        for (name, parameters) in zip(inputs, parameters) {
            guard parameters != target else {
                sources.append(name)
                continue
            }
            let requantized = "\(name)>\(output)"
            add(.requantize(input: name, output: requantized, target), output: requantized, quantization: target)
            sources.append(requantized)
        }
        add(.concat(inputs: sources, output: output, axis: axis), output: output, quantization: target)
    }
}
