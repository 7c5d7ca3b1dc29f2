import Foundation

/// Quantization-aware fine-tuning with distillation (issue 17.2): trains a model's latent float
/// weights *through a plan's quantizers*, with the float model as teacher.
///
/// - Student: every step quantizes and prunes the latent weights exactly as the plan defines
///   them (`StudentWeights`: `Pruner.mask` + `WeightQuantizer`, scales derived from the current
///   latent weights as the plan's range method says); the backward pass is straight-through and
///   pruned weights get no gradient and stay exactly 0.
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

        /// The default recipe.
        public init() {}
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
    let graphNetwork: GraphNetwork

    /// Prepares to fine-tune `graph` (read from `file`, named in errors) through `plan`.
    ///
    /// - Throws: `FineTuningError` for a graph the trainer cannot express; `PlanError` for a
    ///   plan naming layers the model lacks.
    public init(graph: Graph, plan: QuantPlan, file: String) throws {
        graphNetwork = try GraphNetwork(graph: graph, file: file)
        try plan.validated(against: graph.layers.map(\.name))
        self.graph = graph
        self.plan = plan
    }

    /// The plan features applied at evaluation but not trained through, e.g. `["bias correction"]`.
    public var untrainedFeatures: [String] {
        var names: Set<String> = []
        for binding in graphNetwork.bindings {
            let settings = plan.settings(for: binding.layer.name)
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
    ///   - isCancelled: checked before every step.
    /// - Throws: `FineTuningError` for data or options that do not fit; `QuantizationError`,
    ///   `PlanError`, `GraphError` as evaluating the plan would.
    public func run(
        training: Dataset, trainingFile: String, evaluation: HeldOutEvaluation, options: Options,
        progress: (Progress) -> Void = { _ in }, epochEnded: (Epoch) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> Result {
        let data = try TrainingBatches(
            training: training, file: trainingFile, network: graphNetwork.network, options: options)
        let loss = DistillationLoss(temperature: options.temperature, labelWeight: options.labelWeight)
        var latent = graphNetwork.network.parameters
        try StudentWeights(latent: latent, graphNetwork: graphNetwork, plan: plan).zeroFrozen(&latent)
        let before = try evaluation.report(for: graphNetwork.graph(graph, with: latent), plan: plan)
        var result = Result(
            graph: graphNetwork.graph(graph, with: latent), before: before, epochs: [], keptEpoch: 0,
            wasCancelled: false, trainingSeconds: 0)
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
                let student = try StudentWeights(latent: latent, graphNetwork: graphNetwork, plan: plan)
                var network = graphNetwork.network
                network.parameters = student.parameters
                let (batchLoss, raw) = data.lossAndGradients(of: network, batch: batch, loss: loss)
                var gradients = raw
                student.maskGradients(&gradients)
                optimizer.learningRate = LearningRateSchedule.cosine.learningRate(
                    base: options.learningRate, step: step, totalSteps: totalSteps)
                optimizer.update(&latent, gradients: gradients)
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
            let trained = graphNetwork.graph(graph, with: latent)
            let record = Epoch(
                number: epoch, steps: epochSteps, meanLoss: Float(lossSum / Double(epochSteps)),
                report: try evaluation.report(for: trained, plan: plan))
            result.epochs.append(record)
            if record.meanLoss <= bestLoss {
                bestLoss = record.meanLoss
                result.keptEpoch = epoch
                result.graph = trained
            }
            epochEnded(record)
        }
        return result
    }
}
