import ArgumentParser
import Foundation
import QuantCore

/// The options every command that opens a model on data shares: `--model`, `--data`,
/// `--labels`, `--scale`, `--calibration-count`.
struct ModelDataOptions: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp("The model: demo-mlp, demo-cnn or a path to an .onnx file.", valueName: "model")
    )
    var model = "demo-mlp"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The held-out data: demo (the bundled 1000 MNIST digits) or an IDX images file.", valueName: "data"))
    var data = "demo"

    @Option(
        name: .long, help: ArgumentHelp("The IDX labels file that goes with an IDX --data file.", valueName: "path"))
    var labels: String?

    @Option(
        name: .long, help: ArgumentHelp("Scale applied to stored data values (IDX default 1/255).", valueName: "factor")
    )
    var scale = "1/255"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Training images used to calibrate activation ranges (spread evenly over the training split).",
            valueName: "n"))
    var calibrationCount = EvalRun.defaultCalibrationCount

    func validate() throws {
        guard calibrationCount >= 1 else { throw ValidationError("--calibration-count must be at least 1") }
        _ = try parseScaleDivisor(scale)
    }

    /// The model chosen.
    func modelChoice() throws -> ModelChoice { try ModelChoice(model) }

    /// The data chosen.
    func dataChoice() throws -> DataChoice {
        DataChoice(name: data, labels: labels, divisor: try parseScaleDivisor(scale))
    }
}
