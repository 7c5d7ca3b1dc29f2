import Foundation
import QuantCore

extension EvalSummary {
    /// `eval --integer`: how fast the integer model runs beside the float model on this CPU
    /// (`LatencyProfile`: medians of repeated runs on the first held-out images, one thread).
    struct LatencySection: Codable {
        /// One pass's whole-model milliseconds per image: one image alone, and in a batch.
        struct Pass: Codable {
            var msPerImage: Double
            var batchMsPerImage: Double
        }

        /// One layer's milliseconds per image (its Conv / Gemm / MatMul), float and integer.
        struct Layer: Codable {
            var name: String
            var floatMs: Double
            var integerMs: Double
            var batchFloatMs: Double
            var batchIntegerMs: Double
        }

        /// Timed runs each figure is the median of (after one warm-up run) and images in the batch.
        var runs: Int
        var batchSize: Int
        var float: Pass
        var integer: Pass
        /// Float time over integer time: one image, and in the batch.
        var speedup: Double
        var batchSpeedup: Double
        var layers: [Layer]

        init(_ profile: LatencyProfile) {
            runs = profile.runs
            batchSize = profile.batchSize
            float = Pass(msPerImage: profile.float.msPerImage, batchMsPerImage: profile.float.batchMsPerImage)
            integer = Pass(msPerImage: profile.integer.msPerImage, batchMsPerImage: profile.integer.batchMsPerImage)
            speedup = profile.speedup
            batchSpeedup = profile.batchSpeedup
            layers = profile.layers.map {
                Layer(
                    name: $0.name, floatMs: $0.floatMs, integerMs: $0.integerMs, batchFloatMs: $0.batchFloatMs,
                    batchIntegerMs: $0.batchIntegerMs)
            }
        }

        /// "1.90× faster" or "1.25× slower".
        static func comparison(_ speedup: Double) -> String {
            guard speedup > 0, speedup.isFinite else { return "not measurable" }
            return speedup >= 1
                ? String(format: "%.2f× faster", speedup) : String(format: "%.2f× slower", 1 / speedup)
        }

        /// The text form's lines.
        func textLines() -> [String] {
            [
                String(
                    format: "  latency          integer %@ ms/image, float %@ ms/image (%@), median of %d run%@",
                    Self.milliseconds(integer.msPerImage), Self.milliseconds(float.msPerImage),
                    Self.comparison(speedup), runs, runs == 1 ? "" : "s"),
                String(
                    format: "                   batch of %d: integer %@ ms/image, float %@ ms/image (%@); one thread",
                    batchSize, Self.milliseconds(integer.batchMsPerImage), Self.milliseconds(float.batchMsPerImage),
                    Self.comparison(batchSpeedup)),
            ]
        }

        /// Milliseconds with three significant digits (0.0213, 0.213, 2.13, 21.3, 213).
        static func milliseconds(_ value: Double) -> String {
            guard value.isFinite, value > 0 else { return "0" }
            let digits = max(0, 2 - Int(log10(value).rounded(.down)))
            return String(format: "%.\(min(digits, 6))f", value)
        }
    }
}
