import Foundation

/// Turns a `Graph` into an ONNX `ModelProto`: IR version 8, default-domain opset 13.
///
/// Output is deterministic (initializers and metadata sorted by name). A few operator
/// configurations need a newer opset and raise it for the whole model: Reshape `allowzero`
/// (opset 14), Shape `start`/`end` (15), Pad `axes` (18) and AveragePool `dilations` (19). Of
/// the other supported operators only ReduceMean changes form on the way (its axes become
/// input 1 from opset 18), which the writer follows. Clip bounds held as attributes (read from
/// opset < 11 files) are written as scalar initializers feeding inputs 1 and 2, as opset 13
/// requires. Softmax/LogSoftmax before opset 13 (`flattenedSoftmax`) is written as ONNX's
/// version converter does: `Shape(x)`, `Flatten(x, axis)`, `Softmax(·, axis −1)`, `Reshape` back.
struct ONNXGraphWriter {
    /// The ONNX IR version written.
    static let irVersion: Int64 = 8
    /// The default-domain opset written unless an operator needs a newer one.
    static let baseOpset = 13
    /// The `producer_name` written.
    static let producerName = "quantdash"

    /// The file, for errors.
    let path: String
    /// The default-domain opset being written.
    let opset: Int
    private var usedNames: Set<String>
    var extraInitializers: [Onnx_TensorProto] = []

    private init(path: String, graph: Graph) {
        self.path = path
        opset = ONNXGraphWriter.requiredOpset(graph)
        var names = Set(graph.inputs.map(\.name)).union(graph.initializers.keys).union(graph.outputs.map(\.name))
        for node in graph.nodes {
            names.formUnion(node.inputs)
            names.formUnion(node.outputs)
        }
        usedNames = names
    }

    /// The model for `graph`.
    ///
    /// - Throws: `ModelIOError.writeFailed` naming `path` when a tensor cannot be stored as its
    ///   element type.
    static func model(from graph: Graph, path: String) throws -> Onnx_ModelProto {
        var writer = ONNXGraphWriter(path: path, graph: graph)
        var proto = Onnx_GraphProto()
        proto.name = graph.name
        proto.node = try graph.nodes.flatMap { try writer.nodeProtos($0, types: graph.initializerTypes) }
        proto.initializer = try graph.initializers.keys.sorted().compactMap { name in
            guard let tensor = graph.initializers[name] else { return nil }
            return try ONNXTensorCoding.proto(
                from: tensor, name: name, elementType: graph.initializerTypes[name] ?? .float32, path: path)
        }
        proto.initializer += writer.extraInitializers
        proto.input = graph.inputs.map(valueInfoProto)
        proto.output = graph.outputs.map(valueInfoProto)

        var model = Onnx_ModelProto()
        // Opset 21 needs IR version 10 (ONNX's version table); older opsets keep IR 8.
        model.irVersion = writer.opset >= 21 ? 10 : irVersion
        model.producerName = producerName
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(writer.opset)
        model.opsetImport = [opset]
        model.graph = proto
        model.metadataProps = graph.metadata.keys.sorted().map { key in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = graph.metadata[key] ?? ""
            return entry
        }
        return model
    }

    /// The lowest opset (at least `baseOpset`) that expresses every node of `graph`.
    static func requiredOpset(_ graph: Graph) -> Int {
        var opset = baseOpset
        for node in graph.nodes {
            switch node.op {
            case .reshape(allowZero: true): opset = max(opset, 14)
            case .shape(let start, let end) where start != 0 || end != nil: opset = max(opset, 15)
            case .pad where node.inputs.count > 3 && !node.inputs[3].isEmpty: opset = max(opset, 18)
            case .averagePool(let attributes) where !attributes.dilations.isEmpty: opset = max(opset, 19)
            case .layerNormalization: opset = max(opset, 17)
            case .split where node.inputs.count < 2: opset = max(opset, 18)
            case .gelu: opset = max(opset, 20)
            case .resize(let attributes):
                // Axes and keep_aspect_ratio_policy came in 18, half_pixel_symmetric in 19.
                if attributes.coordinateTransformation == .halfPixelSymmetric {
                    opset = max(opset, 19)
                } else if !attributes.axes.isEmpty || attributes.aspectRatioPolicy != .stretch {
                    opset = max(opset, 18)
                }
            case .groupNormalization(_, _, let perChannelAffine): opset = max(opset, perChannelAffine ? 21 : 18)
            case .quantizeLinear(_, let type) where ![.int8, .uint8].contains(type): opset = max(opset, 21)
            case .dequantizeLinear:
                // 4- and 16-bit codes need opset 21; the codes' type is that of the initializer read.
                let type = node.inputs.first.flatMap { graph.initializerTypes[$0] } ?? .uint8
                if ![.int8, .uint8, .int32].contains(type) { opset = max(opset, 21) }
            default: break
            }
        }
        return opset
    }

