import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The edges of the numbers, each with defined behaviour: 1- and 16-bit plans, layers pruned
/// away entirely, empty and single-class data sets, a batch of one. Constant and single-element
/// tensors are in `WeightQuantizerPropertyTests.constantAndSingleElementTensors`; bit widths a
/// scheme cannot store in `rejectsBitWidthsTheSchemeCannotStore` and `QuantPlanErrorTests`.
@Suite struct NumericEdgeCaseTests {
    /// The demo MLP on the first 100 held-out digits (small, so each test stays well under a second).
    static func workbench() throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        return try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(100), calibration: nil)
    }

    /// One workbench shared by the tests that do not change it (it caches the float report).
    static let shared = Result { try workbench() }

    /// Every number a report shows is finite, and the evaluation is a proper one.
    static func expectDefined(_ model: QuantizedModel, _ report: EvalReport, _ label: String) {
        for layer in model.layerReports {
            let metrics = layer.metrics
            #expect(metrics.meanSquaredError.isFinite && metrics.cosineSimilarity.isFinite, "\(label)")
            #expect(metrics.sqnrDecibels?.isFinite ?? true, "\(label)")
            #expect(metrics.maxAbsoluteError.isFinite && (0...1).contains(metrics.sparsity), "\(label)")
            #expect(layer.effectiveWeights.storage.allSatisfy { $0.isFinite }, "\(label) \(layer.layer.name)")
            #expect(layer.size.quantizedBytes > 0 && layer.size.quantizedBytes <= layer.size.floatBytes, "\(label)")
            let histogram = layer.histogram(binCount: 32)
            #expect(histogram.binEdges.allSatisfy { $0.isFinite }, "\(label)")
            #expect(
                histogram.floatCounts.reduce(0, +) + histogram.floatOutsideCount == layer.floatWeights.count,
                "\(label)")
        }
        #expect(model.size.currentBytes > 0 && model.size.currentBytes <= model.size.floatBytes, "\(label)")
        #expect(report.meanNLL.isFinite && (0...1).contains(report.top1) && report.count == 100, "\(label)")
    }

    static let oneBitSchemes = Scheme.allCases.filter { $0.allowedBitWidths.contains(1) }
    static let sixteenBitSchemes = Scheme.allCases.filter { $0.allowedBitWidths.contains(16) }

    @Test func theSchemesThatTakeOneOrSixteenBits() {
        // The plan format and the quantizer refuse the others (tested where they are defined).
        #expect(Self.oneBitSchemes == [.asymmetric, .kmeans, .binary])
        #expect(Self.sixteenBitSchemes == [.symmetric, .symmetricFull, .asymmetric, .meanStd, .fixedPoint])
    }

    @Test(arguments: oneBitSchemes)
    func oneBitPlansStoreTwoLevelsPerTensor(scheme: Scheme) throws {
        let workbench = try Self.shared.get()
        let model = try workbench.apply(
            QuantPlan(defaults: LayerSettings(bitWidth: 1, scheme: scheme, granularity: .tensor)))
        let report = try workbench.evaluate(model)
        Self.expectDefined(model, report, "\(scheme) 1 bit")
        for layer in model.layerReports {
            #expect(Set(layer.effectiveWeights.storage).count <= 2, "\(scheme) \(layer.layer.name)")
            #expect(layer.size.valueBitWidth == 1)
        }
        // At most 1/32 of float32 plus per-layer parameters.
        #expect(model.size.compressionRatio > 10)
    }

    @Test(arguments: sixteenBitSchemes)
    func sixteenBitPlansAreNearlyLossless(scheme: Scheme) throws {
        let workbench = try Self.shared.get()
        let model = try workbench.apply(
            QuantPlan(defaults: LayerSettings(bitWidth: 16, scheme: scheme, granularity: .channel)))
        let report = try workbench.evaluate(model)
        Self.expectDefined(model, report, "\(scheme) 16 bits")
        #expect(report.agreement == 1)
        for layer in model.layerReports {
            // Measured 90–94 dB; mean-std clips at μ ± 3σ, so its error is the clipping (27–47 dB).
            let floor: Double = scheme == .meanStd ? 20 : 70
            #expect(try #require(layer.metrics.sqnrDecibels) > floor, "\(scheme) \(layer.layer.name)")
        }
        #expect(model.size.compressionRatio > 1.9 && model.size.compressionRatio < 2)
    }

    @Test(arguments: Scheme.allCases)
    func layersPrunedEntirelyAreDefined(scheme: Scheme) throws {
        let workbench = try Self.shared.get()
        // A threshold above every |w|: each layer keeps no weight at all.
        let largest = workbench.graph.initializers.values.flatMap(\.storage).map(abs).max() ?? 0
        let model = try workbench.apply(
            QuantPlan(
                defaults: LayerSettings(
                    bitWidth: scheme.defaultBitWidth, scheme: scheme, pruning: .threshold(largest + 1))))
        let report = try workbench.evaluate(model)
        Self.expectDefined(model, report, "\(scheme) all pruned")
        for layer in model.layerReports {
            #expect(layer.effectiveWeights.storage.allSatisfy { $0 == 0 })
            #expect(layer.metrics.sparsity == 1)
            #expect(layer.metrics.cosineSimilarity == 0)
            #expect(layer.metrics.sqnrDecibels == 0)  // the noise is the whole signal
        }
        // Only biases are left, so every digit gets the same logits and the same prediction.
        #expect(Set(report.predictions).count == 1)
    }

    @Test(arguments: [
        // Every weight pruned (sparse storage of nothing), and the narrowest affine codes (uint4 in ONNX).
        LayerSettings(bitWidth: 8, scheme: .symmetric, pruning: .threshold(1000)),
        LayerSettings(bitWidth: 1, scheme: .asymmetric),
    ])
    func edgePlansExportAndReadBack(settings: LayerSettings) throws {
        let workbench = try Self.shared.get()
        let model = try workbench.apply(QuantPlan(defaults: settings))
        let predictions = try workbench.evaluate(model).predictions
        // The QDQ model, written and read back, predicts what the workbench evaluated.
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let reread = try ONNXModel.decode(try ONNXModel.encode(qdq), source: "qdq.onnx")
        let executor = try GraphExecutor(graph: reread)
        let outputs = try executor.run([reread.inputs[0].name: workbench.heldOut.images])
        let logits = try #require(outputs[reread.outputs[0].name])
        let classes = logits.shape[1]
        let exported = (0..<logits.shape[0]).map {
            EvaluationMetrics.argmax(logits.storage[($0 * classes)..<(($0 + 1) * classes)])
        }
        #expect(exported == predictions, "\(settings)")
        // The C export stores exactly what the size model counts (it checks this itself).
        let c = try CExporter.generate(model, graph: workbench.graph, name: "edge", path: "edge")
        #expect(c.flashBytes == model.size.currentBytes)
    }

    @Test func anEmptyDataSetIsAClearError() throws {
        let empty = try Dataset(name: "none.npy", images: Tensor(shape: [0, 784]), labels: [])
        #expect(throws: EvaluationError.emptyDataset(dataset: "none.npy")) {
            try Evaluator().evaluate(empty) { $0 }
        }
        #expect(EvaluationError.emptyDataset(dataset: "none.npy").description == "none.npy: no samples to evaluate")
        // Files with no samples are refused when read (HostileDataFileTests: empty.npy, empty.csv, …).
    }

    @Test func aSingleClassDataSetIsEvaluatedNormally() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/invalid/data/single-class.npz").path
        let loaded = try DatasetLoader.load(path: path)
        #expect(loaded.classCount == 1 && loaded.samplesPerClass == [2])

        // Only the zeros of the held-out set, against the 10-class model.
        let heldOut = try DemoData.heldOutSet()
        let zeros = heldOut.labels.indices.filter { heldOut.labels[$0] == 0 }
        let heldOutImages = try heldOut.images
        let images = zeros.flatMap { heldOutImages.slice(rows: $0..<($0 + 1)).storage }
        let onlyZeros = try Dataset(
            name: "zeros", images: Tensor(shape: [zeros.count] + heldOut.sampleShape, storage: images),
            labels: zeros.map { _ in 0 }, classCount: 10)
        let workbench = try Workbench(
            graph: try ONNXModel.load(contentsOf: try BundledModel.mlp.url), heldOut: onlyZeros, calibration: nil)
        let report = try workbench.floatReport()
        #expect(report.count == 100 && report.meanNLL.isFinite)
        #expect(onlyZeros.samplesPerClass == [100] + [Int](repeating: 0, count: 9))
        #expect(report.top1Interval.lowerBound <= report.top1 && report.top1 <= report.top1Interval.upperBound)
    }

    @Test func aBatchOfOneGivesTheSameResultAsTheDefaultBatch() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(
            QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .channel)))
        let batched = try workbench.evaluate(model)
        workbench.batchSize = 1
        let single = try workbench.evaluate(model)
        #expect(single.predictions == batched.predictions)
        #expect(single.correctCount == batched.correctCount && single.top5CorrectCount == batched.top5CorrectCount)
        #expect(abs(single.meanNLL - batched.meanNLL) <= 1e-6 * max(1, abs(batched.meanNLL)))
    }
}
