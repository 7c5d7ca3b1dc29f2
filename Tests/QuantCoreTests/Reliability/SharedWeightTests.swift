import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.3: two layers reading one weight initializer. A plan giving them different settings
/// is refused (the initializer holds one set of quantized values); with equal settings the QDQ
/// and C exports compute what `eval` computes.
@Suite struct SharedWeightTests {
    typealias M = ONNXTestModels

    /// `x [?, 4] → fc_a(w) → fc_b(w) → y [?, 4]`, both Gemm layers reading `w`.
    static func workbench() throws -> Workbench {
        let weights = (0..<16).map { Float(($0 * 5) % 7) / 7 - 0.4 }
        let model = M.model(
            nodes: [
                M.node(
                    "Gemm", name: "fc_a", inputs: ["x", "w"], outputs: ["h"], attributes: [M.intAttribute("transB", 1)]),
                M.node(
                    "Gemm", name: "fc_b", inputs: ["h", "w"], outputs: ["y"], attributes: [M.intAttribute("transB", 1)]),
            ], inputs: [("x", [1, 4])], outputs: [("y", [1, 4])],
            initializers: [M.floatTensor("w", dims: [4, 4], values: weights)])
        var graph = try ONNXModel.decode(M.bytes(model), source: "shared.onnx")
        graph.inputs[0].shape[0] = nil
        graph.outputs[0].shape[0] = nil
        let images = Tensor(shape: [40, 4], storage: (0..<160).map { Float(($0 * 11) % 17) / 17 })
        let data = try Dataset(name: "shared", images: images, labels: (0..<40).map { ($0 * 3) % 4 }, classCount: 4)
        return try Workbench(graph: graph, heldOut: data, calibration: nil)
    }

    @Test func differentSettingsForASharedWeightAreRefused() throws {
        let workbench = try Self.workbench()
        #expect(workbench.layerNames == ["fc_a", "fc_b"])
        var plan = QuantPlan(defaults: LayerSettings(bitWidth: 8))
        plan.layers["fc_b"] = LayerSettings(bitWidth: 3)
        let error = #expect(throws: PlanError.self) { try workbench.apply(plan) }
        #expect(
            error?.description.hasPrefix(
                "layers.fc_b: shares its weight 'w' with layer 'fc_a', so both need the same settings") == true,
            "\(String(describing: error))")
        plan.layers["fc_b"] = .float
        #expect(throws: PlanError.self) { try workbench.apply(plan) }
    }

    @Test func equalSettingsExportWhatEvalComputes() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 3, scheme: .asymmetric)))
        let batch = try workbench.heldOut.images
        let expected = try workbench.logits(for: batch, model: model)
        let float = try workbench.logits(for: batch)
        #expect(expected.storage != float.storage)  // the plan changes the outputs
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let exported = try GraphExecutor(graph: qdq).run([workbench.graph.inputs[0].name: batch])
        let logits = try #require(exported[workbench.graph.outputs[0].name])
        for (a, b) in zip(logits.storage, expected.storage) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        // Both layers read dequantized codes, none the float weight.
        let dequantized = qdq.nodes.filter { if case .dequantizeLinear = $0.op { true } else { false } }
        #expect(dequantized.count == 2)
        #expect(qdq.initializers["w"] == nil)

        // The C export stores each layer's codes (as the size model counts them) and compiles.
        let export = try CExporter.generate(model, graph: workbench.graph, name: "shared", path: "shared")
        #expect(
            export.arrays.map(\.name).filter { $0.hasSuffix("_codes") } == ["shared_fc_a_codes", "shared_fc_b_codes"])
        let codes = export.arrays.filter { $0.name.hasSuffix("_codes") }.map(\.bytes)
        #expect(codes[0] == codes[1])
        guard let compiler = CExporterTests.compiler else { return }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try CExporter.write(export, into: folder, overwrite: false)
        let build = try CExporterTests.run(
            compiler, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "-o", "shared.o", "shared.c"], in: folder)
        #expect(build.status == 0, "\(build.output)")
    }
}
