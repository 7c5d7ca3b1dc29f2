import ArgumentParser
import Foundation
import QuantCore

/// A model chosen on the command line: a bundled demo or a file.
struct ModelChoice {
    /// What the user typed (`demo-mlp`, or a path).
    var name: String
    /// The file it resolves to.
    var url: URL
    /// The output to evaluate (`--output`), moved first in the graph; `nil` for the first.
    var output: String?

    /// Resolves `demo-mlp` / `demo-cnn` to the bundled files; anything else is a path.
    init(_ argument: String) throws {
        name = argument
        if let bundled = BundledModel(commandLineName: argument) {
            url = try bundled.url
        } else {
            url = URL(fileURLWithPath: argument)
        }
    }

    /// Reads the ONNX file into a graph (progress on stderr when it takes more than a second).
    func load() throws -> Graph {
        let graph = try ProgressPrinter.whileLoading { try ONNXModel.load(contentsOf: url, progress: $0) }
        guard let output else { return graph }
        guard let chosen = graph.choosingOutput(output) else {
            let names = graph.outputs.map { "'\(Printable.name($0.name))'" }.joined(separator: ", ")
            throw ValidationError("--output \(Printable.name(output)): \(name) has no such output (it has \(names))")
        }
        return chosen
    }

    /// The model as exports and sessions record it: the name typed, with the file's SHA-256.
    func reference() throws -> FileReference {
        if let bundled = BundledModel(commandLineName: name) { return try .bundled(bundled) }
        return try ProgressPrinter.whileLoading { try .digesting(url, path: name, progress: $0) }
    }
}

/// A data set chosen on the command line: the bundled held-out digits or a file (labels optional).
struct DataChoice {
    /// What the user typed (`demo`, or a path).
    var name: String
    /// The separate labels file for `.npy` or IDX images, if given.
    var labels: String?
    /// How data files are read (scale, normalization, array names, limit, CSV layout).
    var options = DatasetLoadOptions()
    /// The calibration file (`--calibration`), if given.
    var calibrationPath: String?

    /// The calibration set for activation quantization: `count` images spread evenly over
    /// `--calibration` when given, else over the demo's training split for `demo`, else `nil`
    /// (no calibration), so the held-out set is never used for calibration.
    func calibrationSet(count: Int) throws -> Dataset? {
        if let calibrationPath {
            var calibrationOptions = options
            calibrationOptions.labelsPath = nil
            calibrationOptions.limit = nil
            calibrationOptions.requiresLabels = false
            return try DatasetLoader.load(path: calibrationPath, options: calibrationOptions).evenlySpaced(count)
        }
        guard name == "demo" else { return nil }
        return try DemoData.trainingSet().evenlySpaced(count)
    }

    /// The data as exports and sessions record it: the names typed, with the SHA-256 of the
    /// images then labels files (the bundled files for `demo`).
    func reference() throws -> FileReference {
        if name == "demo" { return try .demoHeldOut() }
        return try ProgressPrinter.whileLoading { progress in
            try .digesting(
                URL(fileURLWithPath: name), path: name, labels: labels.map { URL(fileURLWithPath: $0) },
                labelsPath: labels, progress: progress)
        }
    }

    /// Loads the data set (`demo`, or a file by its extension) for `graph`, whose output width
    /// (when fixed) is the class count, so a label the model cannot predict is an error.
    func load(for graph: Graph) throws -> Dataset {
        var choice = self.feeding(graph)
        if let width = graph.classCount { choice.options.classCount = width }
        return try choice.load()
    }

    /// The choice reading, from a `.npz` archive, the model's first input by its name when the
    /// archive has no `x`, and its other inputs by name (`input_ids`, `attention_mask`, …).
    func feeding(_ graph: Graph) -> DataChoice {
        var choice = self
        choice.options.mainInputName = graph.inputs.first?.name
        choice.options.otherInputNames = graph.inputs.dropFirst().map(\.name).filter { graph.initializers[$0] == nil }
        return choice
    }

    /// A workbench of `graph` on `heldOut` (this choice's samples) and `calibration`. When no
    /// --data was given and the bundled digits do not fit the model, the one-line error names
    /// `model` and asks for --data instead of the digits' shape error alone.
    func workbench(of graph: Graph, heldOut: Dataset, calibration: Dataset?, model: ModelChoice) throws -> Workbench {
        do {
            return try Workbench(graph: graph, heldOut: heldOut, calibration: calibration)
        } catch EvaluationError.inputShapeMismatch(_, let sample, let input, _) where name == "demo" {
            throw CommandFailure(
                "\(Printable.name(model.name)): no --data given, and the bundled MNIST digits (samples of shape "
                    + "\(EvaluationError.format(sample))) do not fit its input \(EvaluationError.format(input)); "
                    + "pass --data with held-out samples for this model")
        }
    }

    /// Loads the data set (`demo`, or a file by its extension).
    func load() throws -> Dataset {
        if name == "demo" {
            let heldOut = try DemoData.heldOutSet()
            guard let limit = options.limit, limit < heldOut.count else { return heldOut }
            return try Dataset(
                name: heldOut.name, images: heldOut.images(in: 0..<limit),
                labels: Array(heldOut.labels.prefix(limit)), classCount: heldOut.classCount)
        }
        // Labels are optional: without them evaluation reports fidelity to the float model.
        // A labels array named with --y-name must exist, though.
        var options = options
        options.requiresLabels = options.labelsName != "y"
        return try DatasetLoader.load(path: name, options: options)
    }
}

/// Parses a scale written as a number or a fraction (`0.5`, `1/255`) and returns the divisor
/// that applies it: `1/255` → 255, so pixels become exactly `x / 255`.
func parseScaleDivisor(_ text: String) throws -> Float {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    if parts.count == 2, let numerator = Float(parts[0]), let denominator = Float(parts[1]),
        numerator > 0, denominator > 0
    {
        return denominator / numerator
    }
    if parts.count == 1, let value = Float(text), value > 0 { return 1 / value }
    throw ValidationError("--scale \(text): expected a positive number or a fraction such as 1/255")
}
