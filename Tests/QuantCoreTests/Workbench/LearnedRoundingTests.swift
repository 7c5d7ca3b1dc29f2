import Foundation
import Testing

@testable import QuantCore

/// Issue 17.1: learned rounding per layer in the workbench, on `BiasCorrectionTests`' graph (Conv
/// with pads/strides, grouped dilated Conv, Gemm with α and transB, MatMul). Each layer's output
/// error on the calibration set, measured by running the model with only that layer changed, must
/// not exceed nearest rounding's; the scale and zero point are the quantizer's; every export
/// carries the learned codes.
@Suite struct LearnedRoundingTests {
    static let nearest = LayerSettings(bitWidth: 3, scheme: .asymmetric, granularity: .tensor)
    static var learned: LayerSettings {
        var settings = nearest
        settings.rounding = .learned
        return settings
    }

    static func workbench(calibration: Bool = true) throws -> Workbench {
        let workbench = try BiasCorrectionTests.workbench(calibration: calibration)
        workbench.learnedRoundingOptions.iterations = 300
        return workbench
    }

    /// Σ (layer output with `model`'s weights − float output)² over the calibration set.
    static func outputError(_ workbench: Workbench, _ model: QuantizedModel, output: String) throws -> Double {
        let images = try #require(workbench.calibration).images
        let float = try #require(try workbench.executor.run(["x": images], keeping: [output])[output])
        let run = try workbench.executor.run(["x": images], weightOverrides: model.weightOverrides, keeping: [output])
        let changed = try #require(run[output])
        return zip(changed.storage, float.storage).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    }

