import ArgumentParser
import Foundation
import QuantCore

/// `quantdash eval`: held-out accuracy, size and the layer table of a model.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on a held-out labelled data set.",
        discussion: """
            Prints held-out top-1, top-5 and mean negative log-likelihood, the model's size and \
            a table of its quantizable layers (the names plans refer to). With --plan, the plan \
            is applied first (the float model is untouched) and the report adds agreement with \
            the float model, the change in top-1, the compression ratio and per-layer error \
            metrics (sparsity, SQNR, cosine similarity) and stored bytes.

            Examples:
              quantdash eval
              quantdash eval --model demo-cnn --json
              quantdash eval --model demo-cnn --plan plan.json
              quantdash eval --model demo-cnn --plan plan.json --bias-correction
              quantdash eval --model demo-cnn --plan plan.json --equalize --bias-correction
              quantdash eval --model demo-cnn --plan plan.json --learned-rounding
              quantdash eval --model demo-cnn --plan int8.json --integer
              quantdash eval --model demo-cnn --plan int8.json --integer --latency-runs 20 --json
              quantdash eval --model model.onnx --data t10k-images.idx3-ubyte --labels t10k-labels.idx1-ubyte
              quantdash eval --model model.onnx --data heldout.npz --calibration train.npz --mean 0.1307 --std 0.3081
              quantdash eval --model model.onnx --data x.npy --labels y.npy --limit 500
              quantdash eval --model model.onnx --data test.csv --label-column last --scale 1/255
            """
    )

    @OptionGroup var inputs: ModelDataOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A quantization plan (JSON, see docs/plan-format.md) to apply before evaluating.", valueName: "path"))
    var plan: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Images per batch (default: up to 250, fewer for large inputs so a batch stays near 8 MiB).",
            valueName: "n"))
    var batchSize: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bytes of activations to keep between the float and the quantized pass (512M, 2G; default 0: "
                + "memory then stays the same whatever the number of images).", valueName: "size"))
    var cacheBudget = ByteSize(bytes: 0)

    @OptionGroup var corrections: CorrectionFlags

    @Flag(
        name: .long,
        help:
            "Also run the plan as an integer model (int8 weights and activations, int32 accumulation) and report its top-1 beside the fake-quantized figure."
    )
    var integer = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --integer, how each layer's int32 sum becomes an 8-bit code: float (onnxruntime MLAS: float32 multiplier, round half to even; the default) or fixed-point (TFLite: int32 multiplier and shift, gemmlowp rounding).",
            valueName: "float|fixed-point"))
    var requantization: Requantization?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --integer, time the integer and the float model this many times (after one warm-up run) on one held-out image and on a batch of \(LatencyProfile.defaultBatchSize), and report the medians (default \(LatencyProfile.defaultRuns)); 0 skips timing.",
            valueName: "n"))
    var latencyRuns: Int?

    /// The most timed runs `--latency-runs` takes (each runs the model on one image and a batch, twice).
    static let maximumLatencyRuns = 1000

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the model's first output (quantized when --plan is given, the integer model's with --integer) on every held-out sample to a .npy file (float32, batch first).",
            valueName: "path"))
    var saveOutputs: String?

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if corrections.biasCorrection, plan == nil {
            throw ValidationError("--bias-correction needs --plan (it corrects the biases of quantized layers)")
        }
        if corrections.equalize, plan == nil {
            throw ValidationError("--equalize needs --plan (it rescales layers before they are quantized)")
        }
        if corrections.learnedRounding, plan == nil {
            throw ValidationError("--learned-rounding needs --plan (it learns the rounding of quantized layers)")
        }
        if let latencyRuns, latencyRuns < 0 || latencyRuns > Self.maximumLatencyRuns {
            throw ValidationError("--latency-runs must be 0 (no timing) to \(Self.maximumLatencyRuns)")
        }
        if latencyRuns != nil, !integer {
            throw ValidationError("--latency-runs needs --integer (it times the integer model against the float one)")
        }
        if requantization != nil, !integer {
            throw ValidationError("--requantization needs --integer (it chooses the integer model's arithmetic)")
        }
        if integer, plan == nil {
            throw ValidationError("--integer needs --plan (an int8 plan: 8-bit symmetric weights, 8-bit activations)")
        }
    }

    func run() throws {
        let modelChoice = try inputs.modelChoice()
        let dataChoice = try inputs.dataChoice()
        let summary = try EvalRun.run(
            model: modelChoice, data: dataChoice, planPath: plan, calibrationCount: inputs.calibrationCount,
            batchSize: batchSize, cacheBudget: cacheBudget.bytes, biasCorrection: corrections.biasCorrection,
            equalize: corrections.equalize,
            learnedRounding: corrections.learnedRounding, integer: integer,
            requantization: requantization ?? .float, latencyRuns: latencyRuns ?? LatencyProfile.defaultRuns)
        if let saveOutputs {
            try EvalOutputs.save(
                model: modelChoice, data: dataChoice, planPath: plan, calibrationCount: inputs.calibrationCount,
                batchSize: batchSize ?? 16, biasCorrection: corrections.biasCorrection, equalize: corrections.equalize,
                learnedRounding: corrections.learnedRounding, integer: integer,
                requantization: requantization ?? .float, to: saveOutputs)
        }
        if json {
            print(try summary.jsonString())
        } else {
            print(summary.text())
        }
    }
}
extension Requantization: ExpressibleByArgument {}
