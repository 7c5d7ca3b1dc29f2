import Foundation

/// The full-integer int8 form: the `IntegerModel` that `eval --integer` runs, step by step, as
/// TFLite int8 operators. Weights are the integer model's int8 codes (per channel, zero point 0),
/// biases its int32 biases (scale `s_x · s_w` per channel), activations int8 with the calibrated
/// scales; a uint8 value's codes are stored shifted by −128 (zero point − 128, the same values).
/// TFLite derives each layer's requantization from the tensors' scales, as the integer model does.
extension TFLiteConverter {
    /// One value's codes: as the integer model holds them (`lowered`) and as the file stores them
    /// (`file`: signed 8-bit).
    struct CodeQuantization {
        var lowered: ActivationQuantization
        var file: ActivationQuantization

        /// The file code of lowered code `code` (the same real value, rounded to the file's grid).
        func fileCode(_ code: Int32) -> Int32 {
            let real = Double(code - lowered.zeroPoint) * Double(lowered.scale)
            let steps = (real / Double(file.scale)).rounded(.toNearestOrEven)
            return Int32(max(min(steps + Double(file.zeroPoint), 127), -128))
        }
    }

    /// The int8 quantization a value of `lowered` quantization is stored with.
    func int8Quantization(_ lowered: ActivationQuantization, of name: String) throws -> ActivationQuantization {
        guard lowered.bitWidth == 8 else {
            throw unsupported("value \(name) has \(lowered.bitWidth)-bit codes (TFLite int8 tensors hold 8 bits)")
        }
        let zeroPoint = lowered.isSigned ? lowered.zeroPoint : lowered.zeroPoint - 128
        return try ActivationQuantization(scale: lowered.scale, zeroPoint: zeroPoint, bitWidth: 8, isSigned: true)
    }

    /// Converts `integer` (float input QUANTIZE'd and float output DEQUANTIZE'd, or with
    /// `integerIO` int8 input and output); `weightScales` holds each layer's weight scales (one
    /// per output channel, or one per tensor).
    mutating func convert(
        _ integer: IntegerModel, weightScales: [String: [Float]], integerIO: Bool = false
    ) throws -> TFLiteModel {
        self.integer = true
        let name = integer.inputName
        let shape = shapes[name] ?? []
        let inputCodes = CodeQuantization(
            lowered: integer.inputQuantization, file: try int8Quantization(integer.inputQuantization, of: name))
        let input: Int32
        if integerIO {
            input = addCodes(name, shape: shape, layout: .plain, inputCodes.file)
            values[name] = Value(tensor: input, shape: shape, layout: .plain)
        } else {
            input = addActivation(name, shape: shape)
            let quantized = addCodes("\(name)/quantized", shape: shape, layout: .plain, inputCodes.file)
            add(.quantize, inputs: [input], outputs: [quantized])
            values[name] = Value(tensor: quantized, shape: shape, layout: .plain)
        }
        codes[name] = inputCodes
        for step in integer.steps { try convert(step, weightScales: weightScales) }
        var output = try tensor(integer.outputName, in: .plain)
        if !integerIO {
            let codesOut = output
            output = addActivation("\(integer.outputName)/dequantized", shape: values[integer.outputName]?.shape ?? [])
            add(.dequantize, inputs: [codesOut], outputs: [output])
        }
        model.inputs = [input]
        model.outputs = [output]
        return model
    }

    /// Adds an int8 activation tensor.
    mutating func addCodes(
        _ name: String, shape: [Int], layout: Layout, _ quantization: ActivationQuantization
    ) -> Int32 {
        model.addTensor(
            name, shape: layout == .nhwc ? Self.nhwc(shape) : shape, type: .int8,
            quantization: .init(scale: [quantization.scale], zeroPoint: [Int64(quantization.zeroPoint)]),
            dynamicBatch: dynamicBatch)
    }

    /// The codes of `name` (an error naming it when no step computed it).
    func codes(of name: String) throws -> CodeQuantization {
        guard let value = codes[name] else { throw unsupported("value \(name) is never computed") }
        return value
    }

    /// A step that keeps its input's codes and layout (pooling, ReLU, RESHAPE) writes `output`.
    mutating func passThrough(
        _ kind: TFLiteOperatorKind, inputs: [Int32], input: String, output: String, shape: [Int], layout: Layout,
        options: TFLiteModel.Options = .none
    ) throws {
        let quantization = try codes(of: input)
        let out = addCodes(output, shape: shape, layout: layout, quantization.file)
        add(kind, inputs: inputs, outputs: [out], options: options)
        values[output] = Value(tensor: out, shape: shape, layout: layout)
        codes[output] = quantization
    }

    private mutating func convert(_ step: IntegerStep, weightScales: [String: [Float]]) throws {
        switch step {
        case .linear(let layer):
            guard let scales = weightScales[layer.layerName] else {
                throw unsupported("layer \(layer.layerName) has no weight scales")
            }
            try linear(layer, weightScales: scales)
        case .maxPool(let input, let output, let attributes):
            try pool(.maxPool2D, input: input, output: output, attributes: attributes)
        case .averagePool(let input, let output, let attributes):
            try pool(.averagePool2D, input: input, output: output, attributes: attributes)
        case .add(let first, let second, let output):
            try add(first, second, output: output)
        case .requantizedAdd(let step):
            try requantizedAdd(step)  // TFLiteConverter+Add.swift
        case .clamp(let input, let output, let range):
            try clamp(input, output: output, range: range)
        case .globalAveragePool(let input, let output):
            guard let shape = shapes[input], shape.count == 4 else {
                throw unsupported("the GlobalAveragePool to \(output) needs a 4-D input")
            }
            try pool(
                .averagePool2D, input: input, output: output,
                attributes: PoolAttributes(kernelShape: [shape[2], shape[3]]))
        case .requantize(let input, let output, let quantization):
            try requantize(input, output: output, quantization: quantization)
        case .concat(let inputs, let output, let axis):
            try concatenate(inputs, output: output, axis: axis)
        case .reshape(let input, let output, _, _):
            guard let value = values[input], let target = shapes[output] else {
                throw unsupported("the reshape to \(output): the shapes are unknown")
            }
            let source: Int32
            if value.layout == .nhwc, value.shape.count == 4,
                value.shape[1] == 1 || value.shape[2] * value.shape[3] == 1
            {
                source = value.tensor  // same memory order in both layouts
            } else {
                source = try tensor(input, in: .plain)
            }
            let shape = reshapeTarget(target)
            let shapeTensor = addConstant("\(output)/shape", shape: [shape.count], ints: shape)
            try passThrough(
                .reshape, inputs: [source, shapeTensor], input: input, output: output, shape: target, layout: .plain,
                options: .reshape(newShape: shape))
        }
    }

