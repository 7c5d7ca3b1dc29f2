/// How a fine-tuning run computes the student's outputs and the gradients of its initializers.
///
/// - `graph`: any graph `GraphGradients` differentiates (every operator on a path from an input
///   or initializer to the output has a rule in `BackwardRules`): the forward pass is
///   `GraphExecutor`'s with the student's weights as overrides, the backward pass the graph's.
/// - `chain`: the graphs `GraphNetwork` can express as a `Network` (plain Conv/Gemm/MatMul/
///   Relu/2×2 MaxPool chains, e.g. the demo models), trained by the `Network`'s own kernels.
///
/// Both take and give tensors in the graph's layout, by initializer name, and compute the same
/// gradients (`FineTunerTests`); `automatic` picks the chain where it applies (it is faster on
/// the demo models: BENCHMARKS.md), the graph elsewhere.
enum FineTuningBackend: Sendable {
    case chain(GraphNetwork)
    case graph(GraphGradients, input: String, output: String)

    /// Which backend a run uses.
    enum Choice: String, Sendable, Equatable {
        /// The chain where `GraphNetwork` reads the graph, the graph otherwise.
        case automatic
        /// Always the whole-graph backward pass.
        case graph
    }

    /// Reads `graph` (loaded from `file`, named in errors).
    ///
    /// - Throws: `FineTuningError.unsupportedNode` naming the first node without a backward
    ///   pass, `.unsupportedGraph` for inputs or outputs that do not fit.
    init(graph: Graph, file: String, choice: Choice) throws {
        if choice == .automatic, let network = try? GraphNetwork(graph: graph, file: file) {
            self = .chain(network)
            return
        }
        guard let input = graph.inputs.first(where: { graph.initializers[$0.name] == nil }),
            let output = graph.outputs.first
        else { throw FineTuningError.unsupportedGraph(file: file, problem: "it has no input or no output") }
        guard input.shape.count >= 2, input.shape.dropFirst().allSatisfy({ $0 != nil }) else {
            throw FineTuningError.unsupportedGraph(
                file: file, problem: "input '\(input.name)' needs fixed extents after the batch axis")
        }
        do {
            self = .graph(try GraphGradients(graph: graph), input: input.name, output: output.name)
        } catch GraphError.unsupported(let node, let op, let detail) {
            throw FineTuningError.unsupportedNode(file: file, node: node, op: op, problem: detail)
        } catch let error as GraphError {
            throw FineTuningError.unsupportedGraph(file: file, problem: error.description)
        }
    }

    /// The per-sample input shape.
    var sampleShape: [Int] {
        switch self {
        case .chain(let network): network.network.inputShape
        case .graph(let gradients, let input, _):
            gradients.graph.inputs.first { $0.name == input }?.shape.dropFirst().compactMap { $0 } ?? []
        }
    }

    /// The model's outputs `[B, K]` for `batch` with the initializers in `values` (graph layout).
    ///
    /// - Throws: `GraphError` (graph backend).
    func logits(_ batch: Tensor, values: [String: Tensor]) throws -> Tensor {
        switch self {
        case .chain(let network):
            var model = network.network
            model.parameters = network.parameters(from: values)
            return model.forward(batch, caching: false).output
        case .graph(let gradients, let input, let output):
            let outputs = try gradients.executor.run(
                [input: batch], weightOverrides: values)
            guard let logits = outputs[output] else { throw GraphError.missingOutput(output) }
            return logits
        }
    }

    /// The loss of one part of a mini-batch and its gradient per initializer in `values`.
    ///
    /// - Parameter loss: the outputs `[B, K]` to the loss and its gradient with respect to them.
    func lossAndGradients(
        _ batch: Tensor, values: [String: Tensor], loss: (Tensor) -> (loss: Float, gradient: Tensor)
    ) throws -> (Float, [String: Tensor]) {
        switch self {
        case .chain(let network):
            var model = network.network
            model.parameters = network.parameters(from: values)
            let (output, caches) = model.forward(batch, caching: true)
            let (value, outputGradient) = loss(output)
            var gradients = model.zeroGradients()
            model.backward(caches: caches, outputGradient: outputGradient, gradients: &gradients)
            return (value, network.graphGradients(gradients))
        case .graph(let gradients, let input, let output):
            let (result, value) = try gradients.evaluate(inputs: [input: batch], weightOverrides: values) { outputs in
                guard let logits = outputs[output] else { throw GraphError.missingOutput(output) }
                let (value, gradient) = loss(logits)
                return (value, [output: gradient])
            }
            return (value, result.gradients.filter { values[$0.key] != nil })
        }
    }
}
