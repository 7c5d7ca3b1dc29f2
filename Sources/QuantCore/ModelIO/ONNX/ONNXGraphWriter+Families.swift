import Foundation

extension ONNXGraphWriter {
    /// The attributes of the table-driven families and the indexing operators; reductions whose
    /// opset takes `axes` as an input get an int64 initializer instead of the attribute.
    mutating func familyAttributes(_ node: Node, proto: inout Onnx_NodeProto) throws -> [Onnx_AttributeProto] {
        switch node.op {
        case .binary(.fmod): return [.int("fmod", 1)]
        case .reduce(let reduction, let axes, let keepDims):
            var attributes: [Onnx_AttributeProto] = [.int("keepdims", keepDims ? 1 : 0)]
            if opset < reduction.axesInputOpset, !axes.isEmpty {
                attributes.append(.ints("axes", axes))
            } else if !axes.isEmpty {
                let name = freshName("\(node.displayName)_axes")
                let tensor = Tensor(shape: [axes.count], storage: axes.map { Float($0) })
                extraInitializers.append(
                    try ONNXTensorCoding.proto(from: tensor, name: name, elementType: .int64, path: path))
                proto.input = [node.inputs.first ?? "", name]
            }
            return attributes
        case .localResponseNormalization(let size, let alpha, let beta, let bias):
            return [.int("size", size), .float("alpha", alpha), .float("beta", beta), .float("bias", bias)]
        case .layerNormalization(let axis, let epsilon):
            return [.int("axis", axis), .float("epsilon", epsilon)]
        case .constantOfShape(let value, let type):
            var attribute = Onnx_AttributeProto()
            attribute.name = "value"
            attribute.type = .tensor
            attribute.t = try ONNXTensorCoding.proto(
                from: Tensor(shape: [1], storage: [value]), name: "value", elementType: type, path: path)
            return [attribute]
        case .cast(let type): return [.int("to", type.rawValue)]
        case .gatherElements(let axis): return [.int("axis", axis)]
        case .split(let axis):
            return node.inputs.count < 2
                ? [.int("axis", axis), .int("num_outputs", node.outputs.count)] : [.int("axis", axis)]
        case .argExtreme(_, let axis, let keepDims, let selectLastIndex):
            return [
                .int("axis", axis), .int("keepdims", keepDims ? 1 : 0),
                .int("select_last_index", selectLastIndex ? 1 : 0),
            ]
        case .hardSigmoid(let alpha, let beta): return [.float("alpha", alpha), .float("beta", beta)]
        case .gelu(let tanhApproximation): return tanhApproximation ? [.string("approximate", "tanh")] : []
        case .cumulativeSum(let exclusive, let reverse):
            return [.int("exclusive", exclusive ? 1 : 0), .int("reverse", reverse ? 1 : 0)]
        case .convTranspose(let conv):
            var attributes: [Onnx_AttributeProto] = [.int("group", conv.group)]
            for (name, values) in [
                ("kernel_shape", conv.kernelShape), ("strides", conv.strides), ("pads", conv.pads),
                ("dilations", conv.dilations), ("output_padding", conv.outputPadding),
                ("output_shape", conv.outputShape),
            ] where !values.isEmpty {
                attributes.append(.ints(name, values))
            }
            if conv.autoPad != .notSet { attributes.append(.string("auto_pad", conv.autoPad.rawValue)) }
            return attributes
        case .resize(let resize):
            // Resize-10/Upsample rounding is written as floor (the same whenever the axis grows).
            let nearest = resize.nearestMode == .legacy ? "floor" : resize.nearestMode.rawValue
            var attributes: [Onnx_AttributeProto] = [
                .string("mode", resize.mode.rawValue),
                .string("coordinate_transformation_mode", resize.coordinateTransformation.rawValue),
                .string("nearest_mode", nearest),
            ]
            if !resize.axes.isEmpty { attributes.append(.ints("axes", resize.axes)) }
            if resize.aspectRatioPolicy != .stretch {
                attributes.append(.string("keep_aspect_ratio_policy", resize.aspectRatioPolicy.rawValue))
            }
            return attributes
        case .instanceNormalization(let epsilon): return [.float("epsilon", epsilon)]
        case .groupNormalization(let groups, let epsilon, _):
            return [.int("num_groups", groups), .float("epsilon", epsilon)]
        case .topK(let axis, let largest, let sorted):
            return [.int("axis", axis), .int("largest", largest ? 1 : 0), .int("sorted", sorted ? 1 : 0)]
        case .einsum(let equation): return [.string("equation", equation.text)]
        default: return []
        }
    }
}
