import Foundation

/// An `IntegerLinear` as CONV_2D (group 1), DEPTHWISE_CONV_2D (one group per input channel) or
/// FULLY_CONNECTED, on int8 with per-channel int8 weights (zero point 0) and int32 biases.
extension TFLiteConverter {
    mutating func linear(_ layer: IntegerLinear, weightScales: [Float]) throws {
        let label = "layer \(layer.layerName)"
        let channels = layer.outputChannels
        let scales = weightScales.count == 1 ? Array(repeating: weightScales[0], count: channels) : weightScales
        guard scales.count == channels else {
            throw unsupported("\(label) has \(weightScales.count) weight scales for \(channels) output channels")
        }
        let x = try codes(of: layer.input)
        let y = CodeQuantization(
            lowered: layer.outputQuantization, file: try int8Quantization(layer.outputQuantization, of: layer.output))
        let clamp = y.fileCode(layer.clamp.lowerBound)...y.fileCode(layer.clamp.upperBound)
        let activation = try fusedActivation(clamp, quantization: y.file, label: label)
        // The bias is in units of s_x · s_w; a file input scale other than the integer model's
        // (after an ADD) rescales it.
        let ratio = Double(x.lowered.scale) / Double(x.file.scale)
        let bias =
            ratio == 1
            ? layer.bias
            : layer.bias.map { Int32(clamping: Int64((Double($0) * ratio).rounded(.toNearestOrEven))) }
        let biasTensor = model.addTensor(
            "\(layer.layerName)/bias", shape: [channels], type: .int32, data: Self.bytes(bias),
            quantization: .init(
                scale: scales.map { x.file.scale * $0 }, zeroPoint: Array(repeating: 0, count: channels)))
        let outShape = shapes[layer.output] ?? []
        let layout: Layout = layer.convolution == nil ? .plain : .nhwc
        let out = addCodes(layer.output, shape: outShape, layout: layout, y.file)
        if let convolution = layer.convolution {
            try conv(layer, convolution, scales: scales, bias: biasTensor, out: out, activation: activation)
        } else {
            guard let inShape = shapes[layer.input], inShape.count == 2, inShape[1] == layer.depth else {
                throw unsupported("\(label) must read a 2-D input of \(layer.depth) features")
            }
            let source = try tensor(layer.input, in: .plain)
            let weights = addWeights(
                layer.layerName, shape: [channels, layer.depth], codes: layer.weights, scales: scales, axis: 0)
            add(
                .fullyConnected, inputs: [source, weights, biasTensor], outputs: [out],
                options: .fullyConnected(activation: activation))
        }
        values[layer.output] = Value(tensor: out, shape: outShape, layout: layout)
        codes[layer.output] = y
    }

    /// A constant int8 weight tensor with per-channel scales along `axis` (zero points 0).
    private mutating func addWeights(
        _ name: String, shape: [Int], codes: [Int8], scales: [Float], axis: Int32
    ) -> Int32 {
        model.addTensor(
            "\(name)/weights", shape: shape, type: .int8, data: codes.map { UInt8(bitPattern: $0) },
            quantization: .init(
                scale: scales, zeroPoint: Array(repeating: 0, count: scales.count), quantizedDimension: axis))
    }

    /// CONV_2D or DEPTHWISE_CONV_2D; pads TFLite cannot express become an int8 PAD (which pads
    /// with the input's zero point, i.e. real 0).
    private mutating func conv(
        _ layer: IntegerLinear, _ geometry: IntegerConvolution, scales: [Float], bias: Int32, out: Int32,
        activation: TFLiteSchema.Activation
    ) throws {
        let label = "layer \(layer.layerName)"
        guard let inShape = shapes[layer.input], inShape.count == 4, geometry.kernel.count == 2 else {
            throw unsupported("\(label) must be a 2-D convolution (a 4-D input)")
        }
        guard geometry.dilations.allSatisfy({ $0 == 1 }) else { throw unsupported("\(label) is dilated") }
        let (inC, outC, kh, kw) = (inShape[1], layer.outputChannels, geometry.kernel[0], geometry.kernel[1])
        let strides = geometry.strides
        let extents = [inShape[2], inShape[3]]
        let window = try SlidingWindow(
            inputExtents: extents, kernel: [kh, kw], strides: strides, pads: geometry.pads, dilations: [],
            autoPad: .notSet, node: label, op: "Conv")
        let (padding, explicit) = try self.padding(
            window, extents: extents, kernel: [kh, kw], strides: strides, dilations: [], label: label)
        var source = try tensor(layer.input, in: .nhwc)
        if let explicit {
            let pads: [Int32] = [0, 0, explicit[0], explicit[2], explicit[1], explicit[3], 0, 0].map { Int32($0) }
            let padsTensor = addConstant("\(layer.input)/pads", shape: [4, 2], ints: pads)
            let padded = [
                inShape[0], inC, inShape[2] + explicit[0] + explicit[2], inShape[3] + explicit[1] + explicit[3],
            ]
            let output = addCodes(
                "\(layer.input)/padded", shape: padded, layout: .nhwc, try codes(of: layer.input).file)
            add(.pad, inputs: [source, padsTensor], outputs: [output])
            source = output
        }
        let (strideW, strideH) = (Int32(strides[1]), Int32(strides[0]))
        if geometry.group == 1 {
            // [out, in, kH, kW] → OHWI.
            var filter = [Int8](repeating: 0, count: layer.weights.count)
            for o in 0..<outC {
                for c in 0..<inC {
                    for y in 0..<kh {
                        for x in 0..<kw {
                            filter[((o * kh + y) * kw + x) * inC + c] = layer.weights[((o * inC + c) * kh + y) * kw + x]
                        }
                    }
                }
            }
            let weights = addWeights(
                layer.layerName, shape: [outC, kh, kw, inC], codes: filter, scales: scales, axis: 0)
            add(
                .conv2D, inputs: [source, weights, bias], outputs: [out],
                options: .conv2D(padding: padding, strideW: strideW, strideH: strideH, activation: activation))
        } else if geometry.group == inC, layer.depth == kh * kw, outC % inC == 0 {
            // [out, 1, kH, kW] → [1, kH, kW, out], quantized along the last axis.
            var filter = [Int8](repeating: 0, count: layer.weights.count)
            for o in 0..<outC {
                for y in 0..<kh {
                    for x in 0..<kw { filter[(y * kw + x) * outC + o] = layer.weights[(o * kh + y) * kw + x] }
                }
            }
            let weights = addWeights(layer.layerName, shape: [1, kh, kw, outC], codes: filter, scales: scales, axis: 3)
            add(
                .depthwiseConv2D, inputs: [source, weights, bias], outputs: [out],
                options: .depthwiseConv2D(
                    padding: padding, strideW: strideW, strideH: strideH, depthMultiplier: Int32(outC / inC),
                    activation: activation))
        } else {
            throw unsupported(
                "\(label) is a grouped convolution (group \(geometry.group) of \(inC) channels), which TFLite's int8 "
                    + "kernels do not run (only group 1 or one group per channel)")
        }
    }
}
