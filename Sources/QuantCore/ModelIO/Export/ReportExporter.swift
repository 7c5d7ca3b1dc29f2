import Foundation

/// The `report` export: Markdown to paste into a pull request — what was quantized, how, and
/// what it cost in held-out accuracy and bought in size, with the command that reproduces it.
///
/// ```
/// ## Quantization report: demo-mlp on demo
/// Model `demo-mlp` (SHA-256 `3f1c…`), data `demo` (SHA-256 `9a0b…`), 1,000 held-out samples.
/// ### Plan / ### Held-out accuracy / ### Size / ### Layers / ### Reproduce
/// ```
/// The text is deterministic: the same plan, model and data give the same bytes. A timestamp
/// appears only when one is passed in (`generatedAt`).
public enum ReportExporter {
    /// Everything a report shows.
    public struct Content: Sendable {
        /// The plan applied.
        public var plan: QuantPlan
        /// The plan applied to the model (layer reports and size).
        public var model: QuantizedModel
        /// The quantized model on the held-out set (with agreement against the float model).
        public var evaluation: EvalReport
        /// The float model on the same held-out set.
        public var floatEvaluation: EvalReport
        /// The model file, with its SHA-256.
        public var modelReference: FileReference
        /// The held-out data, with its SHA-256.
        public var dataReference: FileReference
        /// The shell command that reproduces the numbers (`quantdash eval --plan …`).
        public var reproduceCommand: String
        /// When the report was made; `nil` leaves the timestamp out.
        public var generatedAt: Date?

        /// Creates report content from its parts.
        public init(
            plan: QuantPlan, model: QuantizedModel, evaluation: EvalReport, floatEvaluation: EvalReport,
            modelReference: FileReference, dataReference: FileReference, reproduceCommand: String,
            generatedAt: Date? = nil
        ) {
            self.plan = plan
            self.model = model
            self.evaluation = evaluation
            self.floatEvaluation = floatEvaluation
            self.modelReference = modelReference
            self.dataReference = dataReference
            self.reproduceCommand = reproduceCommand
            self.generatedAt = generatedAt
        }
    }

    /// Characters of a SHA-256 shown in the title line.
    public static let shortDigestLength = 12

    /// Applies `plan` with `workbench`, evaluates the float and quantized models on the whole
    /// held-out set, and writes the Markdown report to `url`; returns the text written.
    ///
    /// - Throws: `ModelIOError.exists` (checked before evaluating) or `.writeFailed`; `PlanError`
    ///   for a plan that does not fit the model; errors of `Workbench.apply` and `evaluate`.
    @discardableResult
    public static func export(
        _ plan: QuantPlan, using workbench: Workbench, model: FileReference, data: FileReference,
        reproduceCommand: String, to url: URL, overwrite: Bool = false, generatedAt: Date? = nil
    ) throws -> String {
        try checkDestination(url, overwrite: overwrite)
        let quantized = try workbench.apply(plan)
        let content = Content(
            plan: plan, model: quantized, evaluation: try workbench.evaluate(quantized),
            floatEvaluation: try workbench.floatReport(), modelReference: model, dataReference: data,
            reproduceCommand: reproduceCommand, generatedAt: generatedAt)
        let text = markdown(content)
        try checkDestination(url, overwrite: overwrite)
        do {
            try AtomicFile.write(Data(text.utf8), to: url)
        } catch let ModelIOError.writeFailed(_, reason) {
            throw ModelIOError.writeFailed(path: url.relativePath, reason: reason)
        }
        return text
    }

