import Foundation
import Testing

@testable import QuantCore

/// What the model-zoo graphs need at load: all unsupported operators named at once, constant
/// folding (computed weights become layers), non-finite constants allowed outside weights, a
/// batch fixed at 1 run sample by sample, and classifier outputs read correctly.
@Suite struct ONNXModelZooLoadingTests {
    typealias M = ONNXTestModels

    @Test func everyUnsupportedOperatorIsNamedBeforeWeightsAreDecoded() throws {
        var broken = M.floatTensor("w", dims: [4], values: [1, 2, 3])  // 3 values for 4: malformed
        broken.name = "w"
        let model = M.model(
            nodes: [
                M.node("FancyOp", name: "f1", inputs: ["x", "w"], outputs: ["a"]),
                M.node("Relu", inputs: ["a"], outputs: ["b"]),
                M.node("OtherOp", name: "o1", inputs: ["b"], outputs: ["c"]),
                M.node("FancyOp", name: "f2", inputs: ["c"], outputs: ["y"]),
            ], inputs: [("x", [4])], outputs: [("y", [4])], initializers: [broken])
        let error = try #require(throws: ModelIOError.self) { try ONNXModel.decode(M.bytes(model), source: "m.onnx") }
        #expect(
            error
                == .unsupportedOperators(
                    path: "m.onnx", operators: ["FancyOp (2 nodes, first 'f1')", "OtherOp (node 'o1')"]))
        #expect(
            error.description == "m.onnx: 2 unsupported operators: FancyOp (2 nodes, first 'f1'), OtherOp (node 'o1')")
    }

    /// A Gemm whose weight comes from ConstantOfShape and whose bias is a Cast of an int64
    /// initializer: both folded at load, so the Gemm is a layer, and the results are unchanged.
    @Test func weightsComputedFromConstantsAreFoldedIntoLayers() throws {
        var shape = Onnx_TensorProto()
        shape.name = "w_shape"
        shape.dataType = 7
        shape.dims = [2]
        shape.int64Data = [3, 2]
        var bias = Onnx_TensorProto()
        bias.name = "b_int"
        bias.dataType = 7
        bias.dims = [3]
        bias.int64Data = [1, -2, 5]
        var fill = Onnx_AttributeProto()
        fill.name = "value"
        fill.type = .tensor
        fill.t = M.floatTensor("value", dims: [1], values: [0.5])
        let model = M.model(
            nodes: [
                M.node("ConstantOfShape", inputs: ["w_shape"], outputs: ["w"], attributes: [fill]),
                M.node("Cast", inputs: ["b_int"], outputs: ["b"], attributes: [M.intAttribute("to", 1)]),
                M.node(
                    "Gemm", name: "fc", inputs: ["x", "w", "b"], outputs: ["y"],
                    attributes: [M.intAttribute("transB", 1)]),
            ], inputs: [("x", [1, 2])], outputs: [("y", [1, 3])], initializers: [shape, bias])
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        #expect(graph.nodes.map(\.op.onnxName) == ["Gemm"])
        #expect(graph.layers.map(\.name) == ["fc"])
        #expect(graph.initializers["w"] == Tensor(shape: [3, 2], repeating: 0.5))
        #expect(graph.initializers["b"]?.storage == [1, -2, 5])
        let y = try GraphExecutor(graph: graph).run(["x": Tensor(shape: [1, 2], storage: [2, 4])])["y"]
        let expected: [Float] = [4, 1, 8]  // 0.5 · (2 + 4) plus the bias 1, −2, 5
        #expect(y?.storage == expected)
    }

    /// An attention-style mask of −inf may be a constant; a weight may not.
    @Test func nonFiniteConstantsAreAllowedOutsideWeights() throws {
        let mask = M.floatTensor("mask", dims: [2], values: [0, -.infinity])
        let masked = M.model(
            nodes: [M.node("Add", inputs: ["x", "mask"], outputs: ["y"])], inputs: [("x", [2])],
            outputs: [("y", [2])], initializers: [mask])
        let graph = try ONNXModel.decode(M.bytes(masked), source: "mask.onnx")
        let y = try GraphExecutor(graph: graph).run(["x": Tensor(shape: [2], storage: [1, 2])])["y"]
        #expect(y?.storage == [1, -.infinity])

        let weight = M.floatTensor("w", dims: [2, 2], values: [1, .nan, 0, 1])
        let layer = M.model(
            nodes: [M.node("MatMul", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [1, 2])],
            outputs: [("y", [1, 2])], initializers: [weight])
        #expect(
            throws: ModelIOError.malformed(
                path: "w.onnx", detail: "initializer 'w' holds nan at index 1; weights must be finite numbers")
        ) { try ONNXModel.decode(M.bytes(layer), source: "w.onnx") }
    }

    /// `[1, 4] → Reshape([1, -1]) → MatMul`: a batch of 3 gives exactly the three single runs.
    @Test func aBatchFixedAtOneRunsSampleBySample() throws {
        var target = Onnx_TensorProto()
        target.name = "target"
        target.dataType = 7
        target.dims = [2]
        target.int64Data = [1, -1]
        let weight = M.floatTensor("w", dims: [4, 2], values: [1, 0, 0, 1, 1, 1, -1, 2])
        let model = M.model(
            nodes: [
                M.node("Reshape", inputs: ["x", "target"], outputs: ["r"]),
                M.node("MatMul", inputs: ["r", "w"], outputs: ["y"]),
            ], inputs: [("x", [1, 2, 2])], outputs: [("y", [1, 2])], initializers: [target, weight])
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        let executor = try GraphExecutor(graph: graph)
        let batch = Tensor(shape: [3, 2, 2], storage: (0..<12).map { Float($0) - 5 })
        let together = try executor.run(["x": batch])["y"]
        var separately: [Float] = []
        for row in 0..<3 {
            separately += try executor.run(["x": batch.slice(rows: row..<(row + 1))])["y"]?.storage ?? []
        }
        #expect(together?.shape == [3, 2])
        #expect(together?.storage == separately)
        // The incremental path splits cached values the same way.
        let kept = try executor.run(["x": batch], keeping: ["r"])
        let again = try executor.run(from: 1, values: kept)["y"]
        #expect(again == together)
    }

    @Test func softmaxOutputsAreReadAsProbabilitiesAndTrailingOnesSqueezed() throws {
        let model = M.model(
            nodes: [M.node("Softmax", inputs: ["x"], outputs: ["y"], attributes: [M.intAttribute("axis", 1)])],
            inputs: [("x", [2, 3, 1, 1])], outputs: [("y", [2, 3, 1, 1])])
        let graph = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
        #expect(graph.classifierOutputKind == .probabilities)
        #expect(graph.classCount == 3)
        let logits: [Float] = [1, 2, 3, 0, 0, 5]
        let probabilities = try GraphExecutor(graph: graph).run(["x": Tensor(shape: [2, 3, 1, 1], storage: logits)])
        let read = graph.classifierLogits(try #require(probabilities["y"]))
        #expect(read.shape == [2, 3])
        let dataset = try Dataset(
            name: "t", images: Tensor(shape: [2, 3, 1, 1], storage: logits), labels: [0, 2], classCount: 3)
        let metrics = try Evaluator.metrics(of: read, for: 0..<2, in: dataset)
        let expected = [
            EvaluationMetrics.negativeLogLikelihood(logits[0..<3], label: 0),
            EvaluationMetrics.negativeLogLikelihood(logits[3..<6], label: 2),
        ]
        for (nll, reference) in zip(metrics.negativeLogLikelihoods, expected) {
            #expect(abs(nll - reference) < 1e-5)
        }
    }
}
