import Foundation
import QuantCore

extension ExportCommand {
    /// Writes the Markdown report (`--format report`) and prints one line about it.
    func exportReport(_ quantPlan: QuantPlan, using workbench: Workbench, model: ModelChoice, data: DataChoice) throws {
        let text = try ReportExporter.export(
            quantPlan, using: workbench, model: try model.reference(), data: try data.reference(),
            reproduceCommand: inputs.evalCommand(planPath: plan), to: URL(fileURLWithPath: out), overwrite: force)
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        print(
            "wrote \(out): Markdown report (\(lineCount) lines) for \(workbench.layers.count) layers of \(inputs.model)"
        )
    }
}

extension ModelDataOptions {
    /// The `quantdash eval` command that reproduces a run with these options and `planPath`;
    /// options at their defaults are left out, arguments are quoted for a POSIX shell.
    func evalCommand(planPath: String) -> String {
        var arguments = ["quantdash", "eval", "--model", model, "--data", data]
        if let labels { arguments += ["--labels", labels] }
        if imagesName != "x" { arguments += ["--x-name", imagesName] }
        if labelsName != "y" { arguments += ["--y-name", labelsName] }
        if let scale { arguments += ["--scale", scale] }
        if let mean { arguments += ["--mean", mean] }
        if let std { arguments += ["--std", std] }
        if let limit { arguments += ["--limit", String(limit)] }
        if labelColumn != "first" { arguments += ["--label-column", labelColumn] }
        if csvHeader { arguments.append("--csv-header") }
        if let calibration { arguments += ["--calibration", calibration] }
        if calibrationCount != EvalRun.defaultCalibrationCount {
            arguments += ["--calibration-count", String(calibrationCount)]
        }
        arguments += ["--plan", planPath]
        return arguments.map(shellQuoted).joined(separator: " ")
    }
}

/// `plan.json` stays as it is; `my plan.json` → `'my plan.json'`; `it's` → `'it'\''s'`.
func shellQuoted(_ argument: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !argument.isEmpty && argument.allSatisfy({ safe.contains($0) }) { return argument }
    return "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
}
