import ArgumentParser
import Foundation
import QuantCore
import QuantTUI

/// `quantdash train`: trains a demo model on the bundled training digits and writes ONNX.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a demo model on the 4000 bundled training digits and save it as ONNX.",
        discussion: """
            Uses the recipe the shipped demo models were trained with (Adam, cosine schedule, \
            ±2-pixel shifts, fixed seeds), so the result is bit-identical to the shipped file on \
            the same machine. Progress goes to stderr; the held-out top-1 is printed at the end.

            Example:
              quantdash train --demo cnn --out demo-cnn.onnx
            """
    )

    @Option(name: .long, help: ArgumentHelp("Which demo model: mlp or cnn.", valueName: "mlp|cnn"))
    var demo: DemoModels.Architecture

    @Option(name: .long, help: ArgumentHelp("Where to write the ONNX model.", valueName: "path"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Override the recipe's number of epochs.", valueName: "n"))
    var epochs: Int?

    @Option(name: .long, help: ArgumentHelp("Override the recipe's initialization and shuffle seeds.", valueName: "n"))
    var seed: UInt64?

    @Flag(name: .long, help: "Overwrite --out if it exists.")
    var force = false

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        // Before hours of training, not after: the folder must exist and be writable.
        try OutputDestination.validate(out, force: force)
    }

    func run() throws {
        var recipe = DemoModels.recipe(for: demo)
        if let epochs { recipe.epochs = epochs }
        if let seed {
            recipe.initializationSeed = seed
            recipe.shuffleSeed = seed &+ 1
        }
        let training = try DemoData.trainingSet()
        let heldOut = try DemoData.heldOutSet()
        let batchesPerEpoch = (training.count + recipe.batchSize - 1) / recipe.batchSize
        let start = Date()
        var epochLoss: Float = 0
        let network = try DemoModels.train(recipe, images: try training.images, labels: training.labels) {
            epoch, batch, loss in
            epochLoss = batch == 0 ? loss : epochLoss + loss
            if batch == batchesPerEpoch - 1 {
                let line = String(
                    format: "epoch %d/%d  mean loss %.4f  %.0f s\n", epoch + 1, recipe.epochs,
                    epochLoss / Float(batchesPerEpoch), Date().timeIntervalSince(start))
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        let graph = network.graph(name: DemoModels.graphName(of: demo))
        try ONNXModel.write(graph, to: URL(fileURLWithPath: out))
        let report = try Evaluator().evaluate(heldOut) { try network.output(for: $0) }
        print(
            String(
                format: "wrote %@ (%@ parameters); held-out top-1 %.2f %% (%d/%d) after %.0f s", out,
                Formatting.grouped(network.parameterCount), report.top1 * 100, report.correctCount, report.count,
                Date().timeIntervalSince(start)))
    }
}

extension DemoModels.Architecture: ExpressibleByArgument {}