    /// The fused activation whose clamp (TFLite: from the zero point, and to `zp + round(6 / s)`
    /// for RELU6) is `range` in file codes.
    func fusedActivation(
        _ range: ClosedRange<Int32>, quantization q: ActivationQuantization, label: String
    ) throws -> TFLiteSchema.Activation {
        let six = q.zeroPoint + Int32((6 / q.scale).rounded())
        let low = max(q.zeroPoint, -128)
        switch (range.lowerBound, range.upperBound) {
        case (...(-128), 127...): return .none
        case (low, 127...): return .relu
        case (low, min(six, 127)): return .relu6
        default:
            throw unsupported(
                "\(label) clamps its output codes to \(range), which no TFLite fused activation expresses")
        }
    }

    /// MAX_POOL_2D / AVERAGE_POOL_2D on int8 (input and output share the quantization).
    private mutating func pool(
        _ kind: TFLiteOperatorKind, input: String, output: String, attributes: PoolAttributes
    ) throws {
        guard let inShape = shapes[input], inShape.count == 4, attributes.kernelShape.count == 2 else {
            throw unsupported("the pooling to \(output) must be 2-D (a 4-D input)")
        }
        let (attributes, strides, padding, explicit) = try poolGeometry(
            kind, attributes, input: input, output: output, label: output)
        guard padding == .valid || kind == .maxPool2D || !attributes.countIncludePad,
            explicit == nil || kind == .maxPool2D
        else {
            throw unsupported(
                "the pooling to \(output) has padding TFLite pooling cannot express (only none or TensorFlow's SAME)")
        }
        var source = try tensor(input, in: .nhwc)
        if let explicit {
            // Padded with the lowest code (PADV2's value shares the input's quantization): a pad never wins.
            let q = try codes(of: input).file
            let lowest = model.addTensor(
                "\(input)/pad_value", shape: [1], type: .int8, data: [0x80],
                quantization: .init(scale: [q.scale], zeroPoint: [Int64(q.zeroPoint)]))
            source = padded(input, source, shape: inShape, pads: explicit, value: lowest)
        }
        try passThrough(
            kind, inputs: [source], input: input, output: output, shape: shapes[output] ?? [], layout: .nhwc,
            options: .pool2D(
                padding: padding, strideW: Int32(strides[1]), strideH: Int32(strides[0]),
                filterWidth: Int32(attributes.kernelShape[1]), filterHeight: Int32(attributes.kernelShape[0]),
                activation: .none))
    }

    /// ADD of two int8 values. The integer model keeps the exact sum (wider than 8 bits); the file
    /// requantizes it to int8 at the sum of the input scales (zero point −128 when both inputs are
    /// never negative), so it can differ from `eval --integer` by one code there.
    private mutating func add(_ first: String, _ second: String, output: String) throws {
        let (a, b) = (try codes(of: first), try codes(of: second))
        guard let value = values[first] else { throw unsupported("value \(first) is never computed") }
        let layout = value.layout
        let inputs = [try tensor(first, in: layout), try tensor(second, in: layout)]
        let unsigned = !a.lowered.isSigned && !b.lowered.isSigned
        let file = try ActivationQuantization(
            scale: a.file.scale + b.file.scale, zeroPoint: unsigned ? -128 : 0, bitWidth: 8, isSigned: true)
        let lowered = try ActivationQuantization(
            scale: a.lowered.scale, bitWidth: min(max(a.lowered.bitWidth, b.lowered.bitWidth) + 2, 16), isSigned: true)
        let shape = shapes[output] ?? value.shape
        let out = addCodes(output, shape: shape, layout: layout, file)
        add(.add, inputs: inputs, outputs: [out], options: .add(activation: .none))
        values[output] = Value(tensor: out, shape: shape, layout: layout)
        codes[output] = CodeQuantization(lowered: lowered, file: file)
    }

    /// A ReLU / Clip the integer model could not fold: RELU or RELU6 on int8, or nothing when
    /// the clamp keeps every int8 code.
    private mutating func clamp(_ input: String, output: String, range: ClosedRange<Int32>) throws {
        let quantization = try codes(of: input)
        guard let value = values[input] else { throw unsupported("value \(input) is never computed") }
        let fileRange = quantization.fileCode(range.lowerBound)...quantization.fileCode(range.upperBound)
        let activation = try fusedActivation(
            fileRange, quantization: quantization.file, label: "the clamp to \(output)")
        switch activation {
        case .none:
            values[output] = value
            codes[output] = quantization
        case .relu, .relu6:
            try passThrough(
                activation == .relu ? .relu : .relu6, inputs: [value.tensor], input: input, output: output,
                shape: value.shape, layout: value.layout)
        }
    }
}
