/// 2-D MaxPool and AveragePool in the float form: TFLite's VALID or SAME, ONNX pads SAME cannot
/// express as a PADV2 / PAD before, ceil mode as grown end pads, count_include_pad 0 as a MUL.
extension TFLiteConverter {
    /// MaxPool / AveragePool 2-D as MAX_POOL_2D / AVERAGE_POOL_2D (VALID or TensorFlow SAME padding).
    mutating func pool(
        _ kind: TFLiteOperatorKind, node: Node, attributes: PoolAttributes, label: String
    ) throws {
        guard let input = node.inputs.first, let output = node.outputs.first, let inShape = shapes[input],
            inShape.count == 4, attributes.kernelShape.count == 2
        else { throw unsupported("\(label) must be 2-D (a 4-D input)") }
        guard attributes.dilations.allSatisfy({ $0 == 1 }) else { throw unsupported("\(label) uses dilation") }
        let (attributes, strides, padding, explicit) = try poolGeometry(
            kind, attributes, input: input, output: output, label: label)
        let extents = [inShape[2], inShape[3]]
        guard padding == .valid || kind == .maxPool2D || !attributes.countIncludePad else {
            throw unsupported("\(label) has padding TFLite pooling cannot express (only none or TensorFlow's SAME)")
        }
        var source = try tensor(input, in: .nhwc)
        if let explicit {
            // Max: padded with the lowest float, so a pad never wins; average: with zeros.
            let low =
                kind == .maxPool2D
                ? addConstant("\(input)/pad_value", shape: [1], floats: [-.greatestFiniteMagnitude]) : nil
            source = padded(input, source, shape: inShape, pads: explicit, value: low)
        }
        let shape = shapes[output] ?? []
        // An average that must not count the pads: the zero-padded average times window / count.
        let correction = kind == .averagePool2D && !attributes.countIncludePad ? explicit : nil
        let out = addActivation(correction == nil ? output : "\(output)/padded_average", shape: shape, layout: .nhwc)
        add(
            kind, inputs: [source], outputs: [out],
            options: .pool2D(
                padding: padding, strideW: Int32(strides[1]), strideH: Int32(strides[0]),
                filterWidth: Int32(attributes.kernelShape[1]), filterHeight: Int32(attributes.kernelShape[0]),
                activation: .none))
        values[output] = Value(tensor: out, shape: shape, layout: .nhwc)
        if let pads = correction {
            let factors = Self.windowCorrection(
                window: attributes.kernelShape, strides: strides, pads: pads, input: extents,
                output: [shape[2], shape[3]])
            let factorTensor = addConstant(
                "\(output)/count_correction", shape: [1, shape[2], shape[3], 1], floats: factors)
            let corrected = addActivation(output, shape: shape, layout: .nhwc)
            add(.mul, inputs: [out, factorTensor], outputs: [corrected], options: .arithmetic(activation: .none))
            values[output] = Value(tensor: corrected, shape: shape, layout: .nhwc)
        }
    }

    /// A 2-D pooling's window in TFLite terms, for the float and the int8 forms: ceil mode as
    /// grown end pads (`floorEquivalent`), the strides, and VALID, TensorFlow's SAME, or the
    /// explicit pads a PAD / PADV2 must add first.
    func poolGeometry(
        _ kind: TFLiteOperatorKind, _ attributes: PoolAttributes, input: String, output: String, label: String
    ) throws -> (attributes: PoolAttributes, strides: [Int], padding: TFLiteSchema.Padding, explicit: [Int]?) {
        guard let inShape = shapes[input], inShape.count == 4 else { throw unsupported("\(label) needs a 4-D input") }
        var attributes = attributes
        if attributes.ceilMode {
            guard kind == .maxPool2D || !attributes.countIncludePad, attributes.autoPad == .notSet,
                let outShape = shapes[output], outShape.count == 4
            else { throw unsupported("\(label) uses ceil_mode with auto_pad or pads counted in the average") }
            attributes = Self.floorEquivalent(
                attributes, input: [inShape[2], inShape[3]], output: [outShape[2], outShape[3]])
        }
        let strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
        let extents = [inShape[2], inShape[3]]
        let window = try SlidingWindow(
            inputExtents: extents, kernel: attributes.kernelShape, strides: strides, pads: attributes.pads,
            dilations: [], autoPad: attributes.autoPad, node: label, op: kind.rawValue)
        let (padding, explicit) = try self.padding(
            window, extents: extents, kernel: attributes.kernelShape, strides: strides, dilations: [], label: label)
        return (attributes, strides, padding, explicit)
    }

    /// A ceil-mode pooling as a floor-mode one: the end pads grow until the last window ONNX
    /// keeps fits, so `output` (the ceil-mode extents) comes out of floor division. The grown pads
    /// hold the lowest float (max) or are not counted (average, count_include_pad 0), as ONNX's
    /// partial last windows.
    static func floorEquivalent(_ attributes: PoolAttributes, input: [Int], output: [Int]) -> PoolAttributes {
        var result = attributes
        var pads = attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads
        let strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
        for axis in 0..<2 {
            let needed =
                (output[axis] - 1) * strides[axis] + attributes.kernelShape[axis]
                - (input[axis] + pads[axis] + pads[axis + 2])
            if needed > 0 { pads[axis + 2] += needed }
        }
        result.pads = pads
        result.ceilMode = false
        return result
    }

    /// Per output position, `kH·kW / (window positions inside the image)`: turns an average over
    /// a zero-padded window into ONNX's average over the positions inside (count_include_pad 0).
    static func windowCorrection(window: [Int], strides: [Int], pads: [Int], input: [Int], output: [Int]) -> [Float] {
        func inside(_ position: Int, axis: Int) -> Int {
            let start = position * strides[axis] - pads[axis]
            return max(min(start + window[axis], input[axis]) - max(start, 0), 0)
        }
        var factors: [Float] = []
        factors.reserveCapacity(output[0] * output[1])
        for y in 0..<output[0] {
            for x in 0..<output[1] {
                let count = inside(y, axis: 0) * inside(x, axis: 1)
                factors.append(count == 0 ? 0 : Float(window[0] * window[1]) / Float(count))
            }
        }
        return factors
    }
}
