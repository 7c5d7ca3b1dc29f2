import Foundation
import QuantCore

extension ModelDataOptions {
    /// The `quantdash eval` arguments that load the model and data as these options do (the
    /// report's Reproduce line); options at their defaults are left out, `--plan` too.
    func evalArguments() -> [String] {
        var arguments = ["quantdash", "eval", "--model", model, "--data", data]
        if let output { arguments += ["--output", output] }
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
        return arguments
    }
}
