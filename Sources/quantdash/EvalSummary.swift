import Foundation
import QuantCore
import QuantTUI

/// What `quantdash eval` reports, as text or as one JSON object.
struct EvalSummary: Codable {
    /// The model evaluated.
    struct Model: Codable {
        var name: String
        var path: String
        var parameters: Int
    }
    /// The data set evaluated on.
    struct DataSet: Codable {
        var name: String
        var count: Int
        var classes: Int
        /// Whether the data has labels (without them there is no `accuracy`, only `fidelity`).
        var labeled: Bool
        var calibrationCount: Int?
    }
    /// Held-out accuracy figures.
    struct Accuracy: Codable {
        var top1: Double
        var top5: Double
        /// Absent when no sample's output was finite.
        var nll: Double?
        var agreement: Double?
        var correct: Int
        var count: Int
        var top1Interval95: [Double]
        /// Samples with a NaN or infinite logit, the first of them and the node it starts at (absent when none).
        var nonFinite: NonFiniteOutputs?

        init(_ report: EvalReport) {
            top1 = report.top1
            top5 = report.top5
            nll = report.finiteMeanNLL
            agreement = report.agreement
            correct = report.correctCount
            count = report.count
            top1Interval95 = [report.top1Interval.lowerBound, report.top1Interval.upperBound]
            nonFinite = report.nonFinite
        }
    }
    /// Bytes of the model as exported.
    struct Size: Codable {
        var floatBytes: Int
        var bytes: Int
        var compressionRatio: Double
        /// The mean stored bits `b` per layer weight value (32 for float layers).
        var meanValueBits: Double
        /// The precision loss `δ = 1 − b/32` (`SizeReport.precisionLoss`).
        var precisionLoss: Double
    }
    /// One quantizable layer with its settings, error metrics and stored size.
    struct LayerRow: Codable {
        var name: String
        var op: String
        var weightShape: [Int]
        var parameters: Int
        var bits: String
        var scheme: String
        var granularity: String
        var prune: String
        var activationBits: Int?
        var sparsity: Double
        var mse: Double
        var sqnrDecibels: Double?
        var cosine: Double
        var maxAbsError: Double
        var bytes: Int
        var encoding: String
        /// `true` when the layer's bias is corrected (absent otherwise).
        var biasCorrection: Bool?
        /// `true` when the layer is equalized with the next one (absent otherwise).
        var equalize: Bool?
        /// `true` when the layer's rounding is learned (absent otherwise).
        var learnedRounding: Bool?

        init(_ report: LayerReport, activationBits: Int?) {
            name = report.layer.name
            op = report.layer.opName
            weightShape = report.layer.weightShape
            parameters = report.layer.parameterCount
            bits = report.settings.bitWidthLabel
            scheme = report.settings.schemeLabel
            granularity = report.settings.granularityLabel
            prune = report.settings.pruningLabel
            self.activationBits = activationBits
            sparsity = report.metrics.sparsity
            mse = report.metrics.meanSquaredError
            sqnrDecibels = report.metrics.sqnrDecibels
            cosine = report.metrics.cosineSimilarity
            maxAbsError = report.metrics.maxAbsoluteError
            bytes = report.size.quantizedBytes
            encoding = report.size.encoding.rawValue
            biasCorrection = report.settings.biasCorrection && !report.settings.isFloat ? true : nil
            equalize = report.settings.equalize ? true : nil
            learnedRounding = report.settings.rounding == .learned && report.settings.bitWidth != nil ? true : nil
        }
    }

    var model: Model
    var data: DataSet
    /// Which of several model inputs or outputs is used (`Workbench.ioNote`), if there are several.
    var note: String?
    var plan: String?
    /// Warnings about the plan (absent when none): entropy-calibrated layers in a plan that
    /// costs top-1 (docs/plan-format.md's caveat).
    var warnings: [String]?
    /// Held-out accuracy; absent for data without labels.
    var accuracy: Accuracy?
    var floatAccuracy: Accuracy?
    /// Fidelity of the evaluated model to the float model on the same samples (always measured;
    /// the float model alone is identical to itself).
    var fidelity: Fidelity?
    var size: Size
    var layers: [LayerRow]
    /// The integer model beside the fake-quantized one (`--integer`; absent otherwise).
    var integer: IntegerSection? = nil
    /// The integer model's latency beside the float model's (`--integer` unless `--latency-runs 0`).
    var latency: LatencySection? = nil

    /// The JSON form: pretty-printed, keys sorted.
    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Per-layer error metrics of a model with NaN or huge weights can be non-finite: still valid JSON.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Top-1 lost (in points) from which entropy-calibrated layers are named in a warning.
    static let entropyWarningDrop = 0.5

    /// The warning for a plan whose `entropyLayers` calibrate with entropy and whose held-out
    /// top-1 is `drop` points below the float model's, or nil when it costs less.
    static func entropyWarning(entropyLayers: [String], drop: Double) -> String? {
        guard !entropyLayers.isEmpty, drop >= entropyWarningDrop else { return nil }
        let names =
            entropyLayers.count > 4
            ? entropyLayers.prefix(4).joined(separator: ", ") + " and \(entropyLayers.count - 4) more"
            : entropyLayers.joined(separator: ", ")
        return String(
            format: "top-1 is %.2f pt below float and %@ calibrate%@ activations with \"entropy\", which clips hard "
                + "where a few values dominate (docs/plan-format.md); try \"minmax\" or \"mse\" for %@",
            drop, Printable.text(names), entropyLayers.count == 1 ? "s" : "", entropyLayers.count == 1 ? "it" : "them")
    }

