import Foundation
import QuantCore

extension EvalSummary {
    /// `eval --integer`: the integer model's top-1 beside the fake-quantized figure.
    struct IntegerSection: Codable {
        /// The integer model's held-out top-1 and correct count.
        var top1: Double
        var correct: Int
        /// The fake-quantized model's top-1 on the same samples.
        var fakeQuantizedTop1: Double
        var count: Int
        /// Samples whose integer prediction differs from the fake-quantized one.
        var differingPredictions: Int
        /// The largest |integer − fake-quantized| output, in steps of the output scale.
        var maxOutputSteps: Double
        /// The input's quantization: scale, zero point and integer type.
        var inputScale: Double
        var inputZeroPoint: Int
        var inputType: String
        /// The integer GEMM variant that ran (`avx2` or `scalar`).
        var kernel: String
        /// How the layers requantized: `float` (onnxruntime MLAS) or `fixed-point` (TFLite).
        var requantization: String
        /// Layers whose int32 bias saturated (their integer outputs are clamped).
        var saturatedBiasLayers: [String]

        init(_ evaluation: IntegerEvaluation) {
            top1 = evaluation.top1
            correct = evaluation.correct
            fakeQuantizedTop1 = evaluation.fakeQuantizedTop1
            count = evaluation.count
            differingPredictions = evaluation.differingPredictions
            maxOutputSteps = Double(evaluation.maxOutputSteps)
            inputScale = Double(evaluation.inputQuantization.scale)
            inputZeroPoint = Int(evaluation.inputQuantization.zeroPoint)
            inputType = evaluation.inputQuantization.isSigned ? "int8" : "uint8"
            kernel = evaluation.kernel
            requantization = evaluation.requantization.rawValue
            saturatedBiasLayers = evaluation.saturatedBiasLayers
        }

        /// The text form's lines.
        func textLines() -> [String] {
            [
                String(
                    format: "  integer top-1    %.2f %%   (%d/%d; fake-quantized %.2f %%; %d prediction%@ differ%@)",
                    top1 * 100, correct, count, fakeQuantizedTop1 * 100, differingPredictions,
                    differingPredictions == 1 ? "" : "s", differingPredictions == 1 ? "s" : ""),
                String(
                    format:
                        "                   int8 arithmetic (%@ kernel, %@ requantization); outputs within %.2f steps of fake-quantized; input %@ scale %.6g",
                    kernel, requantization, maxOutputSteps, inputType, inputScale),
            ] + saturationLines()
        }

        /// A warning when biases saturated: the integer figure then describes clamped layers.
        private func saturationLines() -> [String] {
            guard let first = saturatedBiasLayers.first.map({ Printable.name($0) }) else { return [] }
            let names =
                saturatedBiasLayers.count == 1
                ? "layer \(first)" : "\(saturatedBiasLayers.count) layers (first \(first))"
            return [
                "                   warning: \(names): bias / (input scale · weight scale) leaves int32, so the int32 bias saturates and the integer outputs clamp (the activations reaching it are tiny: check the calibration data)"
            ]
        }
    }
}