    @Test func eachLayersOutputErrorIsNoWorseThanNearestRoundingWithTheSameParameters() throws {
        let workbench = try Self.workbench()
        var gained = 0
        for (layer, output) in [("conv_a", "a"), ("conv_b", "b"), ("fc", "c"), ("head", "m")] {
            let plain = try workbench.apply(QuantPlan(layers: [layer: Self.nearest]))
            let learned = try workbench.apply(QuantPlan(layers: [layer: Self.learned]))
            let before = try Self.outputError(workbench, plain, output: output)
            let after = try Self.outputError(workbench, learned, output: output)
            #expect(after <= before * (1 + 1e-6), "\(layer): \(after) vs nearest \(before)")
            if after < 0.9 * before { gained += 1 }
            let q0 = try #require(plain.layerReports.first { $0.layer.name == layer }?.quantized)
            let q1 = try #require(learned.layerReports.first { $0.layer.name == layer }?.quantized)
            #expect(q1.scales == q0.scales && q1.zeroPoints == q0.zeroPoints)
            for (code, value) in zip(q1.codes, q1.dequantized) {
                #expect((0...7).contains(code) && value == Float(code - q1.zeroPoints[0]) * q1.scales[0])
            }
            // Up or down only: never more than one step from nearest.
            for (a, b) in zip(q1.codes, q0.codes) { #expect(abs(a - b) <= 1) }
        }
        #expect(gained >= 3, "learned rounding lowers most layers' output error by 10 % or more")
    }

    @Test func reapplyingIsCachedAndTheResultIsDeterministic() throws {
        let workbench = try Self.workbench()
        let plan = QuantPlan(defaults: Self.learned)
        #expect(workbench.needsLearnedRounding(for: plan))
        var steps: [(Int, Int)] = []
        try workbench.learnRoundings(for: plan, steps: { steps.append(($0, $1)) })
        // 300 steps per layer and per convolution group (conv_b has two).
        #expect(steps.last.map { $0.0 == $0.1 && $0.1 == 5 * 300 } == true, "\(steps.last.map { "\($0)" } ?? "none")")
        #expect(!workbench.needsLearnedRounding(for: plan))
        let first = try workbench.apply(plan)
        let start = Date()
        let again = try workbench.apply(plan)
        #expect(Date().timeIntervalSince(start) < 0.5 && again == first)
        let fresh = try Self.workbench()
        #expect(try fresh.apply(plan) == first)
    }

    @Test func theExportsStoreTheLearnedCodesWithTheQuantizersParameters() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(QuantPlan(defaults: Self.learned))
        let plain = try workbench.apply(QuantPlan(defaults: Self.nearest))
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let reread = try ONNXModel.decode(try ONNXModel.encode(qdq), source: "qdq.onnx")
        var changed = 0
        for (report, nearest) in zip(model.layerReports, plain.layerReports) {
            let learned = try #require(report.quantized)
            let weight = report.layer.weightName
            let codes = try #require(reread.initializers["\(weight)_quantized"])
            #expect(codes.storage == learned.codes.map(Float.init), "\(weight)")
            if codes.storage != nearest.quantized?.codes.map(Float.init) { changed += 1 }
            #expect(reread.initializers["\(weight)_scale"]?.storage == nearest.quantized?.scales)
        }
        #expect(changed >= 3, "most layers round some weights the other way")
        // The ONNX file computes what the workbench evaluates.
        let batch = try workbench.heldOut.images
        let expected = try workbench.logits(for: batch, model: model)
        let logits = try #require(try GraphExecutor(graph: reread).run(["x": batch])["y"])
        for (a, b) in zip(logits.storage, expected.storage) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        let embedded = try #require(reread.metadata[QDQExporter.planKey])
        #expect(try QuantPlan.decoded(from: Data(embedded.utf8), file: "embedded").defaults.rounding == .learned)
        // The C export packs the same codes (conv_a: dense, 3 bits each).
        let convA = try #require(model.layerReports.first)
        let encoded = try CExporter.encodeWeights(
            of: convA.layer, float: convA.floatWeights, quantized: convA.quantized, prefix: "conv_a", path: "net")
        let packed = CExporter.pack(try #require(convA.quantized).codes, bitWidth: 3)
        #expect(encoded.arrays.contains { $0.bytes == packed })
        // The TFLite export (and evaluation) read the weight overrides: the learned values, which
        // re-quantize to the learned codes with the plan's scale and zero point.
        for report in model.layerReports {
            let learned = try #require(report.quantized)
            #expect(model.weightOverrides[report.layer.weightName] == learned.tensor)
            let parameters = AffineQuantizer.Parameters(
                scale: learned.scales[0], zeroPoint: learned.zeroPoints[0], codeRange: 0...7)
            #expect(learned.dequantized.map { AffineQuantizer.quantize($0, parameters) } == learned.codes)
        }
    }

    @Test func nonAffineSchemesOtherOperatorsAndMissingDataAreRefusedByName() throws {
        let workbench = try Self.workbench()
        var kmeans = LayerSettings(bitWidth: 3, scheme: .kmeans)
        kmeans.rounding = .learned
        let error = #expect(throws: PlanError.self) { try workbench.apply(QuantPlan(layers: ["fc": kmeans])) }
        #expect(
            error?.description == "layers.fc.rounding: learned rounding needs an affine scheme (symmetric, "
                + "symmetric-full, asymmetric, mean-std, fixed-point), not kmeans",
            "\(String(describing: error))")
        var fixed = LayerSettings(bitWidth: 4, scheme: .fixedPoint)
        fixed.rounding = .learned
        #expect(throws: Never.self) { try workbench.apply(QuantPlan(layers: ["fc": fixed])) }
        // Float layers ignore it.
        var float = LayerSettings.float
        float.rounding = .learned
        #expect(try workbench.apply(QuantPlan(defaults: float)).weightOverrides.isEmpty)
        let uncalibrated = try Self.workbench(calibration: false)
        let missing = #expect(throws: PlanError.self) {
            try uncalibrated.apply(QuantPlan(layers: ["fc": Self.learned]))
        }
        #expect(missing?.description.contains("layers.fc.rounding: learned rounding needs calibration data") == true)
        // `withLearnedRounding` turns it on only where it can apply.
        let plan = workbench.withLearnedRounding(QuantPlan(defaults: Self.nearest, layers: ["fc": kmeans]))
        #expect(plan.settings(for: "conv_a").rounding == .learned && plan.settings(for: "fc").scheme == .kmeans)
    }

    @Test func planFilesReadAndWriteTheRoundingStrictly() throws {
        let json = #"{ "version": 1, "default": { "bits": 4 }, "layers": { "fc1": { "rounding": "learned" } } }"#
        let plan = try QuantPlan.decoded(from: Data(json.utf8), file: "plan.json")
        #expect(plan.layers["fc1"]?.rounding == .learned && plan.defaults.rounding == .nearestEven)
        #expect(plan.layers["fc1"]?.bitWidthLabelWithCorrections == "4+ar")
        #expect(try QuantPlan.decoded(from: try plan.encoded(), file: "again.json") == plan)
        #expect(String(decoding: try plan.encoded(), as: UTF8.self).contains(#""rounding" : "learned""#))
        for (field, problem) in [
            (#""rounding": "adaround""#, "layers.fc1.rounding"),
            (#""rounding": "learned", "seed": 3"#, "layers.fc1.seed: only used with rounding \"stochastic\""),
        ] {
            let bad = #"{ "version": 1, "layers": { "fc1": { \#(field) } } }"#
            let error = #expect(throws: PlanError.self) { try QuantPlan.decoded(from: Data(bad.utf8), file: "p.json") }
            #expect(error?.description.hasPrefix("p.json: \(problem)") == true, "\(String(describing: error))")
        }
    }
}