    /// The report as Markdown, ending with a newline.
    public static func markdown(_ content: Content) -> String {
        let model = content.modelReference
        let data = content.dataReference
        var lines: [String] = []
        lines.append("## Quantization report: \(inline(model.path)) on \(inline(data.path))")
        lines.append("")
        var dataName = "data \(code(data.path))"
        if let labels = data.labelsPath { dataName += " + \(code(labels))" }
        lines.append(
            "Model \(code(model.path)) (SHA-256 `\(short(model.sha256))`), \(dataName) (SHA-256 `\(short(data.sha256))`), "
                + "\(Formatting.grouped(content.evaluation.count)) held-out samples.")
        if let generatedAt = content.generatedAt { lines.append("Generated \(Timestamp.string(from: generatedAt)).") }
        lines.append("")
        lines += planSection(content)
        lines += accuracySection(content)
        lines += sizeSection(content.model.size)
        lines += layerSection(content.model)
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(in: content.reproduceCommand) + 1))
        lines += ["### Reproduce", "", fence + "sh", content.reproduceCommand, fence]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `### Plan`: the defaults, then every layer whose settings differ, by name.
    private static func planSection(_ content: Content) -> [String] {
        var lines = ["### Plan", "", "- default: \(describe(content.plan.defaults))"]
        for name in content.plan.layers.keys.sorted() {
            guard let settings = content.plan.layers[name], settings != content.plan.defaults else { continue }
            lines.append("- \(code(name)): \(describe(settings))")
        }
        return lines + [""]
    }

    /// `### Held-out accuracy`: float vs quantized, with Δ, agreement and the 95 % interval.
    private static func accuracySection(_ content: Content) -> [String] {
        let float = content.floatEvaluation
        let quantized = content.evaluation
        guard quantized.hasLabels else { return fidelitySection(quantized) }
        var lines = [
            "### Held-out accuracy", "",
            "| metric | float | quantized | Δ |",
            "|---|---:|---:|---:|",
            "| top-1 | \(percent(float.top1)) | \(percent(quantized.top1)) | \(points(quantized.top1 - float.top1)) |",
            "| top-5 | \(percent(float.top5)) | \(percent(quantized.top5)) | \(points(quantized.top5 - float.top5)) |",
            "| NLL | \(fixed(float.meanNLL, 4)) | \(fixed(quantized.meanNLL, 4)) | "
                + "\(signed(quantized.meanNLL - float.meanNLL, 4)) |",
            "",
        ]
        let interval = quantized.top1Interval
        var notes: [String] = []
        if let agreement = quantized.agreement {
            notes.append("Agreement with the float model: \(percent(agreement)) of predictions.")
        }
        notes.append(
            "Quantized top-1 95 % interval: \(fixed(interval.lowerBound * 100, 1))–\(fixed(interval.upperBound * 100, 1)) % "
                + "(\(quantized.correctCount)/\(quantized.count)).")
        lines.append(notes.joined(separator: " "))
        if let fidelity = quantized.fidelity {
            lines += ["", "Fidelity to the float model: \(fidelity.summary)."]
        }
        return lines + [""]
    }

    /// `### Fidelity to the float model` (data without labels): agreement, KL (outputs that are
    /// classes), cosine, relative MSE and, when measured, nearest-neighbour agreement.
    private static func fidelitySection(_ quantized: EvalReport) -> [String] {
        var lines = [
            "### Fidelity to the float model", "", "No labels: the outputs are compared with the float model's.",
        ]
        if let fidelity = quantized.fidelity {
            lines += [
                "", "| metric | value |", "|---|---:|",
                "| top-1 agreement | \(percent(fidelity.agreement)) |",
            ]
            if let kl = fidelity.kl { lines.append("| mean KL (nats) | \(fixed(kl, 4)) |") }
            lines += [
                "| cosine similarity | \(fixed(fidelity.cosine, 5)) |",
                "| relative MSE | \(String(format: "%.3e", fidelity.relativeMSE)) |",
            ]
            if let neighbours = fidelity.neighbours {
                lines.append("| nearest-neighbour agreement | \(percent(neighbours)) |")
            }
        }
        lines.append("(\(quantized.count) samples.)")
        return lines + [""]
    }

    /// `### Size`: float32 bytes, quantized bytes, the ratio and the precision loss δ = 1 − b/32.
    private static func sizeSection(_ size: SizeReport) -> [String] {
        [
            "### Size", "",
            "| | bytes |",
            "|---|---:|",
            "| float32 | \(Formatting.grouped(size.floatBytes)) |",
            "| quantized | \(Formatting.grouped(size.currentBytes)) |",
            "| ratio | \(fixed(size.compressionRatio, 2))× smaller |",
            "| precision loss | \(size.precisionLossLabel) |",
            "",
        ]
    }

    /// `### Layers`: one row per quantizable layer.
    private static func layerSection(_ model: QuantizedModel) -> [String] {
        var lines = [
            "### Layers", "",
            "| layer | op | weight shape | bits | scheme | granularity | prune | act bits | sparsity | SQNR dB "
                + "| cosine | MSE | bytes | share |",
            "|---|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        let shares = Dictionary(model.size.layers.map { ($0.name, $0.share) }, uniquingKeysWith: { first, _ in first })
        for report in model.layerReports {
            let settings = report.settings
            let metrics = report.metrics
            let cells = [
                code(report.layer.name), inline(report.layer.opName),
                report.layer.weightShape.map(String.init).joined(separator: "×"), settings.bitWidthLabelWithCorrections,
                settings.schemeLabel, settings.granularityLabel, settings.pruningLabel, settings.activationLabel,
                percent(metrics.sparsity, digits: 1),
                metrics.sqnrDecibels.flatMap { $0.isFinite ? fixed($0, 1) : nil } ?? "∞",
                fixed(metrics.cosineSimilarity, 5), String(format: "%.3e", metrics.meanSquaredError),
                Formatting.grouped(report.size.quantizedBytes), percent(shares[report.layer.name] ?? 0, digits: 1),
            ]
            lines.append("| " + cells.map(tableCell).joined(separator: " | ") + " |")
        }
        return lines + [""]
    }

    /// `"4-bit symmetric, group 32, prune 50 %, activations 8-bit"`, or `"float"`.
    static func describe(_ settings: LayerSettings) -> String {
        var parts: [String] = []
        if let bits = settings.bitWidth {
            parts.append("\(bits)-bit \(settings.schemeLabel), \(settings.granularityLabel)")
        } else {
            parts.append("float weights")
        }
        if settings.pruning != nil { parts.append("prune \(settings.pruningLabel)") }
        if let bits = settings.activationBits { parts.append("activations \(bits)-bit") }
        return parts.joined(separator: ", ")
    }

    /// Text from a file (names, paths) made safe for one Markdown line: control characters
    /// (newlines included) are shown escaped (`\n`, `\u{1B}`) so they cannot start new lines.
    static func inline(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// `text` as a Markdown code span, fenced with more backticks than it contains.
    static func code(_ text: String) -> String {
        let safe = inline(text)
        let run = longestBacktickRun(in: safe)
        guard run > 0 else { return "`\(safe)`" }
        let fence = String(repeating: "`", count: run + 1)
        return "\(fence) \(safe) \(fence)"
    }

    /// A table cell: `|` escaped as `\|` (also inside code spans, as GitHub tables need).
    static func tableCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }

    /// The longest run of backticks in `text`.
    static func longestBacktickRun(in text: String) -> Int {
        var longest = 0
        var current = 0
        for character in text {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    /// The first `shortDigestLength` characters of a digest.
    private static func short(_ digest: String) -> String { String(digest.prefix(shortDigestLength)) }

    /// `0.9761` → `"97.61 %"`.
    private static func percent(_ fraction: Double, digits: Int = 2) -> String {
        fixed(fraction * 100, digits) + " %"
    }

    /// A difference of fractions in percentage points: `-0.005` → `"−0.50 pt"`.
    private static func points(_ difference: Double) -> String { signed(difference * 100, 2) + " pt" }

    /// `value` with `digits` decimals.
    private static func fixed(_ value: Double, _ digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "—"
    }

    /// `value` with `digits` decimals and a sign; zero is `"±0.00"`, minus is U+2212.
    private static func signed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "—" }
        let magnitude = fixed(abs(value), digits)
        if Double(magnitude) == 0 { return "±" + magnitude }
        return (value < 0 ? "−" : "+") + magnitude
    }

    /// Throws `ModelIOError.exists` when `url` exists and `overwrite` is false.
    private static func checkDestination(_ url: URL, overwrite: Bool) throws {
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw ModelIOError.exists(path: url.relativePath)
        }
    }
}
