import ArgumentParser
import Foundation
import QuantCore

/// `quantdash finetune`: quantization-aware fine-tuning with distillation (`FineTuner`).
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a model through a plan's quantizers, the float model as teacher, and save it as ONNX.",
        discussion: """
            Trains the latent float weights with the plan's quantization and pruning in the forward \
            pass (straight-through backward; pruned weights stay 0), distilling the float model: \
            any model whose operators have a backward pass (Conv incl. strided/depthwise, Gemm, \
            MatMul, BatchNormalization, pools, residual Adds, ...). \
            loss = T² · KL(teacher_T ‖ student_T) + w · cross-entropy (labels only). Trains on the \
            4000 bundled training digits unless --train-data says otherwise, never on --data. \
            Progress goes to stderr, with the held-out top-1 of the quantized model after each \
            epoch; Ctrl-C stops and keeps the best epoch. The saved model holds the latent float \
            weights, so `eval --model OUT --plan PLAN` reproduces the printed top-1.

            Examples:
              quantdash finetune --model demo-cnn --plan w2.json --out cnn-w2.onnx
              quantdash finetune --model demo-mlp --plan sparse80.json --epochs 5 --out mlp-s80.onnx --session mlp-s80
            """
    )

    @OptionGroup var inputs: ModelDataOptions

    @Option(name: .long, help: ArgumentHelp("The plan to train through.", valueName: "path"))
    var plan: String

    @Option(
        name: .customLong("train-data"),
        help: ArgumentHelp(
            "Training images (.npz, .npy, .csv or IDX; labels optional), read like --data. Default: the bundled 4000 training digits.",
            valueName: "path"))
    var trainData: String?

    @Option(
        name: .customLong("train-labels"),
        help: ArgumentHelp("The labels file (.npy or IDX) for .npy or IDX --train-data.", valueName: "path"))
    var trainLabels: String?

    @Option(name: .long, help: ArgumentHelp("Passes over the training data (default 8).", valueName: "n"))
    var epochs: Int?

    @Option(name: .long, help: ArgumentHelp("Total optimizer steps instead of --epochs.", valueName: "n"))
    var steps: Int?

    @Option(name: .long, help: ArgumentHelp("Distillation temperature T.", valueName: "T"))
    var temperature: Float = FineTuner.Options().temperature

    @Option(
        name: .customLong("label-weight"),
        help: ArgumentHelp("Weight of the cross-entropy term (0: distillation only).", valueName: "w"))
    var labelWeight: Float = FineTuner.Options().labelWeight

    @Option(name: .customLong("learning-rate"), help: ArgumentHelp("Adam's base step size.", valueName: "lr"))
    var learningRate: Float = FineTuner.Options().learningRate

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Samples per step.", valueName: "n"))
    var batchSize = FineTuner.Options().batchSize

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The quantized weights' per-block scales while training: derived (re-derived from the latent weights every step, as evaluation does) or kept (fixed from the starting weights; affine schemes).",
            valueName: "derived|kept"))
    var scales: FineTuner.ScaleMode = FineTuner.Options().scales

    @Option(name: .long, help: ArgumentHelp("Seeds the shuffling.", valueName: "n"))
    var seed: UInt64 = FineTuner.Options().seed

    @Option(name: .long, help: ArgumentHelp("Where to write the fine-tuned ONNX model.", valueName: "path"))
    var out: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also save a session preset of this name (the fine-tuned model, --data and the plan); open it with `quantdash --session NAME`.",
            valueName: "name"))
    var session: String?

    @Option(
        name: .customLong("sessions-folder"), help: ArgumentHelp("Where session presets are kept.", valueName: "folder")
    )
    var sessionsFolder = "Sessions"

    @Flag(name: .long, help: "Overwrite --out (and the --session preset) if it exists.")
    var force = false

    func validate() throws {
        if epochs != nil && steps != nil { throw ValidationError("give --epochs or --steps, not both") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if !(temperature.isFinite && temperature > 0) { throw ValidationError("--temperature must be above 0") }
        if !(labelWeight.isFinite && labelWeight >= 0) { throw ValidationError("--label-weight must be 0 or more") }
        if !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--learning-rate must be above 0") }
        if trainLabels != nil && trainData == nil { throw ValidationError("--train-labels needs --train-data") }
        if let trainData, trainData == inputs.data {
            throw ValidationError("--train-data \(trainData) is the held-out --data: fine-tuning never trains on it")
        }
        if let session, let problem = SessionStore.nameProblem(session) {
            throw ValidationError("--session \(session): \(problem)")
        }
        try OutputDestination.validate(out, force: force)
    }

    func run() throws {
        let model = try inputs.modelChoice()
        let data = try inputs.dataChoice()
        let graph = try model.load()
        let planFile = try EvalRun.loadPlan(planPath: plan, layerNames: graph.layers.map(\.name))
        // The model is checked before any data is read: an unsupported node is the first error.
        let tuner = try FineTuner(graph: graph, plan: planFile, file: model.name)
        if !tuner.untrainedFeatures.isEmpty {
            FinetuneOutput.note(
                "the plan's \(tuner.untrainedFeatures.joined(separator: ", ")) apply when evaluating and exporting; "
                    + "training goes through its weight quantization and pruning only")
        }
        // Held-out data and calibration exactly as `eval` reads them.
        let evaluation = HeldOutEvaluation(
            heldOut: try data.load(for: graph),
            calibration: try data.feeding(graph).calibrationSet(count: inputs.calibrationCount))
        let (training, trainingName) = try trainingSet()
        var options = FineTuner.Options()
        options.epochs = epochs ?? options.epochs
        options.steps = steps
        options.temperature = temperature
        options.labelWeight = labelWeight
        options.learningRate = learningRate
        options.batchSize = batchSize
        options.seed = seed
        options.scales = scales
        let output = FinetuneOutput()
        let cancellation = Cancellation.onInterrupt()
        let result: FineTuner.Result
        do {
            result = try tuner.run(
                training: training, trainingFile: trainingName, evaluation: evaluation, options: options,
                progress: output.step, epochEnded: output.epoch, isCancelled: { cancellation.isCancelled })
        } catch is CancellationError {
            output.finishLine()
            throw CLIError(message: "stopped before the first training step; nothing written")
        }
        output.finishLine()
        let url = URL(fileURLWithPath: out)
        try ONNXModel.write(result.graph, to: url)
        let digest = try FileDigest.sha256(of: url)
        print(FinetuneOutput.summary(result, out: out, digest: digest, plan: plan, trainingName: trainingName))
        if let session {
            try saveSession(session, model: url, data: data, plan: planFile, result: result)
        }
    }

    /// The training set and the name errors and summaries use for it.
    private func trainingSet() throws -> (Dataset, String) {
        guard let trainData else { return (try DemoData.trainingSet(), "the bundled training digits") }
        var options = try inputs.loadOptions()
        options.labelsPath = trainLabels
        options.limit = nil
        options.requiresLabels = false
        return (try DatasetLoader.load(path: trainData, options: options), trainData)
    }

    /// Saves a preset referencing the fine-tuned model by path and SHA-256.
    private func saveSession(
        _ name: String, model: URL, data: DataChoice, plan: QuantPlan, result: FineTuner.Result
    )
        throws
    {
        let now = Date()
        let preset = SessionPreset(
            name: name, model: try .digesting(model, path: out), data: try data.reference(), plan: plan,
            notes: String(
                format: "fine-tuned from %@ through %@: held-out top-1 %.2f %% → %.2f %%", inputs.model, self.plan,
                result.before.top1 * 100, result.report.top1 * 100),
            createdAt: now, updatedAt: now)
        let url = try SessionStore(folder: URL(fileURLWithPath: sessionsFolder, isDirectory: true))
            .save(preset, overwrite: force)
        print("saved session \(name) (\(url.path)); open it with: quantdash --session \(name)")
    }
}

extension FineTuner.ScaleMode: ExpressibleByArgument {}
