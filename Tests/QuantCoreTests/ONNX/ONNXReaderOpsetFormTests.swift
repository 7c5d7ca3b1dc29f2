import Foundation
import Testing

@testable import QuantCore

/// How the reader maps Transpose, Pad, ReduceMean, PRelu, Softplus, Squeeze/Unsqueeze, Shape,
/// Gather and old Softmax across the opsets where their operands moved between attributes and inputs.
@Suite struct ONNXReaderOpsetFormTests {
    typealias M = ONNXTestModels

    private func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values
        return attribute
    }

    private func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    private func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    private func int64Tensor(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 7
        tensor.dims = [Int64(values.count)]
        tensor.int64Data = values
        return tensor
    }

    /// The graph read from one node over input `x` of `shape`, output `y`.
    private func graph(
        _ node: Onnx_NodeProto, opset: Int64, shape: [Int64] = [2, 3, 4], initializers: [Onnx_TensorProto] = []
    ) throws -> Graph {
        let model = M.model(
            nodes: [node], inputs: [("x", shape)], outputs: [("y", [])], initializers: initializers, opset: opset)
        return try ONNXModel.decode(M.bytes(model), source: "m.onnx")
    }

    @Test func newOperatorsTakeONNXDefaults() throws {
        let cases: [(String, [String], Operator)] = [
            ("Transpose", ["x"], .transpose(permutation: [])), ("Gather", ["x", "i"], .gather(axis: 0)),
            ("Shape", ["x"], .shape(start: 0, end: nil)), ("ReduceMean", ["x"], .reduceMean(axes: [], keepDims: true)),
            ("Pad", ["x", "i"], .pad(mode: .constant)), ("PRelu", ["x", "i"], .prelu), ("Softplus", ["x"], .softplus),
            ("Elu", ["x"], .elu(alpha: 1)),
            ("Selu", ["x"], .selu(alpha: Operator.seluAlpha, gamma: Operator.seluGamma)),
            ("Squeeze", ["x"], .squeeze), ("Unsqueeze", ["x", "i"], .unsqueeze),
        ]
        for (type, inputs, op) in cases {
            let read = try graph(
                M.node(type, inputs: inputs, outputs: ["y"]), opset: 13, initializers: [int64Tensor("i", [0])])
            #expect(read.nodes.map(\.op) == [op], "\(type)")
        }
    }

    @Test func oldPadAttributesBecomeInputs() throws {
        // Pad-2: pads and value as attributes → int64 "y__pads" and float scalar "y__value".
        let pad = M.node(
            "Pad", name: "p", inputs: ["x"], outputs: ["y"],
            attributes: [string("mode", "edge"), ints("pads", [0, 1, 0, 0, 2, 0]), float("value", 0.5)])
        let read = try graph(pad, opset: 6)
        #expect(
            read.nodes == [
                Node(name: "p", op: .pad(mode: .edge), inputs: ["x", "y__pads", "y__value"], outputs: ["y"])
            ])
        #expect(
            read.initializers == [
                "y__pads": Tensor(shape: [6], storage: [0, 1, 0, 0, 2, 0]), "y__value": Tensor(scalar: 0.5),
            ])
        #expect(read.initializerTypes == ["y__pads": .int64])
        // Pad-1 called them `paddings`; a zero value needs no input.
        let first = try graph(
            M.node("Pad", inputs: ["x"], outputs: ["y"], attributes: [ints("paddings", [1, 0, 0, 0, 0, 0])]), opset: 1)
        #expect(first.nodes.map(\.inputs) == [["x", "y__pads"]])
    }

    @Test func padModesOutsideTheEngineAreNamed() {
        let wrap = M.node("Pad", name: "p", inputs: ["x", "x"], outputs: ["y"], attributes: [string("mode", "wrap")])
        #expect(
            throws: ModelIOError.invalidGraph(path: "m.onnx", .unsupported(node: "p", op: "Pad", detail: "mode 'wrap'"))
        ) {
            try graph(wrap, opset: 19)
        }
        let odd = M.node("Pad", name: "p", inputs: ["x", "x"], outputs: ["y"], attributes: [string("mode", "mirror")])
        let expected = ModelIOError.invalidGraph(
            path: "m.onnx",
            .invalidAttribute(node: "p", op: "Pad", detail: "mode 'mirror' is not one of constant, reflect, edge"))
        #expect(throws: expected) { try graph(odd, opset: 13) }
    }

    @Test func oldSqueezeAndUnsqueezeAxesBecomeInputs() throws {
        let unsqueeze = try graph(
            M.node("Unsqueeze", inputs: ["x"], outputs: ["y"], attributes: [ints("axes", [0, -1])]), opset: 11)
        #expect(unsqueeze.nodes.map(\.inputs) == [["x", "y__axes"]])
        #expect(unsqueeze.initializers["y__axes"] == Tensor(shape: [2], storage: [0, -1]))
        #expect(unsqueeze.initializerTypes["y__axes"] == .int64)
        // Squeeze without axes (all extent-1 axes) stays without.
        let squeeze = try graph(M.node("Squeeze", inputs: ["x"], outputs: ["y"]), opset: 11)
        #expect(squeeze.nodes.map(\.inputs) == [["x"]] && squeeze.initializers.isEmpty)
        #expect(throws: ModelIOError.self) { try graph(M.node("Unsqueeze", inputs: ["x"], outputs: ["y"]), opset: 11) }
    }

    @Test func reduceMeanAxesInputFromOpset18IsFolded() throws {
        let node = M.node(
            "ReduceMean", inputs: ["x", "axes"], outputs: ["y"], attributes: [M.intAttribute("keepdims", 0)])
        let read = try graph(node, opset: 18, initializers: [int64Tensor("axes", [1, -1])])
        #expect(
            read.nodes == [
                Node(name: "", op: .reduceMean(axes: [1, -1], keepDims: false), inputs: ["x"], outputs: ["y"])
            ])
        #expect(read.initializers.isEmpty)  // nothing else reads it
        // Before opset 18 the axes are an attribute.
        let old = M.node("ReduceMean", inputs: ["x"], outputs: ["y"], attributes: [ints("axes", [2])])
        #expect(try graph(old, opset: 13).nodes.map(\.op) == [.reduceMean(axes: [2], keepDims: true)])
        // Axes computed at run time cannot become an attribute.
        let computed = M.node("ReduceMean", name: "r", inputs: ["x", "x"], outputs: ["y"])
        #expect(throws: ModelIOError.self) { try graph(computed, opset: 18) }
    }

    @Test func oldPReluSlopeIsPerChannel() throws {
        // Opset 6: a [3] slope for X [2, 3, 4] means one slope per channel (axis 1) → [3, 1].
        let node = M.node("PRelu", inputs: ["x", "slope"], outputs: ["y"])
        let slope = M.floatTensor("slope", dims: [3], values: [0.1, 0.2, 0.3])
        let read = try graph(node, opset: 6, initializers: [slope])
        #expect(read.initializers["slope"] == Tensor(shape: [3, 1], storage: [0.1, 0.2, 0.3]))
        // From opset 7 the same file broadcasts from the trailing axis: left alone.
        #expect(try graph(node, opset: 7, shape: [2, 4, 3], initializers: [slope]).initializers["slope"]?.shape == [3])
        // A single slope is shared everywhere in every opset.
        let shared = M.floatTensor("slope", dims: [1], values: [0.25])
        #expect(try graph(node, opset: 6, initializers: [shared]).initializers["slope"]?.shape == [1])
        // A slope computed at run time cannot be realigned.
        let computed = M.node("PRelu", name: "p", inputs: ["x", "x"], outputs: ["y"])
        let error = #expect(throws: ModelIOError.self) { try graph(computed, opset: 6) }
        guard case .invalidGraph(_, .unsupported(node: "p", op: "PRelu", _))? = error else {
            Issue.record("expected .unsupported, got \(String(describing: error))")
            return
        }
    }

    @Test func oldSoftmaxFlattensUnlessTheAxisIsLast() throws {
        // Opset 6, default axis 1 of a rank-3 input: normalizes over axes 1 and 2 together.
        let softmax = M.node("Softmax", name: "s", inputs: ["x"], outputs: ["y"])
        #expect(try graph(softmax, opset: 6).nodes.map(\.op) == [.flattenedSoftmax(axis: 1)])
        let logSoftmax = M.node("LogSoftmax", inputs: ["x"], outputs: ["y"], attributes: [M.intAttribute("axis", 0)])
        #expect(try graph(logSoftmax, opset: 12).nodes.map(\.op) == [.flattenedLogSoftmax(axis: 0)])
        // Over the last axis both meanings agree: the single-axis operator.
        #expect(try graph(softmax, opset: 6, shape: [2, 3]).nodes.map(\.op) == [.softmax(axis: 1)])
        let last = M.node("LogSoftmax", inputs: ["x"], outputs: ["y"], attributes: [M.intAttribute("axis", -1)])
        #expect(try graph(last, opset: 6).nodes.map(\.op) == [.logSoftmax(axis: -1)])
        // Opset 13 defaults to the last axis.
        #expect(try graph(softmax, opset: 13).nodes.map(\.op) == [.softmax(axis: -1)])
    }
}
