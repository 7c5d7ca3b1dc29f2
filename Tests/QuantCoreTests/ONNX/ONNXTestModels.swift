import Foundation
import QuantTestSupport
@testable import QuantCore

/// Hand-built graphs and ONNX messages shared by the ONNX tests.
enum ONNXTestModels {
    /// A small CNN touching most attribute kinds, with a dynamic batch axis.
    ///
    /// image [batch, 1, 8, 8] → Conv(pads 1) → Conv(group 2, stride 2, asymmetric pads) → Relu
    /// → MaxPool 2×2 → Flatten → Gemm(transB) → Reshape(int64 shape initializer)
    /// → Mul(Constant) → Reshape(int64 Constant) → Softmax.
    static var smallCNN: Graph {
        func ramp(_ shape: [Int], scale: Float) -> Tensor {
            let count = Tensor.elementCount(of: shape)
            return Tensor(shape: shape, storage: (0..<count).map { Float($0 % 7 - 3) * scale })
        }
        let initializers: [String: Tensor] = [
            "conv1.weight": ramp([4, 1, 3, 3], scale: 0.1),  // [out, in, kH, kW]
            "conv1.bias": ramp([4], scale: 0.01),
            "conv2.weight": ramp([4, 2, 3, 3], scale: 0.05),  // [out, in/group, kH, kW]
            "fc.weight": ramp([10, 16], scale: 0.02),  // [out, in]
            "fc.bias": ramp([10], scale: 0.001),
            "shape": Tensor(shape: [3], storage: [-1, 2, 5]),
        ]
        let nodes = [
            Node(
                name: "conv1", op: .conv(ConvAttributes(kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1])),
                inputs: ["image", "conv1.weight", "conv1.bias"], outputs: ["c1"]),
            Node(
                name: "conv2",
                op: .conv(
                    ConvAttributes(
                        kernelShape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], dilations: [1, 1], group: 2)),
                inputs: ["c1", "conv2.weight"], outputs: ["c2"]),
            Node(name: "relu", op: .relu, inputs: ["c2"], outputs: ["r"]),
            Node(
                name: "pool", op: .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2])), inputs: ["r"],
                outputs: ["p"]),
            Node(name: "flatten", op: .flatten(axis: 1), inputs: ["p"], outputs: ["f"]),
            Node(
                name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["f", "fc.weight", "fc.bias"],
                outputs: ["g"]),
            Node(name: "reshape1", op: .reshape(allowZero: false), inputs: ["g", "shape"], outputs: ["g3"]),
            Node(name: "half", op: .constant(Tensor(shape: [1], storage: [0.5])), inputs: [], outputs: ["half"]),
            Node(name: "scale", op: .mul, inputs: ["g3", "half"], outputs: ["m"]),
            Node(
                name: "flat_shape", op: .constant(Tensor(shape: [2], storage: [0, -1])), inputs: [],
                outputs: ["flat_shape"]),
            Node(name: "reshape2", op: .reshape(allowZero: false), inputs: ["m", "flat_shape"], outputs: ["logits"]),
            Node(name: "softmax", op: .softmax(axis: -1), inputs: ["logits"], outputs: ["probabilities"]),
        ]
        return Graph(
            name: "small_cnn",
            inputs: [ValueInfo(name: "image", shape: [nil, 1, 8, 8])],
            outputs: [ValueInfo(name: "probabilities", shape: [nil, 10])],
            initializers: initializers,
            initializerTypes: ["shape": .int64, "flat_shape": .int64],
            nodes: nodes,
            metadata: ["quantdash.note": "round trip", "author": "tests"])
    }

    /// A graph with one node per `Operator` case (wired to be valid, not meaningful), except
    /// `flattenedSoftmax`/`flattenedLogSoftmax`, which are written as four nodes (see
    /// `ONNXRoundTripTests.flattenedSoftmaxIsWrittenAsTheVersionConverterDoes`).
    static var everyOperator: Graph {
        let operators: [Operator] = [
            .gemm(GemmAttributes(alpha: 0.5, beta: 2, transposeA: true, transposeB: false)), .matMul, .add, .sub, .mul,
            .div,
            .conv(
                ConvAttributes(
                    kernelShape: [3], strides: [2], pads: [1, 0], dilations: [2], group: 1, autoPad: .notSet)),
            .conv(ConvAttributes(autoPad: .sameUpper)),
            .maxPool(
                PoolAttributes(
                    kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 2], ceilMode: true)),
            .averagePool(PoolAttributes(kernelShape: [2, 2], countIncludePad: true, autoPad: .valid)),
            .globalAveragePool, .globalMaxPool, .batchNormalization(epsilon: 1e-3), .relu, .clip(min: nil, max: nil),
            .leakyRelu(alpha: 0.2), .sigmoid, .tanh, .softmax(axis: 1), .logSoftmax(axis: -1), .flatten(axis: 0),
            .reshape(allowZero: false), .concat(axis: -2), .identity, .dropout, .constant(Tensor(scalar: 3)),
            .prelu, .softplus, .elu(alpha: 0.5), .selu(alpha: Operator.seluAlpha, gamma: 2),
            .transpose(permutation: [1, 0, 2]), .transpose(permutation: []), .squeeze, .unsqueeze,
            .shape(start: 0, end: nil), .gather(axis: -1), .pad(mode: .reflect), .pad(mode: .constant),
            .reduceMean(axes: [0, -1], keepDims: false), .reduceMean(axes: [], keepDims: true),
        ]
        var nodes: [Node] = []
        var previous = "x"
        for (index, op) in operators.enumerated() {
            let output = "v\(index)"
            let inputs: [String]
            switch op {
            case .constant: inputs = []
            case .gemm, .matMul, .add, .sub, .mul, .div, .conv, .reshape, .concat, .prelu, .unsqueeze, .gather:
                inputs = [previous, "w"]
            case .pad(.constant): inputs = [previous, "w", "w"]
            case .clip: inputs = [previous, "", "w"]
            case .batchNormalization: inputs = [previous, "w", "w", "w", "w"]
            default: inputs = [previous]
            }
            nodes.append(
                Node(name: index.isMultiple(of: 2) ? "" : "node\(index)", op: op, inputs: inputs, outputs: [output]))
            previous = output
        }
        return Graph(
            name: "every_operator",
            inputs: [ValueInfo(name: "x", shape: [nil, 3, nil, 4], dimensionNames: ["batch", nil, "height", nil])],
            outputs: [ValueInfo(name: previous, shape: [])],
            initializers: ["w": Tensor(shape: [2], storage: [1, 2])], nodes: nodes)
    }

    /// Folder of the copied ONNX backend test cases.
    static var backendTests: URL {
        TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/onnx-backend-tests")
    }

    /// A model message around `nodes`, with float inputs and outputs of the given shapes.
    static func model(
        nodes: [Onnx_NodeProto], inputs: [(String, [Int64])], outputs: [(String, [Int64])],
        initializers: [Onnx_TensorProto] = [], opset: Int64 = 13
    ) -> Onnx_ModelProto {
        func valueInfo(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
            var info = Onnx_ValueInfoProto()
            info.name = name
            info.type.tensorType.elemType = 1
            info.type.tensorType.shape.dim = dims.map { extent in
                var dimension = Onnx_TensorShapeProto.Dimension()
                dimension.dimValue = extent
                return dimension
            }
            return info
        }
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = opset
        model.opsetImport = [opsetID]
        model.graph.name = "test"
        model.graph.node = nodes
        model.graph.input = inputs.map(valueInfo)
        model.graph.output = outputs.map(valueInfo)
        model.graph.initializer = initializers
        return model
    }

    /// A node message.
    static func node(
        _ opType: String, name: String = "", inputs: [String], outputs: [String], domain: String = "",
        attributes: [Onnx_AttributeProto] = []
    ) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.name = name
        node.input = inputs
        node.output = outputs
        node.domain = domain
        node.attribute = attributes
        return node
    }

    /// An `INT` attribute message.
    static func intAttribute(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = value
        return attribute
    }

    /// A float32 initializer message with `float_data`.
    static func floatTensor(_ name: String, dims: [Int64], values: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 1
        tensor.dims = dims
        tensor.floatData = values
        return tensor
    }

    /// Serialized bytes of `model` (test helper; traps on failure).
    static func bytes(_ model: Onnx_ModelProto) -> Data {
        try! model.serializedBytes()
    }
}