    private static func valueInfoProto(_ value: ValueInfo) -> Onnx_ValueInfoProto {
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(value.elementType.rawValue)
        var shape = Onnx_TensorShapeProto()
        shape.dim = value.shape.enumerated().map { axis, extent in
            var dimension = Onnx_TensorShapeProto.Dimension()
            if let extent {
                dimension.dimValue = Int64(extent)
            } else if axis < value.dimensionNames.count, let name = value.dimensionNames[axis] {
                dimension.dimParam = name
            }
            return dimension
        }
        tensorType.shape = shape
        var proto = Onnx_ValueInfoProto()
        proto.name = value.name
        proto.type.tensorType = tensorType
        return proto
    }

    /// The node messages for `node`: one, except for the expansion of `flattenedSoftmax`.
    private mutating func nodeProtos(_ node: Node, types: [String: ElementType]) throws -> [Onnx_NodeProto] {
        switch node.op {
        case .flattenedSoftmax(let axis):
            return flattenedSoftmaxProtos(node, axis: axis, operator: .softmax(axis: -1))
        case .flattenedLogSoftmax(let axis):
            return flattenedSoftmaxProtos(node, axis: axis, operator: .logSoftmax(axis: -1))
        default:
            return [try nodeProto(node, types: types)]
        }
    }

