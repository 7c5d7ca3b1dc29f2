import Foundation

/// Quantization-aware fine-tuning with distillation (issue 17.2): trains a model's latent float
/// weights *through a plan's quantizers*, with the float model as teacher.
///
/// - Model: any graph `GraphGradients` differentiates (`FineTuningBackend`): Conv (grouped,
///   depthwise, strided), Gemm, MatMul, BatchNormalization, pools, residual Adds, … The latent
///   weights are the initializers of the plan's layers (weights and biases) and BatchNormalization's
///   scale and bias; every other initializer stays as given.
/// - Student: every step quantizes and prunes the latent weights exactly as the plan defines
///   them (`StudentWeights`: `Pruner.mask` + `WeightQuantizer`, scales derived from the current
///   latent weights as the plan's range method says, or kept from the starting weights with
///   `Options.scales = .kept`); they go into the forward pass as weight overrides, so the gradient
///   of an override is the straight-through gradient of its latent weight; pruned weights get no
///   gradient and stay exactly 0.
/// - Teacher: the float model (the graph as given); its logits on the training set are computed once.
/// - Loss: `DistillationLoss` (`T² · KL(teacher_T ‖ student_T) + w · CE` where labels exist).
/// - Optimizer: Adam (PyTorch defaults) on weights and biases, the rate cosine-annealed to 0 over
///   all steps; mini-batches from a `SplitMix64(seed)` Fisher–Yates shuffle per epoch, no augmentation.
/// - After each epoch (and once before training) the quantized student is evaluated on the
///   held-out set by `HeldOutEvaluation`, the way `quantdash eval --plan` evaluates; the held-out
///   set never feeds training and never picks the result: the weights kept are those of the epoch
///   with the lowest mean training loss (normally the last, as the rate anneals to 0).
/// - Cancelling keeps the best completed epoch (the starting weights if none completed).
///
/// Trained through: weight quantization and pruning. A plan's activation quantization, bias
/// correction, equalization and learned rounding are applied when evaluating and exporting the
/// result, not during training (`untrainedFeatures` names those a plan uses).
public struct FineTuner: Sendable {
    /// The recipe; the defaults reach float accuracy on the demo models (BENCHMARKS.md).
    public struct Options: Sendable, Equatable {
        /// Passes over the training data (ignored when `steps` is set).
        public var epochs = 8
        /// Total optimizer steps instead of whole epochs (the last epoch may be partial).
        public var steps: Int?
        /// Samples per step.
        public var batchSize = 64
        /// Adam's base step size.
        public var learningRate: Float = 2e-3
        /// The distillation temperature T.
        public var temperature: Float = 4
        /// The weight of the cross-entropy term (used only with labels).
        public var labelWeight: Float = 0.5
        /// Seeds the shuffling.
        public var seed: UInt64 = 1
        /// Parts each mini-batch is split into for concurrent gradients (as `Trainer.chunkCount`).
        public var chunkCount = 2
        /// How the per-block scales of the quantized weights are set during training.
        public var scales = ScaleMode.derived

        /// The default recipe.
        public init() {}
    }

    /// How the quantized student's per-block scales are set while training.
    public enum ScaleMode: String, Sendable, Equatable, CaseIterable {
        /// Re-derived from the current latent weights every step, as the plan derives them when
        /// evaluating.
        case derived
        /// Computed once from the starting weights and fixed (affine schemes with nearest-even
        /// rounding; other schemes derive theirs every step). Evaluation and export still derive
        /// the scales of the trained weights as the plan says.
        case kept
    }

    /// Reported after every step.
    public struct Progress: Sendable, Equatable {
        /// Steps done and in all.
        public var step: Int, totalSteps: Int
        /// The epoch running (from 1) and how many there are.
        public var epoch: Int, epochCount: Int
        /// This step's loss.
        public var loss: Float
        /// Training time so far (held-out evaluations excluded) and the estimate of what is left.
        public var elapsedSeconds: Double, secondsLeft: Double
    }

