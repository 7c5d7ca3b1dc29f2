import Foundation
import Testing

@testable import QuantCore

/// Attribute defaults, Constant forms, old-opset forms and value descriptions on the read path.
@Suite struct ONNXReaderTests {
    typealias M = ONNXTestModels

    private func attribute(
        _ name: String, floats: [Float]? = nil, ints: [Int64]? = nil, float: Float? = nil
    ) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        if let floats { attribute.type = .floats; attribute.floats = floats }
        if let ints { attribute.type = .ints; attribute.ints = ints }
        if let float { attribute.type = .float; attribute.f = float }
        return attribute
    }

    private func ops(
        _ nodes: [Onnx_NodeProto], opset: Int64 = 13, inputs: [(String, [Int64])] = [("x", [2, 3])]
    ) throws -> [Operator] {
        let outputs = nodes.compactMap { $0.output.first }.map { ($0, [Int64]()) }
        let model = M.model(
            nodes: nodes, inputs: inputs, outputs: outputs, initializers: [M.floatTensor("w", dims: [1], values: [1])],
            opset: opset)
        return try ONNXModel.decode(M.bytes(model), source: "m.onnx").nodes.map(\.op)
    }

    @Test func missingAttributesTakeONNXDefaults() throws {
        #expect(
            try ops([
                M.node("Gemm", inputs: ["x", "w"], outputs: ["a"]),
                M.node("Conv", inputs: ["x", "w"], outputs: ["b"]),
                M.node("BatchNormalization", inputs: ["x", "w", "w", "w", "w"], outputs: ["c"]),
                M.node("LeakyRelu", inputs: ["x"], outputs: ["d"]),
                M.node("Flatten", inputs: ["x"], outputs: ["e"]),
                M.node("Reshape", inputs: ["x", "w"], outputs: ["f"]),
                M.node("Softmax", inputs: ["x"], outputs: ["g"]),
                M.node("LogSoftmax", inputs: ["x"], outputs: ["h"]),
                M.node("Clip", inputs: ["x"], outputs: ["i"]),
            ]) == [
                .gemm(GemmAttributes()), .conv(ConvAttributes()), .batchNormalization(epsilon: 1e-5),
                .leakyRelu(alpha: 0.01),
                .flatten(axis: 1), .reshape(allowZero: false), .softmax(axis: -1), .logSoftmax(axis: -1),
                .clip(min: nil, max: nil),
            ])
    }

    @Test func poolsNeedAKernelShape() {
        let model = M.model(
            nodes: [M.node("MaxPool", name: "p", inputs: ["x"], outputs: ["y"])], inputs: [("x", [1])],
            outputs: [("y", [1])])
        #expect(
            throws: ModelIOError.invalidGraph(
                path: "m.onnx", .invalidAttribute(node: "p", op: "MaxPool", detail: "kernel_shape is required"))
        ) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func maxPoolIndicesOutputIsUnsupported() {
        let model = M.model(
            nodes: [
                M.node(
                    "MaxPool", name: "p", inputs: ["x"], outputs: ["y", "indices"],
                    attributes: [attribute("kernel_shape", ints: [2])])
            ],
            inputs: [("x", [1, 1, 4])], outputs: [("y", [1, 1, 2])])
        #expect(
            throws: ModelIOError.invalidGraph(
                path: "m.onnx", .unsupported(node: "p", op: "MaxPool", detail: "the Indices output"))
        ) {
            try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        }
    }

    @Test func constantFormsAndTheirTypes() throws {
        let nodes = [
            M.node("Constant", inputs: [], outputs: ["a"], attributes: [attribute("value_float", float: 1.5)]),
            M.node("Constant", inputs: [], outputs: ["b"], attributes: [attribute("value_floats", floats: [1, 2])]),
            M.node("Constant", inputs: [], outputs: ["c"], attributes: [M.intAttribute("value_int", 7)]),
            M.node("Constant", inputs: [], outputs: ["d"], attributes: [attribute("value_ints", ints: [-1, 4])]),
        ]
        let model = M.model(nodes: nodes, inputs: [], outputs: [("a", []), ("b", [2]), ("c", []), ("d", [2])])
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        #expect(
            graph.nodes.map(\.op) == [
                .constant(Tensor(scalar: 1.5)), .constant(Tensor(shape: [2], storage: [1, 2])),
                .constant(Tensor(scalar: 7)), .constant(Tensor(shape: [2], storage: [-1, 4])),
            ])
        #expect(graph.initializerTypes == ["c": .int64, "d": .int64])
        // Written back, the integer constants are INT64 tensors again.
        let written = try Onnx_ModelProto(serializedBytes: ONNXModel.encode(graph))
        #expect(written.graph.node.map(\.attribute.first?.t.dataType) == [1, 1, 7, 7])
    }

    @Test func oldReshapeShapeAttributeBecomesAnInput() throws {
        let model = M.model(
            nodes: [
                M.node(
                    "Reshape", name: "r", inputs: ["x"], outputs: ["y"],
                    attributes: [attribute("shape", ints: [3, -1])])
            ],
            inputs: [("x", [2, 3])], outputs: [("y", [3, 2])], opset: 1)
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        #expect(
            graph.nodes == [Node(name: "r", op: .reshape(allowZero: false), inputs: ["x", "y__shape"], outputs: ["y"])])
        #expect(graph.initializers["y__shape"] == Tensor(shape: [2], storage: [3, -1]))
        #expect(graph.initializerTypes["y__shape"] == .int64)
    }

    @Test func oldClipKeepsItsBoundsAndOldSoftmaxDefaultsToAxisOne() throws {
        #expect(
            try ops(
                [
                    M.node("Clip", inputs: ["x"], outputs: ["a"], attributes: [attribute("min", float: 0)]),
                    M.node("Softmax", inputs: ["a"], outputs: ["b"]),
                ], opset: 6) == [.clip(min: 0, max: nil), .softmax(axis: 1)])
    }

    @Test func concatNeedsAnAxisFromOpsetFour() throws {
        #expect(try ops([M.node("Concat", inputs: ["x", "x"], outputs: ["y"])], opset: 3) == [.concat(axis: 1)])
        #expect(throws: ModelIOError.self) {
            try ops([M.node("Concat", inputs: ["x", "x"], outputs: ["y"])], opset: 4)
        }
    }

    @Test func dynamicAxesAreNilAndKeepTheirNames() throws {
        var model = M.model(
            nodes: [M.node("Relu", inputs: ["x"], outputs: ["y"])], inputs: [("x", [0, 3, 0])], outputs: [("y", [])])
        model.graph.input[0].type.tensorType.shape.dim[0].dimParam = "N"
        model.graph.input[0].type.tensorType.shape.dim[2] = Onnx_TensorShapeProto.Dimension()  // neither value nor name
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        #expect(graph.inputs == [ValueInfo(name: "x", shape: [nil, 3, nil], dimensionNames: ["N", nil, nil])])
        #expect(try ONNXModel.decode(ONNXModel.encode(graph), source: "again") == graph)
    }

    @Test func nodesOutOfOrderComeOutSorted() throws {
        let model = M.model(
            nodes: [
                M.node("Relu", name: "second", inputs: ["a"], outputs: ["y"]),
                M.node("Sigmoid", name: "first", inputs: ["x"], outputs: ["a"]),
            ], inputs: [("x", [1])], outputs: [("y", [1])])
        #expect(try ONNXModel.decode(M.bytes(model), source: "m.onnx").nodes.map(\.name) == ["first", "second"])
    }
}
