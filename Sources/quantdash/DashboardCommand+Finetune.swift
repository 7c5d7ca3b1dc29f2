import Foundation
import QuantCore
import QuantTUI

extension DashboardCommand {
    /// The dashboard's fine-tuning data (`T`): `--train-data` read like `--data`, else the bundled
    /// training digits when the held-out data is the demo's, else none (`T` then says so).
    ///
    /// - Throws: `CLIError` when `--train-data` is the held-out data or `--train-labels` comes alone.
    func finetuneTraining(inputs: ModelDataOptions, data: DataChoice) throws -> FinetuneTraining? {
        guard let trainData else {
            if trainLabels != nil { throw CLIError(message: "--train-labels needs --train-data") }
            guard data.name == "demo" else { return nil }
            return FinetuneTraining(name: "the bundled training digits") { try DemoData.trainingSet() }
        }
        if trainData == data.name {
            throw CLIError(message: "--train-data \(trainData) is the held-out --data: fine-tuning never trains on it")
        }
        guard FileManager.default.fileExists(atPath: trainData) else {
            throw CLIError(message: "--train-data \(trainData): no such file")
        }
        var options = try inputs.loadOptions()
        options.labelsPath = trainLabels
        options.limit = nil
        options.requiresLabels = false
        let loading = options
        return FinetuneTraining(name: trainData) { try DatasetLoader.load(path: trainData, options: loading) }
    }
}
