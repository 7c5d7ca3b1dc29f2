import Foundation
import Testing

@testable import QuantCore

/// Quantization-aware fine-tuning (`FineTuner`, `FineTuningBackend`, `StudentWeights`,
/// `DistillationLoss`); a residual CNN with BatchNormalization: `GraphFineTuningTests`.
@Suite struct FineTunerTests {
    /// input [4] → MatMul [4, 3] + Add → Relu → Gemm (no transB) [3, 2] + bias: the transposed layouts.
    static func tinyGraph(seed: UInt64) -> Graph {
        Graph(
            name: "tiny", inputs: [ValueInfo(name: "x", shape: [nil, 4])],
            outputs: [ValueInfo(name: "y", shape: [nil, 2])],
            initializers: [
                "w1": GradientCheck.randomTensor([4, 3], seed: seed),
                "b1": GradientCheck.randomTensor([3], seed: seed + 1),
                "w2": GradientCheck.randomTensor([3, 2], seed: seed + 2),
                "b2": GradientCheck.randomTensor([2], seed: seed + 3),
            ],
            nodes: [
                Node(name: "mm", op: .matMul, inputs: ["x", "w1"], outputs: ["h0"]),
                Node(name: "add", op: .add, inputs: ["h0", "b1"], outputs: ["h1"]),
                Node(name: "relu", op: .relu, inputs: ["h1"], outputs: ["h2"]),
                Node(name: "fc", op: .gemm(GemmAttributes()), inputs: ["h2", "w2", "b2"], outputs: ["y"]),
            ])
    }

