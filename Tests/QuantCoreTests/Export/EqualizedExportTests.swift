import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 17.1: the TFLite and C exports carry cross-layer equalization (and bias correction on
/// top of it): equalized float weights, equalized quantized weights and the scaled, corrected biases.
@Suite struct EqualizedExportTests {
    /// 3-bit asymmetric per-tensor, every layer that can be equalized, bias correction on all.
    static func plan(for workbench: Workbench) -> QuantPlan {
        var settings = LayerSettings(bitWidth: 3, scheme: .asymmetric, granularity: .tensor)
        settings.biasCorrection = true
        return workbench.withEqualization(QuantPlan(defaults: settings))
    }

    @Test(arguments: [BundledModel.mlp, .cnn]) func theTFLiteFilePredictsWhatTheWorkbenchEvaluates(
        model: BundledModel
    ) throws {
        let workbench = try QDQExporterTests.workbench(model)
        let plan = Self.plan(for: workbench)
        let (file, _, _) = try TFLiteExporterTests.export(plan, model: model)
        let expected = try workbench.evaluate(try workbench.apply(plan))
        let plain = try workbench.evaluate(try workbench.apply(QuantPlan(defaults: plan.defaults)))
        #expect(expected.predictions != plain.predictions)  // equalization changes the quantized model
        let rebuilt = try Workbench(graph: try file.graph(), heldOut: try DemoData.heldOutSet(), calibration: nil)
        let actual = try rebuilt.floatReport()
        let differing = zip(actual.predictions, expected.predictions).filter { $0 != $1 }.count
        #expect(differing == 0, "\(model): \(differing) predictions differ")
    }

    @Test func theCExportStoresEqualizedFloatWeightsAndBiases() throws {
        let workbench = try QDQExporterTests.workbench(.mlp)
        var plan = Self.plan(for: workbench)
        plan.layers["fc2"]?.bitWidth = nil  // float, equalized on both sides
        plan.layers["fc2"]?.biasCorrection = false
        let model = try workbench.apply(plan)
        let export = try CExporter.generate(model, graph: workbench.graph, name: "eq", path: "eq")
        func floats(_ suffix: String) throws -> [Float] {
            try #require(export.arrays.first { $0.name.hasSuffix(suffix) }?.floats, "\(suffix)")
        }
        let fc2 = try #require(model.weightOverrides["fc2.weight"])
        #expect(try floats("fc2_values") == fc2.storage)
        #expect(fc2 != workbench.graph.initializers["fc2.weight"])
        for layer in ["fc1", "fc2", "fc3"] {
            let bias = try #require(model.weightOverrides["\(layer).bias"], "\(layer)")
            #expect(try floats("\(layer)_bias") == bias.storage)
            #expect(bias != workbench.graph.initializers["\(layer).bias"], "\(layer): scaled or corrected")
        }
    }
}
