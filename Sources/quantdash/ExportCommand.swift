import ArgumentParser
import Foundation
import QuantCore

/// `quantdash export`: writes a plan applied to a model in a chosen format, through the same
/// `Exporter.export` the dashboard's export dialog calls.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a quantization plan applied to a model.",
        discussion: """
            --format config writes the plan with every layer explicit, plus a "provenance" \
            object: the model and data (path and SHA-256), the calibration count and the \
            results the plan produced (held-out top-1, top-5, NLL, agreement with the float \
            model, size, compression ratio, per-layer bytes and SQNR). The file is itself a \
            plan: `quantdash eval --plan FILE` on the same model and data reproduces the numbers.

            --format c writes NAME.h and NAME.c: a self-contained C99 model for \
            microcontrollers. For a plan eval --integer can run (8-bit symmetric weights and 8-bit \
            activations on every layer) it is integer int8: int8 weight codes, int32 biases, \
            float32 requantization multipliers and 8-bit activation codes in one static arena, \
            the arithmetic of eval --integer code for code (float input quantized, output \
            dequantized; NAME_predict_codes runs on codes). Otherwise weights are stored exactly \
            as the size model counts them (bit-packed codes, or an occupancy bitmap plus the \
            non-zero codes for sparse layers; float32 scales, zero points, codebooks and biases), \
            decoded row by row, with float arithmetic. Either way the static const arrays add up \
            to NAME_FLASH_BYTES and the static buffers to NAME_RAM_BYTES (peak RAM), both in the \
            header and in the line printed, which also says which form and why. \
            int NAME_predict(const float *input, float *logits) runs one example without \
            allocation and returns the top-1 class. --out is a folder \
            (NAME = the model's name) or a path without extension (NAME = its last component).

            --format onnx writes the quantized model in ONNX QDQ form: each affine per-tensor or \
            per-channel layer stores its integer codes (int4/uint4 up to 4 bits, int8/uint8, \
            int16/uint16 above 8 bits) \
            feeding a DequantizeLinear, so onnxruntime computes the weights quantdash evaluates, \
            bit for bit; quantized activations get QuantizeLinear/DequantizeLinear. Schemes ONNX \
            cannot express (power-of-two, k-means, FP8, NF4, binary, ternary, per-group) are \
            stored as dequantized floats and listed in the metadata key \
            quantdash.float_fallback_layers.

            --format tflite writes a TensorFlow Lite model. For a plan eval --integer can run \
            (8-bit symmetric weights and 8-bit activations on every layer) it is full-integer \
            int8, built from that integer model: int8 per-channel weights, int8 activations with \
            the calibrated scales, int32 biases, fused ReLU/ReLU6, float input and output with \
            QUANTIZE/DEQUANTIZE at the ends (--int8-io: int8 input and output tensors \
            instead; the caller quantizes with the input tensor's scale and zero point). Otherwise it is float32 with the plan's weights \
            dequantized (it predicts what eval --plan reports) and quantized activations as \
            QUANTIZE/DEQUANTIZE pairs; the line printed says which form and why. The input keeps \
            the ONNX model's shape and NCHW order (the same data eval reads). Operators TFLite \
            export cannot express are refused, naming the operator, and nothing is written.

            --format report writes Markdown for a pull request: model/data SHA-256, the plan, \
            float vs quantized accuracy, size, a per-layer table and the command to reproduce it.

            --bias-correction turns on "biasCorrection" for every quantized layer with a bias: \
            the bias absorbs the mean output error of the quantized weights on the calibration \
            set, and every format writes the corrected bias.

            --equalize turns on "equalize" for every layer that can be equalized with the next \
            one (through ReLU, pooling or Flatten): both layers are rescaled per channel before \
            quantization, and every format writes the equalized weights.

            --learned-rounding sets "rounding": "learned" for every quantized affine Conv, Gemm \
            and MatMul layer: each weight is rounded up or down as a short optimisation of the \
            layer's output error on the calibration set chooses (AdaRound), keeping the scale and \
            zero point; every format stores the learned codes.

            Examples:
              quantdash export --plan plan.json --format config --out mlp-4bit.json
              quantdash export --plan plan.json --format report --out report.md
              quantdash export --plan plan.json --format onnx --out mlp-4bit.onnx
              quantdash export --plan plan.json --bias-correction --format onnx --out mlp-4bit-bc.onnx
              quantdash export --plan plan.json --equalize --format onnx --out mlp-4bit-eq.onnx
              quantdash export --plan plan.json --learned-rounding --format c --out firmware/mlp4-ar
              quantdash export --plan plan.json --format c --out firmware/mlp4
              quantdash export --plan plan.json --format tflite --out mlp-4bit.tflite
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp("The quantization plan (JSON, see docs/plan-format.md).", valueName: "path"))
    var plan: String

    @Option(name: .long, help: ArgumentHelp("What to write: config, onnx, c, report or tflite.", valueName: "format"))
    var format: ExportFormat

    @Option(name: .long, help: ArgumentHelp("Where to write the export.", valueName: "path"))
    var out: String

    @OptionGroup var inputs: ModelDataOptions

    @OptionGroup var corrections: CorrectionFlags

    @Flag(
        name: .customLong("int8-io"),
        help: "With --format tflite and a full-integer plan: int8 input and output tensors (no QUANTIZE/DEQUANTIZE).")
    var int8IO = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --format c and an int8 plan: the integer form's requantization, float (onnxruntime MLAS, the default) or fixed-point (TFLite's int32 multiplier and shift); the same as eval --integer --requantization.",
            valueName: "float|fixed-point"))
    var requantization: Requantization?

    @Flag(name: .long, help: "Overwrite --out if it exists.")
    var force = false

    func run() throws {
        do {
            try export()
        } catch ModelIOError.exists(let path) {
            throw CommandFailure("\(path) exists; pass --force to overwrite it")
        }
    }

    /// Loads, evaluates and writes the export (through `Exporter`, as the dashboard does), then
    /// prints one line about it.
    private func export() throws {
        guard !out.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CommandFailure("--out is empty; give the file to write (for --format c, a folder or a base name)")
        }
        let modelChoice = try inputs.modelChoice()
        let dataChoice = try inputs.dataChoice()
        let model = try modelChoice.reference()
        // Refuse an existing destination before the model is even loaded.
        let target = try Exporter.destination(format, path: out, modelPath: inputs.model)
        if !force, let existing = target.files.first(where: { FileManager.default.fileExists(atPath: $0.path) }) {
            throw ModelIOError.exists(path: existing.relativePath)
        }
        let prepared = try EvalRun.prepare(
            model: modelChoice, data: dataChoice, calibrationCount: inputs.calibrationCount,
            batchSize: nil)
        var quantPlan = try EvalRun.loadPlan(planPath: plan, layerNames: prepared.workbench.layerNames)
        quantPlan = corrections.apply(to: quantPlan, in: prepared.workbench)
        // With --bias-correction, --equalize or --learned-rounding the plan file is not the plan exported: the report embeds it.
        if int8IO && format != .tflite { throw CommandFailure("--int8-io applies to --format tflite only") }
        if requantization != nil && format != .c {
            throw CommandFailure(
                "--requantization applies to --format c only (a .tflite file's requantization is its runtime's: TFLite's fixed point)"
            )
        }
        var request = ExportRequest(
            format: format, plan: quantPlan, path: out, overwrite: force, model: model,
            data: try dataChoice.reference(), evalArguments: inputs.evalArguments(),
            planPath: corrections.anyOn ? nil : plan)
        request.integerIO = int8IO
        request.requantization = requantization ?? .float
        let result = try Exporter.export(request, using: prepared.workbench)
        print(summary(of: result, layerCount: prepared.workbench.layers.count))
    }

    /// The line printed about an export.
    private func summary(of result: ExportResult, layerCount: Int) -> String {
        switch result.details {
        case .config(let config):
            guard let results = config.provenance?.results else { return "wrote \(out): config" }
            return "wrote \(out): config for \(config.layers.count) layers of \(inputs.model); held-out top-1 "
                + "\(percent(results.top1).trimmingCharacters(in: .whitespaces)), "
                + "\(Formatting.bytes(results.sizeBytes)) (\(String(format: "%.2f", results.compressionRatio))× smaller)"
        case .onnx(let graph):
            let dequantizers = graph.nodes.filter { node in
                if case .dequantizeLinear = node.op { return true } else { return false }
            }.count
            let fallbacks = graph.metadata[QDQExporter.fallbackLayersKey] ?? ""
            return "wrote \(out): ONNX QDQ model of \(inputs.model), \(dequantizers) DequantizeLinear nodes; "
                + (fallbacks.isEmpty ? "no float fallbacks" : "float fallback layers: \(fallbacks)")
        case .c(let export):
            return
                "wrote \(result.files.map(\.relativePath).joined(separator: " and ")): C99 model of \(inputs.model), "
                + "\(export.form.rawValue)"
                + (export.requantization.map { " (\($0.rawValue) requantization)" } ?? "")
                + ", \(export.flashBytes) bytes of flash (\(Formatting.bytes(export.flashBytes))), "
                + "\(export.ramBytes) bytes of peak RAM (\(export.reason))"
        case .report(let text):
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            return "wrote \(out): Markdown report (\(lineCount) lines) for \(layerCount) layers of \(inputs.model)"
        case .tflite(let export):
            let activations = export.fakeQuantizedActivations.count
            return "wrote \(out): TFLite model of \(inputs.model), \(export.format.rawValue), "
                + "\(export.model.operators.count) operators, \(export.byteCount) bytes"
                + (activations == 0 ? "" : "; \(activations) activations quantize-dequantized")
                + " (\(export.reason))"
        }
    }
}

/// A failure reported as one line (`Error: <description>`) without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    /// The line shown to the user.
    var description: String

    /// A failure with the given line.
    init(_ description: String) {
        self.description = description
    }
}

extension ExportFormat: ExpressibleByArgument {}