    /// One completed epoch.
    public struct Epoch: Sendable {
        /// From 1.
        public var number: Int
        /// Steps in this epoch.
        public var steps: Int
        /// The mean training loss over its steps.
        public var meanLoss: Float
        /// The quantized student on the held-out set after it.
        public var report: EvalReport
    }

    /// What a run produced.
    public struct Result: Sendable {
        /// The model with the kept latent weights (the input graph with its initializers replaced).
        public var graph: Graph
        /// The quantized model on the held-out set before fine-tuning.
        public var before: EvalReport
        /// The completed epochs.
        public var epochs: [Epoch]
        /// The epoch whose weights `graph` holds (0: the starting weights).
        public var keptEpoch: Int
        /// Whether the run was cancelled.
        public var wasCancelled: Bool
        /// Seconds spent training (held-out evaluations excluded).
        public var trainingSeconds: Double

        /// The held-out result of the kept weights.
        public var report: EvalReport { keptEpoch == 0 ? before : epochs[keptEpoch - 1].report }
    }

    /// The model as given (the teacher).
    public let graph: Graph
    /// The plan the student is trained through.
    public let plan: QuantPlan
    /// The file the model came from, for errors.
    let file: String
    /// The plan's layers (the quantized ones among them are the student's).
    let layers: [Layer]
    /// The initializers trained, in a fixed order (the optimizer's).
    let trainable: [String]

    /// Prepares to fine-tune `graph` (read from `file`, named in errors) through `plan`.
    ///
    /// - Throws: `FineTuningError` for a graph the trainer cannot differentiate; `PlanError` for
    ///   a plan naming layers the model lacks.
    public init(graph: Graph, plan: QuantPlan, file: String) throws {
        _ = try FineTuningBackend(graph: graph, file: file)
        try plan.validated(against: graph.layers.map(\.name))
        self.graph = graph
        self.plan = plan
        self.file = file
        layers = graph.layers
        trainable = FineTuner.trainableInitializers(of: graph, layers: layers)
    }

