/// Reverse-mode gradients of a graph: the gradient of a scalar loss with respect to the graph's
/// inputs and initializers, given the loss's gradient with respect to the graph's outputs.
///
/// The forward pass is `GraphExecutor`'s (so the values are exactly what evaluation computes);
/// the backward pass walks the nodes in reverse, each by the rule `BackwardRules` holds for its
/// operator, summing the gradients of values read by several nodes. Only nodes a gradient reaches
/// run backward: shape arithmetic (`Shape` → `Gather` → `Reshape`'s shape input) needs no rule.
///
/// ```swift
/// let gradients = try GraphGradients(graph: model)
/// let result = try gradients.evaluate(inputs: ["input": batch], outputGradients: ["logits": dLogits])
/// let dWeight = result.gradients["fc1.weight"]   // same shape as the initializer
/// ```
public struct GraphGradients: Sendable {
    /// The graph being differentiated.
    public var graph: Graph { executor.graph }
    /// Runs the forward pass.
    let executor: GraphExecutor
    /// Per node, its backward rule; `nil` where no gradient can reach the node.
    let rules: [BackwardRule?]

    /// What one forward and backward pass returns.
    public struct Result: Sendable {
        /// The graph outputs of the forward pass, by name.
        public var outputs: [String: Tensor]
        /// Per graph input and initializer a gradient reached, the gradient (same shape).
        public var gradients: [String: Tensor]
    }

    /// Prepares `graph` for gradients.
    ///
    /// - Throws: `GraphExecutor`'s errors, and `GraphError.unsupported` naming the first node on
    ///   a path from an input or initializer to an output whose operator has no backward rule.
    public init(graph: Graph) throws {
        executor = try GraphExecutor(graph: graph)
        // Values that depend on an input or initializer (through any node input).
        var variable = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        for node in graph.nodes where node.inputs.contains(where: { variable.contains($0) }) {
            variable.formUnion(node.outputs)
        }
        // Values a gradient flows into, from the outputs back.
        var needed = Set(graph.outputs.map(\.name))
        var rules = [BackwardRule?](repeating: nil, count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated().reversed()
        where node.outputs.contains(where: { needed.contains($0) && variable.contains($0) }) {
            guard let rule = BackwardRules.rule(for: node.op) else {
                throw GraphError.unsupported(
                    node: GraphExecutor.displayName(of: node), op: node.op.onnxName,
                    detail: "no backward pass for this operator (see BackwardRules)")
            }
            rules[index] = rule
            for (position, input) in node.inputs.enumerated() where !input.isEmpty && rule.isDifferentiable(position) {
                needed.insert(input)
            }
        }
        self.rules = rules
    }

    /// Runs the graph forward on `inputs` and back from `outputGradients`.
    ///
    /// - Parameters:
    ///   - inputs: one tensor per graph input.
    ///   - outputGradients: the loss's gradient per graph output (same shape); outputs left out
    ///     contribute nothing.
    ///   - weightOverrides: tensors replacing initializers for this pass (e.g. quantized
    ///     weights: their gradient is then the straight-through gradient of the latent ones).
    /// - Throws: `GraphError` naming the node that failed, or a gradient whose shape differs
    ///   from its output's.
    public func evaluate(
        inputs: [String: Tensor], outputGradients: [String: Tensor], weightOverrides: [String: Tensor] = [:]
    ) throws -> Result {
        try evaluate(inputs: inputs, weightOverrides: weightOverrides) { _ in (0, outputGradients) }.result
    }

    /// The two-phase form for a loss of the outputs: runs forward keeping what the backward pass
    /// reads, calls `loss` with the graph outputs for the loss and its gradient per output, then
    /// runs back from that gradient.
    ///
    /// ```swift
    /// let (result, value) = try gradients.evaluate(inputs: ["x": batch], weightOverrides: quantized) { outputs in
    ///     let (value, dLogits) = crossEntropy(outputs["logits"]!, labels)
    ///     return (value, ["logits": dLogits])
    /// }
    /// ```
    ///
    /// - Parameter inputGradients: whether to return the gradients of the graph inputs too
    ///   (`false`: initializers only, and a Conv reading a graph input skips its input gradient).
    /// - Throws: as the other form, and whatever `loss` throws.
    public func evaluate(
        inputs: [String: Tensor], weightOverrides: [String: Tensor] = [:], inputGradients: Bool = true,
        loss: ([String: Tensor]) throws -> (value: Float, outputGradients: [String: Tensor])
    ) throws -> (result: Result, loss: Float) {
        let graph = executor.graph
        let differentiated = graph.nodes.indices.filter { rules[$0] != nil }.map { graph.nodes[$0] }
        let kept = Set(differentiated.flatMap { $0.inputs + $0.outputs }.filter { !$0.isEmpty })
        let forward = try executor.run(inputs, weightOverrides: weightOverrides, keeping: kept)
        let outputs = Dictionary(
            uniqueKeysWithValues: graph.outputs.compactMap { o in forward[o.name].map { (o.name, $0) } })
        let (value, outputGradients) = try loss(outputs)
        var gradients = try backward(
            forward: forward, inputs: inputs, weightOverrides: weightOverrides, outputGradients: outputGradients,
            skipping: inputGradients ? [] : Set(graph.inputs.map(\.name)).subtracting(graph.initializers.keys))
        if !inputGradients { gradients = gradients.filter { graph.initializers[$0.key] != nil } }
        return (Result(outputs: outputs, gradients: gradients), value)
    }

    /// The backward half: from the loss's gradient per output, through the kept forward values.
    private func backward(
        forward: [String: Tensor], inputs: [String: Tensor], weightOverrides: [String: Tensor],
        outputGradients: [String: Tensor], skipping: Set<String>
    ) throws -> [String: Tensor] {
        let graph = executor.graph
        func value(_ name: String) -> Tensor? {
            forward[name] ?? weightOverrides[name] ?? graph.initializers[name] ?? inputs[name]
        }
        var gradients: [String: Tensor] = [:]
        for (name, gradient) in outputGradients {
            guard let output = forward[name] else { continue }
            guard output.shape == gradient.shape else {
                throw GraphError.shapeMismatch(
                    node: name, op: "gradient",
                    detail: "the gradient \(gradient.shape) differs from output \(output.shape)")
            }
            gradients[name] = gradient
        }
        for (index, node) in graph.nodes.enumerated().reversed() {
            guard let rule = rules[index] else { continue }
            let outputGradients = node.outputs.map { gradients[$0] }
            guard outputGradients.contains(where: { $0 != nil }) else { continue }
            let context = BackwardContext(
                node: node, name: GraphExecutor.displayName(of: node),
                inputs: node.inputs.map { $0.isEmpty ? nil : value($0) },
                outputs: node.outputs.map { value($0) }, outputGradients: outputGradients,
                skippedInputs: Set(node.inputs.indices.filter { skipping.contains(node.inputs[$0]) }))
            let inputGradients = try rule.gradients(context)
            for (position, input) in node.inputs.enumerated() where !input.isEmpty && position < inputGradients.count {
                guard let gradient = inputGradients[position] else { continue }
                if let existing = gradients[input] {
                    gradients[input] = Backward.sum(existing, gradient)
                } else {
                    gradients[input] = gradient
                }
            }
        }
        let sources = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        return gradients.filter { sources.contains($0.key) }
    }
}
