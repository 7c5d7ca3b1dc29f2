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
        default: return []
        }
    }
}
