import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Fine-tuning a graph beyond plain chains through its backward pass (`GraphGradients`): the residual
/// CNN of `Scripts/make_finetune_fixture.py` (strided Conv, BatchNormalization, depthwise Conv, a
/// residual Add, GlobalAveragePool, Gemm), trained on the demo digits (79.6 % held-out as float).
@Suite struct GraphFineTuningTests {
    static let model = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/finetune-residual.onnx")

    static var twoBit: QuantPlan {
        var plan = QuantPlan()
        plan.defaults = LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)
        return plan
    }

    @Test func trainsWeightsBiasesAndBatchNormalizationScales() throws {
        let graph = try ONNXModel.load(contentsOf: Self.model)
        let tuner = try FineTuner(graph: graph, plan: Self.twoBit, file: "m")
        // Weights and biases of the five layers, and both BatchNormalizations' scale and bias.
        #expect(
            tuner.trainable == [
                "stem.weight", "depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias",
                "down.weight", "down.bias", "fc.weight", "fc.bias", "bn1.scale", "bn1.bias", "bn2.scale", "bn2.bias",
            ])
    }

    /// 2-bit asymmetric per-channel weights cost the float model most of its accuracy; a short
    /// fine-tune wins part of it back, and the written graph evaluated afresh gives the figure.
    @Test(arguments: [FineTuner.ScaleMode.derived, .kept])
    func fineTuningRaisesTwoBitAccuracy(_ scales: FineTuner.ScaleMode) throws {
        let graph = try ONNXModel.load(contentsOf: Self.model)
        let tuner = try FineTuner(graph: graph, plan: Self.twoBit, file: "finetune-residual.onnx")
        let training = try DemoData.trainingSet().evenlySpaced(800)
        let evaluation = HeldOutEvaluation(heldOut: try DemoData.heldOutSet().evenlySpaced(300), calibration: nil)
        var options = FineTuner.Options()
        options.epochs = 2
        options.batchSize = 32
        options.learningRate = 3e-3
        options.scales = scales
        let result = try tuner.run(training: training, trainingFile: "train", evaluation: evaluation, options: options)
        #expect(result.epochs.count == 2 && result.keptEpoch >= 1 && !result.wasCancelled)
        #expect(
            result.report.top1 >= result.before.top1 + 0.1, "before \(result.before.top1) after \(result.report.top1)")
        #expect(try evaluation.report(for: result.graph, plan: Self.twoBit).correctCount == result.report.correctCount)
        // Only the trained initializers changed; BatchNormalization's statistics did not.
        for (name, value) in graph.initializers where !tuner.trainable.contains(name) {
            #expect(result.graph.initializers[name] == value, "\(name)")
        }
    }

    /// The gradient a step applies (its mini-batch split over two threads, pruned weights
    /// masked) is the straight-through gradient: `GraphGradients` run directly on the whole batch
    /// with the quantized weights as overrides, the distillation loss's gradient as output gradient.
    @Test func aStepsGradientIsTheStraightThroughGradient() throws {
        let graph = try ONNXModel.load(contentsOf: Self.model)
        var plan = Self.twoBit
        plan.layers["pointwise"] = LayerSettings(
            bitWidth: 3, scheme: .symmetric, granularity: .tensor, pruning: .sparsity(0.5))
        let tuner = try FineTuner(graph: graph, plan: plan, file: "m")
        let latent = graph.initializers.filter { tuner.trainable.contains($0.key) }
        let student = try StudentWeights(latent: latent, layers: tuner.layers, plan: plan)
        let backend = try FineTuningBackend(graph: graph, file: "m")
        var options = FineTuner.Options()
        options.batchSize = 24
        let data = try TrainingBatches(
            training: try DemoData.trainingSet().evenlySpaced(48), file: "t", backend: backend,
            teacher: graph.initializers, options: options)
        let loss = DistillationLoss(temperature: 4, labelWeight: 0.5)
        let batch = Array(stride(from: 1, to: 48, by: 2))
        var (value, gradients) = try data.lossAndGradients(
            of: backend, values: student.values, batch: batch, loss: loss)
        student.maskGradients(&gradients)

        // Independently: the plan's own quantization, one GraphGradients pass, the mask by hand.
        var overrides = latent
        var masks: [String: [Bool]] = [:]
        for layer in graph.layers {
            let settings = plan.settings(for: layer.name)
            let weight = try #require(latent[layer.weightName])
            let mask = settings.pruning.map {
                Pruner.mask(for: weight, outputChannelAxis: layer.outputChannelAxis, rule: $0)
            }
            if let mask { masks[layer.weightName] = mask }
            let quantized = try WeightQuantizer.quantize(
                weight, outputChannelAxis: layer.outputChannelAxis, settings: settings, prunedMask: mask)
            overrides[layer.weightName] = Tensor(shape: weight.shape, storage: quantized.dequantized)
        }
        #expect(masks["pointwise.weight"]?.filter { $0 }.count == 128)  // round(0.5 · 256)
        let images = Trainer.gather(data.images, rows: batch, sampleShape: [1, 28, 28])
        let teacher = Trainer.gather(data.teacherLogits, rows: batch, sampleShape: [10])
        let labels = data.labels.map { all in batch.map { all[$0] } }
        let (direct, directLoss) = try GraphGradients(graph: graph).evaluate(
            inputs: ["x": images], weightOverrides: overrides
        ) { outputs in
            let (value, gradient) = loss.lossAndGradient(
                student: outputs["logits"]!, teacher: teacher, labels: labels, normalizer: batch.count)
            return (value, ["logits": gradient])
        }
        #expect(abs(value - directLoss) <= 1e-5 * max(1, abs(directLoss)))
        #expect(Set(gradients.keys) == Set(tuner.trainable))
        for name in tuner.trainable {
            var expected = try #require(direct.gradients[name])
            if let mask = masks[name] { expected = StudentWeights.zeroed(expected, mask) }
            let actual = try #require(gradients[name])
            #expect(GradientCheck.firstMismatch(actual.storage, expected.storage.map(Double.init)) == nil, "\(name)")
        }
        let pointwise = try #require(gradients["pointwise.weight"]).storage
        #expect(zip(pointwise, try #require(masks["pointwise.weight"])).allSatisfy { !$1 || $0 == 0 })
    }

    /// Cancelling while the first epoch's held-out evaluation runs stops it and keeps the
    /// starting weights; cancelling during the starting evaluation leaves nothing to keep.
    @Test func cancellingDuringAnEvaluationStopsIt() throws {
        let graph = try ONNXModel.load(contentsOf: Self.model)
        let tuner = try FineTuner(graph: graph, plan: Self.twoBit, file: "m")
        let training = try DemoData.trainingSet().evenlySpaced(64)
        let evaluation = HeldOutEvaluation(
            heldOut: try DemoData.heldOutSet().evenlySpaced(200), calibration: nil, batchSize: 50)
        var options = FineTuner.Options()
        options.epochs = 2
        options.batchSize = 32
        var steps = 0
        var checksAfterTraining = 0
        let result = try tuner.run(
            training: training, trainingFile: "t", evaluation: evaluation, options: options,
            progress: { _ in steps += 1 },
            isCancelled: {
                guard steps >= 2 else { return false }
                checksAfterTraining += 1
                return checksAfterTraining > 2  // inside the evaluation, after its first batches
            })
        #expect(steps == 2 && result.wasCancelled && result.epochs.isEmpty && result.keptEpoch == 0)
        #expect(checksAfterTraining <= 4)  // stopped within a batch of the cancellation

        var checks = 0
        #expect(throws: CancellationError.self) {
            _ = try tuner.run(
                training: training, trainingFile: "t", evaluation: evaluation, options: options,
                isCancelled: {
                    checks += 1
                    return checks > 2  // the teacher pass (1 round), the evaluation's start, then a batch
                })
        }
        #expect(checks <= 4)
    }
}