    @Test func refusesTheFirstNodeItCannotTrainNamingTheFile() throws {
        var graph = Self.tinyGraph(seed: 1)
        graph.nodes[2] = Node(name: "squash", op: .softplus, inputs: ["h1"], outputs: ["h2"])
        let error = #expect(throws: FineTuningError.self) {
            try FineTuner(graph: graph, plan: QuantPlan(), file: "model.onnx")
        }
        #expect(error?.description.hasPrefix("model.onnx: cannot fine-tune node 'squash' (Softplus)") == true)
        // Any operator with a backward pass is accepted.
        graph.nodes[2] = Node(name: "squash", op: .sigmoid, inputs: ["h1"], outputs: ["h2"])
        _ = try FineTuner(graph: graph, plan: QuantPlan(), file: "model.onnx")
    }

    /// The straight-through gradient of every latent weight is the gradient of the loss with
    /// respect to the quantized weight the forward pass used (finite differences on those), and
    /// exactly 0 for a pruned weight; biases get their own gradients.
    @Test func straightThroughGradientMatchesFiniteDifferences() throws {
        let graph = Self.tinyGraph(seed: 11)
        let backend = try FineTuningBackend(graph: graph, file: "tiny.onnx")
        var plan = QuantPlan()
        plan.defaults = LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .channel)
        plan.layers["mm"] = LayerSettings(
            bitWidth: 3, scheme: .symmetric, granularity: .channel, pruning: .sparsity(0.25))
        let student = try StudentWeights(latent: graph.initializers, layers: graph.layers, plan: plan)
        #expect(student.values["w1"] != graph.initializers["w1"])  // really quantized
        let pruned = try #require(student.frozen["w1"])
        #expect(pruned.filter { $0 }.count == 3)  // round(0.25 · 12)
        let images = GradientCheck.randomTensor([5, 4], seed: 12)
        let teacher = GradientCheck.randomTensor([5, 2], seed: 13, in: -2...2)
        let labels = [0, 1, 1, 0, 1]
        let loss = DistillationLoss(temperature: 2, labelWeight: 0.5)
        func objective(_ values: [String: Tensor]) -> Double {
            guard let logits = try? backend.logits(images, values: values) else { return .nan }
            return Double(loss.lossAndGradient(student: logits, teacher: teacher, labels: labels, normalizer: 5).loss)
        }
        var (_, gradients) = try backend.lossAndGradients(images, values: student.values) {
            loss.lossAndGradient(student: $0, teacher: teacher, labels: labels, normalizer: 5)
        }
        student.maskGradients(&gradients)
        #expect(Set(gradients.keys) == ["w1", "b1", "w2", "b2"])
        for (name, value) in student.values {
            let numeric = GradientCheck.numericGradient(of: value, epsilon: 1e-3) { changed in
                var values = student.values
                values[name] = changed
                return objective(values)
            }
            let expected = numeric.enumerated().map { student.frozen[name]?[$0.offset] == true ? 0 : $0.element }
            let actual = try #require(gradients[name]).storage
            #expect(GradientCheck.firstMismatch(actual, expected, rtol: 2e-2, atol: 2e-3) == nil, "\(name)")
        }
        for (value, isPruned) in zip(try #require(gradients["w1"]).storage, pruned) where isPruned {
            #expect(value == 0)
        }
    }

    @Test func distillationGradientMatchesFiniteDifferences() {
        let student = GradientCheck.randomTensor([3, 4], seed: 21, in: -3...3)
        let teacher = GradientCheck.randomTensor([3, 4], seed: 22, in: -3...3)
        for labels in [[2, 0, 3], nil] as [[Int]?] {
            let loss = DistillationLoss(temperature: 4, labelWeight: 0.5)
            let analytic = loss.lossAndGradient(student: student, teacher: teacher, labels: labels, normalizer: 3)
            let numeric = GradientCheck.numericGradient(of: student, epsilon: 1e-2) {
                Double(loss.lossAndGradient(student: $0, teacher: teacher, labels: labels, normalizer: 3).loss)
            }
            #expect(GradientCheck.firstMismatch(analytic.gradient.storage, numeric) == nil)
        }
        // A student equal to its teacher, without labels, has nothing to learn.
        let same = DistillationLoss(temperature: 3, labelWeight: 1).lossAndGradient(
            student: teacher, teacher: teacher, labels: nil, normalizer: 3)
        #expect(abs(same.loss) < 1e-6)
        #expect(same.gradient.storage.allSatisfy { abs($0) < 1e-6 })
    }

    /// A few hundred training digits through a 2-bit plan win back accuracy the plan loses,
    /// measured the way `eval --plan` measures it, and the held-out set is not trained on.
    @Test func fineTuningRaisesTwoBitAccuracyOfTheDemoCNN() throws {
        let graph = try ONNXModel.load(contentsOf: BundledModel.cnn.url)
        var plan = QuantPlan()
        plan.defaults = LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)
        let tuner = try FineTuner(graph: graph, plan: plan, file: "demo-cnn")
        let training = try DemoData.trainingSet().evenlySpaced(400)
        let evaluation = HeldOutEvaluation(heldOut: try DemoData.heldOutSet().evenlySpaced(300), calibration: nil)
        var options = FineTuner.Options()
        options.epochs = 3
        options.batchSize = 32
        var epochs: [Int] = []
        let result = try tuner.run(
            training: training, trainingFile: "train", evaluation: evaluation, options: options,
            epochEnded: { epochs.append($0.number) })
        #expect(epochs == [1, 2, 3])
        #expect(result.keptEpoch >= 1 && !result.wasCancelled)
        #expect(
            result.report.top1 >= result.before.top1 + 0.1, "before \(result.before.top1) after \(result.report.top1)")
        // The kept graph, evaluated afresh, gives the reported figure.
        #expect(try evaluation.report(for: result.graph, plan: plan).correctCount == result.report.correctCount)
    }

    @Test func cancellingBeforeTheFirstEpochKeepsTheStartingWeights() throws {
        let graph = Self.tinyGraph(seed: 31)
        var plan = QuantPlan()
        plan.defaults = LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)
        let tuner = try FineTuner(graph: graph, plan: plan, file: "tiny.onnx")
        let images = GradientCheck.randomTensor([40, 4], seed: 32)
        let data = try Dataset(name: "d", images: images, labels: (0..<40).map { $0 % 2 })
        var steps = 0
        var options = FineTuner.Options()
        options.batchSize = 8  // 5 steps per epoch: cancelled in the first
        let result = try tuner.run(
            training: data, trainingFile: "d", evaluation: HeldOutEvaluation(heldOut: data, calibration: nil),
            options: options, progress: { _ in steps += 1 }, isCancelled: { steps >= 2 })
        #expect(steps == 2)
        #expect(result.wasCancelled && result.keptEpoch == 0 && result.epochs.isEmpty)
        #expect(result.graph == graph)
    }
}
