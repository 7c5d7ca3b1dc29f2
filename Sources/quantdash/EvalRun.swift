import Foundation
import QuantCore

/// Loads a model and a data set, evaluates the model, and summarizes the result.
enum EvalRun {
    /// Evaluates `model` on `data` and returns what `quantdash eval` prints.
    static func run(model: ModelChoice, data: DataChoice, batchSize: Int) throws -> EvalSummary {
        let graph = try model.load()
        guard let input = graph.inputs.first, let output = graph.outputs.first else {
            throw ModelIOError.incompatible(path: model.url.path, detail: "the model has no graph input or output")
        }
        let executor = try GraphExecutor(graph: graph)
        let dataset = try data.load().reshaped(toModelInput: input.shape)
        let report = try Evaluator(batchSize: batchSize).evaluate(dataset) { batch in
            let outputs = try executor.run([input.name: batch])
            guard let logits = outputs[output.name] else {
                throw GraphError.missingOutput(output.name)
            }
            return logits
        }
        let floatBytes = graph.parameterCount * MemoryLayout<Float>.size
        return EvalSummary(
            model: .init(name: model.name, path: model.url.path, parameters: graph.parameterCount),
            data: .init(name: data.name, count: dataset.count, classes: dataset.classCount),
            accuracy: .init(
                top1: report.top1, top5: report.top5, nll: report.meanNLL, correct: report.correctCount,
                count: report.count, top1Interval95: [report.top1Interval.lowerBound, report.top1Interval.upperBound]),
            size: .init(floatBytes: floatBytes, bytes: floatBytes, compressionRatio: 1),
            layers: graph.layers.map {
                .init(name: $0.name, op: $0.opName, weightShape: $0.weightShape, parameters: $0.parameterCount)
            })
    }
}
