import ArgumentParser
import Foundation
import QuantCore

/// The options every command that opens a model on data shares: the model, the held-out data and
/// how it is read (`--labels`, `--x-name`, `--scale`, `--mean`, `--limit`, …), and calibration.
struct ModelDataOptions: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp("The model: demo-mlp, demo-cnn or a path to an .onnx file.", valueName: "model")
    )
    var model = "demo-mlp"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The model output to evaluate, quantize against and export first, when it has several (default: its first).",
            valueName: "name"))
    var output: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The held-out data: demo (the bundled 1000 MNIST digits) or a .npz, .npy, .csv or IDX file; without labels, fidelity to the float model is reported.",
            valueName: "data"))
    var data = "demo"

    @Option(
        name: .long,
        help: ArgumentHelp("The labels file (.npy or IDX) that goes with .npy or IDX --data images.", valueName: "path")
    )
    var labels: String?

    @Option(name: .customLong("x-name"), help: ArgumentHelp("The images array in a .npz file.", valueName: "name"))
    var imagesName = "x"

    @Option(name: .customLong("y-name"), help: ArgumentHelp("The labels array in a .npz file.", valueName: "name"))
    var labelsName = "y"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Scale applied to stored values (default 1/255 for uint8 data, 1 for anything else).", valueName: "factor"))
    var scale: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Subtracted after scaling: one value or one per channel (0.485,0.456,0.406).", valueName: "values"))
    var mean: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Divides after subtracting --mean: one value or one per channel.", valueName: "values"))
    var std: String?

    @Option(name: .long, help: ArgumentHelp("Read only the first n samples of --data.", valueName: "n"))
    var limit: Int?

    @Option(
        name: .customLong("label-column"),
        help: ArgumentHelp("The CSV column holding the label: first, last or an index from 0.", valueName: "column"))
    var labelColumn = "first"

    @Flag(name: .customLong("csv-header"), help: "The CSV file starts with a header row (detected when not given).")
    var csvHeader = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Calibration images (same formats as --data; labels optional). The demo calibrates on its training split; other data is not calibrated unless this is given.",
            valueName: "path"))
    var calibration: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Training images used to calibrate activation ranges (spread evenly over the training split).",
            valueName: "n"))
    var calibrationCount = EvalRun.defaultCalibrationCount

    func validate() throws {
        guard calibrationCount >= 1 else { throw ValidationError("--calibration-count must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        _ = try loadOptions()
        try checkApplicability()
    }

    /// How `--data` and `--calibration` files are read.
    func loadOptions() throws -> DatasetLoadOptions {
        var options = DatasetLoadOptions()
        options.labelsPath = labels
        options.imagesName = imagesName
        options.labelsName = labelsName
        options.scaleDivisor = try scale.map(parseScaleDivisor)
        options.mean = try mean.map { try parseValueList($0, option: "--mean") } ?? []
        options.std = try std.map { try parseValueList($0, option: "--std") } ?? []
        options.limit = limit
        guard let column = CSVLabelColumn(argument: labelColumn) else {
            throw ValidationError("--label-column \(labelColumn): expected first, last or a column index from 0")
        }
        options.labelColumn = column
        options.csvHasHeader = csvHeader ? true : nil
        return options
    }

    /// The model chosen.
    func modelChoice() throws -> ModelChoice {
        var choice = try ModelChoice(model)
        choice.output = output
        return choice
    }

    /// The data chosen.
    func dataChoice() throws -> DataChoice {
        DataChoice(name: data, labels: labels, options: try loadOptions(), calibrationPath: calibration)
    }
}

/// Parses one number or a comma-separated list of numbers (`0.1307`, `0.485,0.456,0.406`).
func parseValueList(_ text: String, option: String) throws -> [Float] {
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map {
        Float($0.trimmingCharacters(in: .whitespaces))
    }
    guard !values.isEmpty, values.allSatisfy({ $0?.isFinite ?? false }) else {
        throw ValidationError("\(option) \(text): expected a number or comma-separated numbers")
    }
    return values.compactMap { $0 }
}
