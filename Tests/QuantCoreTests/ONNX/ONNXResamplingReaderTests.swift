import Foundation
import Testing

@testable import QuantCore

/// What the reader makes of ConvTranspose, Resize and Einsum beyond the numbers the backend and
/// onnxruntime cases check: ConvTranspose weights are quantizable layers, unsupported forms are
/// refused with a message naming the form.
@Suite struct ONNXResamplingReaderTests {
    typealias M = ONNXTestModels

    static func stringAttribute(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }

    /// The description of the error decoding `model` throws, or "" when it loads.
    static func refusal(_ model: Onnx_ModelProto) -> String {
        do {
            _ = try ONNXModel.decode(M.bytes(model), source: "m.onnx")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func convTransposeWeightIsAQuantizableLayerWithOutputChannelsOnAxisOne() throws {
        let weight: [Float] = (0..<48).map { (index: Int) -> Float in Float(index % 7) / 7 - 0.5 }
        let model = M.model(
            nodes: [M.node("ConvTranspose", name: "up", inputs: ["x", "w", "b"], outputs: ["y"])],
            inputs: [("x", [1, 4, 3, 3])], outputs: [("y", [1, 3, 4, 4])],
            initializers: [
                M.floatTensor("w", dims: [4, 3, 2, 2], values: weight),
                M.floatTensor("b", dims: [3], values: [0.5, -1, 2]),
            ])
        let graph = try ONNXModel.decode(M.bytes(model), source: "up.onnx")
        let layer = try #require(graph.layers.first)
        #expect(graph.layers.count == 1)
        #expect(layer.opName == "ConvTranspose")
        #expect(layer.weightShape == [4, 3, 2, 2])
        #expect(layer.outputChannelAxis == 1)
        #expect(layer.biasName == "b")
        #expect(layer.parameterCount == 48 + 3)
        // Per-output-channel blocks run along axis 1: three channels of 4·2·2 weights each.
        let blocks = try BlockLayout(
            shape: layer.weightShape, outputChannelAxis: layer.outputChannelAxis, granularity: .channel)
        #expect(blocks.channelCount == 3)
        // A 1×1 input scatters the kernel: Y[0, m] = x · W[0, m] + B[m] with only channel 0 set.
        let executor = try GraphExecutor(graph: graph)
        var x = Tensor(shape: [1, 4, 3, 3])
        x.storage[0] = 2  // X[0, 0, 0, 0]
        let y = try #require(try executor.run(["x": x])["y"])
        #expect(y.shape == [1, 3, 4, 4])
        let expected: Float = 2 * weight[5] - 1  // W[0, 1, 0, 1] is element 5
        #expect(y[0, 1, 0, 1] == expected)
        #expect(y[0, 2, 3, 3] == 2)  // outside the kernel's reach: the bias alone
    }

    @Test(arguments: ONNXRuntimeOpCaseTests.cases)
    func operatorsSurviveWritingAndReadingBack(_ name: String) throws {
        let graph = try ONNXModel.load(
            contentsOf: ONNXRuntimeOpCaseTests.folder.appendingPathComponent(name).appendingPathComponent("model.onnx"))
        let decoded = try ONNXModel.decode(try ONNXModel.encode(graph), source: "memory")
        for (written, original) in zip(decoded.nodes.map(\.op), graph.nodes.map(\.op)) {
            if case .resize(var attributes) = original, attributes.nearestMode == .legacy {
                // Resize-10/Upsample rounding is written as opset-13 floor (equal when enlarging).
                attributes.nearestMode = .floor
                #expect(written == .resize(attributes))
            } else {
                #expect(written == original)
            }
        }
        #expect(decoded.nodes.count == graph.nodes.count)
    }

    @Test func einsumOutsideTheSupportedFormsIsRefusedNamingTheEquation() {
        for (equation, reason) in [
            ("ii->i", "diagonals are not supported"), ("ij,jk,kl->il", "3 operands"),
            ("ij->k", "output label 'k' is in no operand"),
        ] {
            let inputs = equation.hasPrefix("ij,jk,kl") ? ["a", "a", "a"] : ["a"]
            let model = M.model(
                nodes: [
                    M.node(
                        "Einsum", name: "e", inputs: inputs, outputs: ["y"],
                        attributes: [Self.stringAttribute("equation", equation)])
                ], inputs: [("a", [3, 3])], outputs: [("y", [3])], opset: 12)
            let message = Self.refusal(model)
            #expect(message.contains("equation '\(equation)'"), "\(message)")
            #expect(message.contains(reason), "\(message)")
        }
    }

    @Test func einsumEquationsParseExplicitAndImplicitOutputs() throws {
        #expect(try EinsumEquation("bhid,bhjd->bhij").output == Array("bhij"))
        #expect(try EinsumEquation("ij,jk").output == Array("ik"))
        #expect(try EinsumEquation("...ij,...jk").output == [EinsumEquation.ellipsis, "i", "k"])
        #expect(try EinsumEquation(" b i j , b j k -> b i k ").operands == [Array("bij"), Array("bjk")])
    }

    @Test func cubicResizeAndCropAndResizeAreRefusedByName() {
        for (attribute, expected) in [
            (Self.stringAttribute("mode", "cubic"), "mode 'cubic' (only nearest and linear)"),
            (Self.stringAttribute("coordinate_transformation_mode", "tf_crop_and_resize"), "tf_crop_and_resize"),
        ] {
            let model = M.model(
                nodes: [M.node("Resize", name: "r", inputs: ["x", "", "s"], outputs: ["y"], attributes: [attribute])],
                inputs: [("x", [1, 1, 2, 2])], outputs: [("y", [1, 1, 4, 4])],
                initializers: [M.floatTensor("s", dims: [4], values: [1, 1, 2, 2])])
            let message = Self.refusal(model)
            #expect(message.contains("r") && message.contains(expected), "\(message)")
        }
    }
}
