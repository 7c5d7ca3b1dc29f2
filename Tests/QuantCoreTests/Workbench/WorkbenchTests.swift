import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Applying plans to the demo models: float restores exactly, quantization changes only what it
/// should, sizes and metrics are consistent, activation quantization calibrates on training data.
@Suite struct WorkbenchTests {
    static func workbench(_ model: BundledModel) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try model.url)
        return try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(256))
    }

    @Test func floatPlanReproducesTheFloatModelExactly() throws {
        let workbench = try Self.workbench(.mlp)
        let float = try workbench.floatReport()
        #expect(float.correctCount == 958)
        let model = try workbench.apply(QuantPlan())
        #expect(model.isFloat)
        #expect(model.size.compressionRatio == 1)
        let report = try workbench.evaluate(model)
        #expect(report.predictions == float.predictions)
        #expect(report.agreement == 1)
    }

    @Test func switchingALayerBackToFloatRestoresFloatAccuracyExactly() throws {
        let workbench = try Self.workbench(.mlp)
        let float = try workbench.floatReport()
        let quantized = try workbench.apply(
            QuantPlan(defaults: LayerSettings(bitWidth: 2, scheme: .symmetric, granularity: .tensor)))
        let degraded = try workbench.evaluate(quantized)
        #expect(degraded.predictions != float.predictions, "2-bit weights must change some predictions")
        #expect(try #require(degraded.agreement) < 1)
        // Back to float, layer by layer: identical predictions and NLL bit for bit.
        var plan = quantized.plan
        for name in workbench.layerNames { plan.layers[name] = .float }
        let restored = try workbench.evaluate(try workbench.apply(plan))
        #expect(restored.predictions == float.predictions)
        #expect(restored.meanNLL == float.meanNLL)
        // The float model itself was never touched.
        let again = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        #expect(workbench.graph.initializers == again.initializers)
    }

    @Test func eightBitPerChannelKeepsAccuracyAndShrinksFourfold() throws {
        let workbench = try Self.workbench(.cnn)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel))
        let model = try workbench.apply(plan)
        let report = try workbench.evaluate(model)
        let float = try workbench.floatReport()
        #expect(abs(report.top1 - float.top1) <= 0.005)
        #expect(try #require(report.agreement) >= 0.99)
        // Weights shrink 4× (plus one float32 scale per channel); biases stay float32.
        #expect(model.size.compressionRatio > 3.5 && model.size.compressionRatio < 4)
        for layerReport in model.layerReports {
            #expect(try #require(layerReport.metrics.sqnrDecibels) > 30, "\(layerReport.layer.name)")
            #expect(layerReport.metrics.cosineSimilarity > 0.999)
        }
    }

    @Test func sizeTotalsAreTheSumOfLayersAndOtherInitializers() throws {
        let workbench = try Self.workbench(.cnn)
        var plan = QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .group(size: 16)))
        plan.layers["fc1"] = LayerSettings(bitWidth: 3, scheme: .kmeans, pruning: .sparsity(0.5))
        let model = try workbench.apply(plan)
        let layerBytes = model.size.layers.reduce(0) { $0 + $1.quantizedBytes }
        #expect(model.size.currentBytes == layerBytes + model.size.otherInitializerBytes)
        #expect(model.size.floatBytes == workbench.graph.parameterCount * 4)
        let fc1 = try #require(model.report(for: "fc1"))
        #expect(abs(fc1.metrics.sparsity - 0.5) < 0.01)
        #expect(fc1.size.quantizedBytes < fc1.size.floatBytes / 8)
    }

    @Test func prunedWeightsAreExactlyZeroInTheRunningModel() throws {
        let workbench = try Self.workbench(.mlp)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8, pruning: .threshold(0.05)))
        let model = try workbench.apply(plan)
        for layer in workbench.layers {
            let float = try #require(workbench.graph.initializers[layer.weightName])
            let used = try #require(model.weightOverrides[layer.weightName])
            for (w, q) in zip(float.storage, used.storage) where abs(w) <= 0.05 {
                #expect(q == 0)
            }
        }
    }

    @Test func activationQuantizationCalibratesOnTrainingDataAndChangesOutputs() throws {
        let workbench = try Self.workbench(.cnn)
        let weightsOnly = QuantPlan(defaults: LayerSettings(bitWidth: 8))
        var withActivations = weightsOnly
        withActivations.defaults.activationBits = 4
        let a = try workbench.apply(weightsOnly)
        let b = try workbench.apply(withActivations)
        #expect(a.activationQuantization.isEmpty)
        #expect(b.activationQuantization.count == workbench.layers.count)
        let batch = try workbench.heldOut.first(8).images
        let logitsA = try workbench.logits(for: batch, model: a)
        let logitsB = try workbench.logits(for: batch, model: b)
        #expect(logitsA != logitsB)
        // The last layer's output (the logits) is on its 4-bit grid.
        let lastLayer = try #require(workbench.layers.last)
        let output = try #require(workbench.graph.nodes[lastLayer.nodeIndex].outputs.first)
        let parameters = try #require(b.activationQuantization[output])
        for value in logitsB.storage {
            let code = (value / parameters.scale).rounded()
            #expect(abs(value - code * parameters.scale) <= parameters.scale * 1e-4)
            #expect(parameters.codeRange.contains(Int32(code)))
        }
    }

    @Test func activationQuantizationWithoutCalibrationDataIsAClearError() throws {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8, activationBits: 8))
        #expect(throws: EvaluationError.noCalibrationData(model: graph.name)) { try workbench.apply(plan) }
    }

    @Test func unknownLayerNamesAreRejected() throws {
        let workbench = try Self.workbench(.mlp)
        let plan = QuantPlan(layers: ["fc9": LayerSettings(bitWidth: 4)])
        #expect(throws: PlanError.self) { try workbench.apply(plan) }
    }

    @Test func layerReportsAreCachedBySettings() throws {
        let workbench = try Self.workbench(.mlp)
        let settings = LayerSettings(bitWidth: 4, scheme: .kmeans)
        let first = try workbench.layerReport(for: "fc2", settings: settings)
        let second = try workbench.layerReport(for: "fc2", settings: settings)
        #expect(first == second)
        let histogram = first.histogram(binCount: 40)
        #expect(histogram.floatCounts.reduce(0, +) == 128 * 256)
        #expect(histogram.dequantizedCounts.reduce(0, +) == 128 * 256)
        #expect(histogram.levels.count <= 16)
    }

    @Test func estimateOnAnEvenlySpacedSubsetIsMarkedInexact() throws {
        let workbench = try Self.workbench(.mlp)
        let model = try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 4)))
        let estimate = try workbench.evaluate(model, sampleSize: 200)
        #expect(!estimate.isExact)
        #expect(estimate.count == 200)
        let exact = try workbench.evaluate(model)
        #expect(exact.isExact)
        // Every 5th held-out digit: all ten classes, the same predictions as the full run.
        let every5th = stride(from: 0, to: 1000, by: 5).map { exact.predictions[$0] }
        #expect(estimate.predictions == every5th)
        #expect(estimate.top1Interval.lowerBound < estimate.top1 && estimate.top1Interval.upperBound > estimate.top1)
    }
}