    /// The plan layers' weights and biases, then BatchNormalization's scale and bias, that are
    /// initializers (each once).
    static func trainableInitializers(of graph: Graph, layers: [Layer]) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        func add(_ name: String?) {
            guard let name, graph.initializers[name] != nil, seen.insert(name).inserted else { return }
            names.append(name)
        }
        for layer in layers {
            add(layer.weightName)
            add(layer.biasName)
        }
        for node in graph.nodes {
            guard case .batchNormalization = node.op else { continue }
            for position in [1, 2] where position < node.inputs.count { add(node.inputs[position]) }
        }
        return names
    }

    /// The plan features applied at evaluation but not trained through, e.g. `["bias correction"]`.
    public var untrainedFeatures: [String] {
        var names: Set<String> = []
        for layer in layers {
            let settings = plan.settings(for: layer.name)
            if settings.activationBits != nil { names.insert("activation quantization") }
            if settings.biasCorrection { names.insert("bias correction") }
            if settings.equalize { names.insert("cross-layer equalization") }
            if settings.rounding == .learned && settings.bitWidth != nil { names.insert("learned rounding") }
        }
        return names.sorted()
    }

    /// Fine-tunes on `training` (labels used when it has them) and returns the kept weights.
    ///
    /// - Parameters:
    ///   - training: `[N] + input` samples; never the held-out set.
    ///   - trainingFile: names the training data in errors.
    ///   - evaluation: how the quantized student is scored after each epoch.
    ///   - progress: after every step. - epochEnded: after each epoch's evaluation.
    ///   - isCancelled: checked before every step, during the teacher pass and during each
    ///     held-out evaluation (a cancelled evaluation does not count: the epoch before it is kept).
    /// - Throws: `CancellationError` when cancelled before the starting weights were evaluated
    ///   (nothing to keep yet); `FineTuningError` for data or options that do not fit;
    ///   `QuantizationError`, `PlanError`, `GraphError` as evaluating the plan would.
    public func run(
        training: Dataset, trainingFile: String, evaluation: HeldOutEvaluation, options: Options,
        progress: (Progress) -> Void = { _ in }, epochEnded: (Epoch) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let backend = try FineTuningBackend(graph: graph, file: file)
        var latent = graph.initializers.filter { trainable.contains($0.key) }
        try StudentWeights(latent: latent, layers: layers, plan: plan).zeroFrozen(&latent)
        let data = try TrainingBatches(
            training: training, file: trainingFile, backend: backend, teacher: graph.initializers, options: options,
            isCancelled: isCancelled)
        let kept = options.scales == .kept ? try KeptScales(latent: latent, layers: layers, plan: plan) : nil
        let loss = DistillationLoss(temperature: options.temperature, labelWeight: options.labelWeight)
        let before = try evaluation.report(for: trained(latent), plan: plan, isCancelled: isCancelled)
        var result = Result(
            graph: trained(latent), before: before, epochs: [], keptEpoch: 0, wasCancelled: false, trainingSeconds: 0)
        var optimizer = Adam(learningRate: options.learningRate)
        var generator = SplitMix64(seed: options.seed)
        var order = Array(0..<data.count)
        let totalSteps = options.steps ?? options.epochs * data.batchesPerEpoch
        let epochCount = (totalSteps + data.batchesPerEpoch - 1) / data.batchesPerEpoch
        var step = 0
        var bestLoss = Float.infinity
        for epoch in 1...max(epochCount, 1) where step < totalSteps && !result.wasCancelled {
            Trainer.shuffle(&order, using: &generator)
            var lossSum: Double = 0
            var epochSteps = 0
            for start in stride(from: 0, to: data.count, by: options.batchSize) where step < totalSteps {
                if isCancelled() {
                    result.wasCancelled = true
                    break
                }
                let started = Engine.now()
                let batch = Array(order[start..<min(start + options.batchSize, data.count)])
                let student = try StudentWeights(latent: latent, layers: layers, plan: plan, keptScales: kept)
                var (batchLoss, gradients) = try data.lossAndGradients(
                    of: backend, values: student.values, batch: batch, loss: loss)
                student.maskGradients(&gradients)
                optimizer.learningRate = LearningRateSchedule.cosine.learningRate(
                    base: options.learningRate, step: step, totalSteps: totalSteps)
                var parameters = trainable.map { latent[$0]! }
                optimizer.update(
                    &parameters, gradients: trainable.map { gradients[$0] ?? Tensor.zeros(latent[$0]!.shape) })
                for (name, value) in zip(trainable, parameters) { latent[name] = value }
                student.zeroFrozen(&latent)
                step += 1
                epochSteps += 1
                lossSum += Double(batchLoss)
                result.trainingSeconds += Engine.now() - started
                progress(
                    Progress(
                        step: step, totalSteps: totalSteps, epoch: epoch, epochCount: epochCount, loss: batchLoss,
                        elapsedSeconds: result.trainingSeconds,
                        secondsLeft: result.trainingSeconds / Double(step) * Double(totalSteps - step)))
            }
            guard !result.wasCancelled, epochSteps > 0 else { break }
            let graph = trained(latent)
            let report: EvalReport
            do {
                report = try evaluation.report(for: graph, plan: plan, isCancelled: isCancelled)
            } catch is CancellationError {
                result.wasCancelled = true
                break
            }
            let record = Epoch(
                number: epoch, steps: epochSteps, meanLoss: Float(lossSum / Double(epochSteps)), report: report)
            result.epochs.append(record)
            if record.meanLoss <= bestLoss {
                bestLoss = record.meanLoss
                result.keptEpoch = epoch
                result.graph = graph
            }
            epochEnded(record)
        }
        return result
    }

    /// The model with the trained initializers replaced by `latent`.
    func trained(_ latent: [String: Tensor]) -> Graph {
        var result = graph
        for (name, value) in latent { result.initializers[name] = value }
        return result
    }
}