    /// Softmax before opset 13 in opset-13 terms: `s = Shape(x)`, `f = Flatten(x, axis)`,
    /// `g = op(f, axis −1)`, `y = Reshape(g, s)`; the normalizing node keeps the name.
    private mutating func flattenedSoftmaxProtos(_ node: Node, axis: Int, operator op: Operator) -> [Onnx_NodeProto] {
        let base = node.displayName
        let input = node.inputs.first ?? "", output = node.outputs.first ?? ""
        let shape = freshName("\(base)_input_shape"), flat = freshName("\(base)_flat")
        let normalized = freshName("\(base)_rows")
        func proto(
            _ name: String, _ type: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto]
        ) -> Onnx_NodeProto {
            var proto = Onnx_NodeProto()
            proto.name = name
            proto.opType = type
            proto.input = inputs
            proto.output = [output]
            proto.attribute = attributes
            return proto
        }
        return [
            proto("\(base)_shape", "Shape", [input], shape, []),
            proto("\(base)_flatten", "Flatten", [input], flat, [.int("axis", axis)]),
            proto(node.name, op.onnxName, [flat], normalized, [.int("axis", -1)]),
            proto("\(base)_reshape", "Reshape", [normalized, shape], output, []),
        ]
    }

    private mutating func nodeProto(_ node: Node, types: [String: ElementType]) throws -> Onnx_NodeProto {
        var proto = Onnx_NodeProto()
        proto.name = node.name
        proto.opType = node.op.onnxName
        proto.input = node.inputs
        proto.output = node.outputs
        var attributes: [Onnx_AttributeProto] = []
        switch node.op {
        case .gemm(let gemm):
            attributes = [.float("alpha", gemm.alpha), .float("beta", gemm.beta)]
            if gemm.transposeA { attributes.append(.int("transA", 1)) }
            if gemm.transposeB { attributes.append(.int("transB", 1)) }
        case .conv(let conv):
            attributes = spatialAttributes(conv.kernelShape, conv.strides, conv.pads, conv.dilations, conv.autoPad)
            attributes.append(.int("group", conv.group))
        case .maxPool(let pool), .averagePool(let pool):
            attributes = spatialAttributes(pool.kernelShape, pool.strides, pool.pads, pool.dilations, pool.autoPad)
            if pool.ceilMode { attributes.append(.int("ceil_mode", 1)) }
            if case .averagePool = node.op, pool.countIncludePad { attributes.append(.int("count_include_pad", 1)) }
        case .batchNormalization(let epsilon): attributes = [.float("epsilon", epsilon)]
        case .leakyRelu(let alpha), .elu(let alpha): attributes = [.float("alpha", alpha)]
        case .selu(let alpha, let gamma): attributes = [.float("alpha", alpha), .float("gamma", gamma)]
        case .softmax(let axis), .logSoftmax(let axis), .flatten(let axis), .concat(let axis), .gather(let axis):
            attributes = [.int("axis", axis)]
        case .flattenedSoftmax(let axis), .flattenedLogSoftmax(let axis):
            attributes = [.int("axis", axis)]  // not reached: `nodeProtos` expands these
        case .transpose(let permutation):
            if !permutation.isEmpty { attributes = [.ints("perm", permutation)] }
        case .shape(let start, let end):
            if start != 0 { attributes.append(.int("start", start)) }
            if let end { attributes.append(.int("end", end)) }
        case .pad(let mode):
            attributes = [.string("mode", mode.rawValue)]
        case .reduceMean(let axes, let keepDims):
            attributes = [.int("keepdims", keepDims ? 1 : 0)]
            if opset < 18, !axes.isEmpty {
                attributes.append(.ints("axes", axes))
            } else if !axes.isEmpty {
                let name = freshName("\(node.displayName)_axes")
                let tensor = Tensor(shape: [axes.count], storage: axes.map { Float($0) })
                extraInitializers.append(
                    try ONNXTensorCoding.proto(from: tensor, name: name, elementType: .int64, path: path))
                proto.input = [node.inputs.first ?? "", name]
            }
        case .reshape(let allowZero):
            if allowZero { attributes = [.int("allowzero", 1)] }
        case .clip(let min, let max):
            for (slot, bound, label) in [(1, min, "min"), (2, max, "max")] {
                guard let bound else { continue }
                let name = freshName("\(node.displayName)_clip_\(label)")
                extraInitializers.append(
                    try ONNXTensorCoding.proto(
                        from: Tensor(scalar: bound), name: name, elementType: .float32, path: path))
                while proto.input.count <= slot { proto.input.append("") }
                proto.input[slot] = name
            }
        case .constant(let tensor):
            let output = node.outputs.first ?? ""
            var attribute = Onnx_AttributeProto()
            attribute.name = "value"
            attribute.type = .tensor
            attribute.t = try ONNXTensorCoding.proto(
                from: tensor, name: output, elementType: types[output] ?? .float32, path: path)
            attributes = [attribute]
        case .quantizeLinear(let axis, _), .dequantizeLinear(let axis):
            attributes = [.int("axis", axis)]
        case .matMul, .add, .sub, .mul, .div, .globalAveragePool, .globalMaxPool, .relu, .sigmoid, .tanh,
            .prelu, .softplus, .squeeze, .unsqueeze, .identity, .dropout:
            break
        case .unary, .binary, .variadic, .reduce, .localResponseNormalization, .layerNormalization, .constantOfShape,
            .cast, .expand, .where, .range, .slice, .gatherElements, .tile, .split, .size, .argExtreme, .hardSigmoid,
            .hardSwish, .gelu, .cumulativeSum, .convTranspose, .resize, .instanceNormalization, .groupNormalization,
            .topK, .einsum:
            attributes = try familyAttributes(node, proto: &proto)
        }
        proto.attribute = attributes
        return proto
    }

    /// Attributes shared by Conv and the pools; empty lists and `NOTSET` are omitted (ONNX defaults).
    private func spatialAttributes(
        _ kernelShape: [Int], _ strides: [Int], _ pads: [Int], _ dilations: [Int], _ autoPad: AutoPad
    ) -> [Onnx_AttributeProto] {
        var attributes: [Onnx_AttributeProto] = []
        for (name, values) in [
            ("kernel_shape", kernelShape), ("strides", strides), ("pads", pads), ("dilations", dilations),
        ]
        where !values.isEmpty {
            attributes.append(.ints(name, values))
        }
        if autoPad != .notSet {
            attributes.append(.string("auto_pad", autoPad.rawValue))
        }
        return attributes
    }

    /// `base`, or `base_2`, `base_3`, … : a value name not used anywhere in the graph.
    mutating func freshName(_ base: String) -> String {
        Graph.freshName(base, avoiding: &usedNames)
    }
}

extension Onnx_AttributeProto {
    /// An `INT` attribute.
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    /// An `INTS` attribute.
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map { Int64($0) }
        return attribute
    }

    /// A `FLOAT` attribute.
    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    /// A `STRING` attribute (UTF-8).
    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }
}
