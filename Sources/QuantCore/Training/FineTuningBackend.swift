/// How a fine-tuning run computes the student's outputs and the gradients of its initializers:
/// the whole-graph backward pass (`GraphGradients`), for any graph whose operators on a path
/// from an input or initializer to the output have a rule in `BackwardRules`. The forward pass
/// is `GraphExecutor`'s with the student's weights as overrides (so the gradient of an override
/// is the straight-through gradient of its latent weight); tensors go in and out in the graph's
/// layout, by initializer name.
///
/// (It replaced a `Network`-based backend for plain Conv/Gemm/ReLU/MaxPool chains: on the demo
/// CNN that one took 1.7× as long per run, BENCHMARKS.md.)
struct FineTuningBackend: Sendable {
    let gradients: GraphGradients
    /// The graph input the samples feed, and the output holding the class logits `[B, K]`.
    let input: String, output: String
    /// The per-sample input shape.
    let sampleShape: [Int]

    /// Reads `graph` (loaded from `file`, named in errors).
    ///
    /// - Throws: `FineTuningError.unsupportedNode` naming the first node without a backward
    ///   pass, `.unsupportedGraph` for inputs or outputs that do not fit.
    init(graph: Graph, file: String) throws {
        guard let input = graph.inputs.first(where: { graph.initializers[$0.name] == nil }),
            let output = graph.outputs.first
        else { throw FineTuningError.unsupportedGraph(file: file, problem: "it has no input or no output") }
        let sampleShape = input.shape.dropFirst().compactMap { $0 }
        guard input.shape.count >= 2, sampleShape.count == input.shape.count - 1 else {
            throw FineTuningError.unsupportedGraph(
                file: file, problem: "input '\(input.name)' needs fixed extents after the batch axis")
        }
        do {
            gradients = try GraphGradients(graph: graph)
        } catch GraphError.unsupported(let node, let op, let detail) {
            throw FineTuningError.unsupportedNode(file: file, node: node, op: op, problem: detail)
        } catch let error as GraphError {
            throw FineTuningError.unsupportedGraph(file: file, problem: error.description)
        }
        self.input = input.name
        self.output = output.name
        self.sampleShape = Array(sampleShape)
    }

    /// The model's outputs `[B, K]` for `batch` with the initializers in `values` overridden.
    ///
    /// - Throws: `GraphError` naming the node that failed.
    func logits(_ batch: Tensor, values: [String: Tensor]) throws -> Tensor {
        let outputs = try gradients.executor.run([input: batch], weightOverrides: values)
        guard let logits = outputs[output] else { throw GraphError.missingOutput(output) }
        return logits
    }

    /// The loss of one part of a mini-batch and its gradient per initializer in `values`.
    ///
    /// - Parameter loss: the outputs `[B, K]` to the loss and its gradient with respect to them.
    func lossAndGradients(
        _ batch: Tensor, values: [String: Tensor], loss: (Tensor) -> (loss: Float, gradient: Tensor)
    ) throws -> (Float, [String: Tensor]) {
        let output = output
        let (result, value) = try gradients.evaluate(
            inputs: [input: batch], weightOverrides: values, inputGradients: false
        ) { outputs in
            guard let logits = outputs[output] else { throw GraphError.missingOutput(output) }
            let (value, gradient) = loss(logits)
            return (value, [output: gradient])
        }
        return (value, result.gradients.filter { values[$0.key] != nil })
    }
}