    /// The human-readable form.
    func text() -> String {
        var lines: [String] = []
        if data.labeled {
            lines.append("\(model.name) on \(data.name): \(data.count) held-out images, \(data.classes) classes")
        } else {
            lines.append("\(model.name) on \(data.name): \(data.count) held-out samples without labels")
        }
        if let note { lines.append("note: \(note)") }
        if let plan { lines.append("plan \(plan)") }
        lines.append("")
        if let accuracy { lines += accuracyLines(accuracy) }
        if let fidelity, plan != nil {
            lines.append(
                String(format: "  fidelity         top-1 agreement %.2f %%", fidelity.agreement * 100)
                    + (fidelity.kl.map { String(format: ", mean KL %.4f", $0) } ?? ""))
            lines.append(
                String(
                    format: "                   cosine %.5f, relative MSE %.3e", fidelity.cosine, fidelity.relativeMSE)
                    + (fidelity.neighbours.map { String(format: ", nearest-neighbour agreement %.2f %%", $0 * 100) }
                        ?? ""))
        } else if accuracy == nil {
            lines.append(
                "  no labels: give --plan to measure fidelity (agreement, KL, cosine, relative MSE) to the float model")
        }
        lines.append(
            "  size             \(Formatting.bytes(size.bytes))   (float32 \(Formatting.bytes(size.floatBytes)), \(String(format: "%.2f", size.compressionRatio))× smaller; \(Formatting.grouped(model.parameters)) parameters)"
        )
        lines.append("  precision loss   \(Self.precisionLossText(size))   (b = mean stored bits per weight value)")
        if let integer { lines += integer.textLines() }
        if let latency { lines += latency.textLines() }
        lines.append("")
        lines += layerTable()
        return Printable.text(lines.joined(separator: "\n"))
    }

    /// `"δ = 1 − 8/32 = 75.0 %"`, as `SizeReport.precisionLossLabel` writes it.
    static func precisionLossText(_ size: Size) -> String {
        SizeReport.precisionLossLabel(meanValueBitWidth: size.meanValueBits)
    }

    /// The accuracy lines of the text form.
    private func accuracyLines(_ accuracy: Accuracy) -> [String] {
        var lines: [String] = []
        let interval = accuracy.top1Interval95.map { String(format: "%.1f", $0 * 100) }.joined(separator: "–")
        var top1Line =
            "  held-out top-1   \(percent(accuracy.top1))   (\(accuracy.correct)/\(accuracy.count); 95 % interval \(interval) %)"
        if let floatAccuracy {
            top1Line += String(
                format: "   float %.2f %%, Δ %+.2f pt", floatAccuracy.top1 * 100,
                (accuracy.top1 - floatAccuracy.top1) * 100)
        }
        lines.append(top1Line)
        lines.append("  held-out top-5   \(percent(accuracy.top5))")
        lines.append(
            "  mean NLL         "
                + (accuracy.nll.map { String(format: "%.4f", $0) } ?? "— (no sample's output is finite)"))
        if let nonFinite = accuracy.nonFinite {
            lines.append("  warning: \(nonFinite.summary(of: accuracy.count)); NLL averages the other samples")
        }
        if let nonFinite = floatAccuracy?.nonFinite, plan != nil {
            lines.append("  warning: float model: \(nonFinite.summary(of: floatAccuracy?.count ?? 0))")
        }
        for warning in warnings ?? [] { lines.append("  warning: \(warning)") }
        if let agreement = accuracy.agreement, plan != nil {
            lines.append("  agreement        \(percent(agreement))   (predictions equal to the float model's)")
        }
        return lines
    }

    /// The corrections' marker after a layer's bits (`LayerSettings.correctionMarker`).
    static func corrections(_ row: LayerRow) -> String {
        LayerSettings.correctionMarker(
            equalized: row.equalize == true, learnedRounding: row.learnedRounding == true,
            biasCorrected: row.biasCorrection == true)
    }

    private func layerTable() -> [String] {
        var header = ["layer", "op", "weight shape", "parameters"]
        let isQuantized = plan != nil
        if isQuantized {
            header += ["bits", "scheme", "granularity", "prune", "act", "sparsity", "SQNR dB", "cosine", "bytes"]
        }
        let rows: [[String]] = layers.map { row in
            var cells = [
                Printable.name(row.name), row.op, row.weightShape.map(String.init).joined(separator: "×"),
                Formatting.grouped(row.parameters),
            ]
            if isQuantized {
                cells += [
                    row.bits + Self.corrections(row), row.scheme, row.granularity, row.prune,
                    row.activationBits.map(String.init) ?? "float",
                    String(format: "%.1f %%", row.sparsity * 100),
                    row.sqnrDecibels.map { String(format: "%.1f", $0) } ?? "∞",
                    String(format: "%.5f", row.cosine), Formatting.grouped(row.bytes),
                ]
            }
            return cells
        }
        let rightAligned: Set<Int> = isQuantized ? [3, 9, 10, 11, 12] : [3]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let render: ([String]) -> String = { cells in
            "  "
                + cells.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return rightAligned.contains(column) ? padding + cell : cell + padding
                }.joined(separator: "   ").trimmingTrailingSpaces()
        }
        return [render(header)] + rows.map(render)
    }
}

extension String {
    /// The string without trailing spaces.
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// `0.953` → `" 95.30 %"`.
func percent(_ fraction: Double) -> String { String(format: "%6.2f %%", fraction * 100) }
