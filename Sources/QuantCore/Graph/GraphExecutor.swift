/// Runs a `Graph` on a batch: nodes in topological order, each by its `Ops` kernel.
///
/// Built once per graph (`init` checks every node's static configuration and plans when each
/// intermediate value can be freed), then run any number of times, from any thread: the
/// executor is an immutable value. Quantized weights are applied per run through
/// `weightOverrides`, leaving the float model untouched.
///
/// ```swift
/// let executor = try GraphExecutor(graph: model)
/// let logits = try executor.run(["input": batch])["logits"]          // [N, 10]
/// let quantized = try executor.run(["input": batch], weightOverrides: ["fc1.weight": q])
/// ```
///
/// Incremental evaluation: run once `keeping` the values a later run starts from, then
/// `run(from:values:)` re-runs only the nodes from that index on (see `valuesRequired`).
/// A run checks `Task.isCancelled` (and an `isCancelled` closure, when given) between nodes and
/// throws `CancellationError` when set.
public struct GraphExecutor: Sendable {
    /// The graph being executed.
    public let graph: Graph
    /// Per node index, the values whose last reader is that node (graph outputs excluded).
    let releases: [[String]]
    /// Per value produced by a node, the index of that node.
    let producers: [String: Int]
    /// Per value read by some node, the index of the last node reading it.
    let lastReaders: [String: Int]
    /// Per value read by some node, the index of the first node reading it.
    let firstReaders: [String: Int]
    /// Names of the graph's outputs.
    let outputNames: Set<String>
    /// Indices of the `Div` nodes on integer operands (ONNX: the quotient truncated toward zero),
    /// e.g. PyTorch's `chunk` computing a split point from a runtime `Shape`.
    let integerDivisions: Set<Int>
    /// Gemm weights packed for the GEMM kernel, shared by copies of this executor.
    let packedWeights = PackedWeightCache()

    /// Prepares `graph` for execution.
    ///
    /// - Throws: `GraphError.unknownValue` when a node reads a value produced by no earlier
    ///   node, input or initializer; `GraphError.missingOutput` for an output nothing
    ///   produces; `GraphError.invalidAttribute` / `.unsupported` / `.shapeMismatch` for node
    ///   configurations that can never run (wrong input count, 3-D Conv, bad pads, …).
    public init(graph: Graph) throws {
        self.graph = graph
        var available = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        var producers: [String: Int] = [:]
        var lastReaders: [String: Int] = [:]
        var firstReaders: [String: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            try GraphExecutor.checkConfiguration(of: node, named: GraphExecutor.displayName(of: node), in: graph)
            for input in node.inputs where !input.isEmpty {
                guard available.contains(input) else {
                    throw GraphError.unknownValue(node: GraphExecutor.displayName(of: node), value: input)
                }
                lastReaders[input] = index
                if firstReaders[input] == nil { firstReaders[input] = index }
            }
            for output in node.outputs where !output.isEmpty {
                available.insert(output)
                producers[output] = index
            }
        }
        let outputNames = Set(graph.outputs.map(\.name))
        for name in graph.outputs.map(\.name) where !available.contains(name) {
            throw GraphError.missingOutput(name)
        }
        var releases = [[String]](repeating: [], count: graph.nodes.count)
        for (name, producer) in producers where !outputNames.contains(name) {
            releases[lastReaders[name] ?? producer].append(name)  // unread values go right away
        }
        for input in graph.inputs where !outputNames.contains(input.name) {
            if let last = lastReaders[input.name] { releases[last].append(input.name) }
        }
        self.releases = releases.map { $0.sorted() }
        self.producers = producers
        self.lastReaders = lastReaders
        self.firstReaders = firstReaders
        self.outputNames = outputNames
        let types = graph.nonFloatValueTypes()
        self.integerDivisions = Set(
            graph.nodes.indices.filter { index in
                guard case .div = graph.nodes[index].op, let first = graph.nodes[index].inputs.first else {
                    return false
                }
                return types[first]?.isInteger ?? false
            })
    }

    /// Runs the whole graph on `inputs` and returns its outputs by name.
    ///
    /// - Parameters:
    ///   - inputs: one tensor per graph input, batch first (`[N, ...]`).
    ///   - weightOverrides: tensors that replace initializers of the same name and shape for
    ///     this run only (e.g. dequantized weights).
    ///   - activationQuantization: fake quantization (ONNX `QuantizeLinear` then
    ///     `DequantizeLinear`) applied to the named node outputs as soon as they are produced.
    /// - Throws: `GraphError` naming the node that failed; `CancellationError` when cancelled.
    public func run(
        _ inputs: [String: Tensor], weightOverrides: [String: Tensor] = [:],
        activationQuantization: [String: ActivationQuantization] = [:]
    ) throws -> [String: Tensor] {
        try run(inputs, weightOverrides: weightOverrides, activationQuantization: activationQuantization, keeping: [])
    }

    /// Runs the whole graph and returns its outputs plus the values named in `keeping`.
    ///
    /// `keeping` may name any graph input, initializer or node output, e.g. the inputs of a
    /// layer whose activations a later `run(from:values:)` starts from. `nodeSeconds`, when
    /// given, is told each node's index and the seconds it took (per sample, when a batch runs
    /// sample by sample: see `GraphExecutor+PerSample`), for `LatencyProfile`.
    public func run(
        _ inputs: [String: Tensor], weightOverrides: [String: Tensor] = [:],
        activationQuantization: [String: ActivationQuantization] = [:], keeping: Set<String>,
        isCancelled: (() -> Bool)? = nil, nodeSeconds: ((Int, Double) -> Void)? = nil
    ) throws -> [String: Tensor] {
        if let count = perSampleCount(inputs) {  // batch fixed at 1: see GraphExecutor+PerSample
            return try runPerSample(count: count, values: inputs) {
                try run(
                    $0, weightOverrides: weightOverrides, activationQuantization: activationQuantization,
                    keeping: keeping, isCancelled: isCancelled, nodeSeconds: nodeSeconds)
            }
        }
        var values: [String: Tensor] = [:]
        for description in graph.inputs {
            guard let tensor = inputs[description.name] else { throw GraphError.missingInput(description.name) }
            try GraphExecutor.check(tensor, against: description)
            values[description.name] = tensor
        }
        return try execute(
            from: 0, values: values, weightOverrides: weightOverrides, activationQuantization: activationQuantization,
            keeping: keeping, isCancelled: isCancelled, nodeSeconds: nodeSeconds)
    }

    /// Re-runs only the nodes from `nodeIndex` on, starting from cached `values`.
    ///
    /// - Parameters:
    ///   - nodeIndex: the first node to run, `0...graph.nodes.count`.
    ///   - values: at least every value in `valuesRequired(toRunFrom: nodeIndex)`; others are ignored.
    /// - Returns: the graph outputs plus the values named in `keeping`; equal to what a full
    ///   run with the same inputs and overrides returns.
    /// - Throws: `GraphError.missingInput` naming a required value that `values` lacks.
    public func run(
        from nodeIndex: Int, values: [String: Tensor], weightOverrides: [String: Tensor] = [:],
        activationQuantization: [String: ActivationQuantization] = [:], keeping: Set<String> = [],
        isCancelled: (() -> Bool)? = nil
    ) throws -> [String: Tensor] {
        precondition(nodeIndex >= 0 && nodeIndex <= graph.nodes.count, "node index \(nodeIndex) out of range")
        var start: [String: Tensor] = [:]
        for name in valuesRequired(toRunFrom: nodeIndex).union(keeping.intersection(values.keys)) {
            guard let tensor = values[name] else { throw GraphError.missingInput(name) }
            start[name] = tensor
        }
        if let count = perSampleCount(start) {  // batch fixed at 1: see GraphExecutor+PerSample
            return try runPerSample(count: count, values: start) {
                try execute(
                    from: nodeIndex, values: $0, weightOverrides: weightOverrides,
                    activationQuantization: activationQuantization, keeping: keeping, isCancelled: isCancelled)
            }
        }
        return try execute(
            from: nodeIndex, values: start, weightOverrides: weightOverrides,
            activationQuantization: activationQuantization, keeping: keeping, isCancelled: isCancelled)
    }

    /// The non-constant values a run starting at `nodeIndex` reads before producing them:
    /// graph inputs and outputs of earlier nodes read by later ones, and graph outputs
    /// produced before `nodeIndex`.
    public func valuesRequired(toRunFrom nodeIndex: Int) -> Set<String> {
        var required: Set<String> = []
        let isEarlier = { (name: String) in (self.producers[name].map { $0 < nodeIndex } ?? true) }
        for node in graph.nodes[min(nodeIndex, graph.nodes.count)...] {
            for input in node.inputs where !input.isEmpty && graph.initializers[input] == nil && isEarlier(input) {
                required.insert(input)
            }
        }
        for name in outputNames where graph.initializers[name] == nil && isEarlier(name) {
            required.insert(name)
        }
        return required
    }

    /// The shared loop: runs nodes `start...`, frees values after their last reader, collects results.
    private func execute(
        from start: Int, values: [String: Tensor], weightOverrides: [String: Tensor],
        activationQuantization: [String: ActivationQuantization], keeping: Set<String>,
        isCancelled: (() -> Bool)? = nil, nodeSeconds: ((Int, Double) -> Void)? = nil
    ) throws -> [String: Tensor] {
        try checkOverrides(weightOverrides)
        for name in keeping where producers[name] == nil && graph.initializers[name] == nil {
            guard graph.inputs.contains(where: { $0.name == name }) else {
                throw GraphError.unknownValue(node: "keeping", value: name)
            }
        }
        var state = ExecutionState(
            values: values, overrides: weightOverrides, initializers: graph.initializers,
            keeping: keeping.union(outputNames), quantizedOutputs: Set(activationQuantization.keys))
        for index in graph.nodes.indices.dropFirst(start) {
            if Task.isCancelled || isCancelled?() == true { throw CancellationError() }
            let node = graph.nodes[index]
            let started = nodeSeconds == nil ? nil : ContinuousClock.now
            let results = try evaluate(node, at: index, state: &state)
            if let nodeSeconds, let started { nodeSeconds(index, (ContinuousClock.now - started).seconds) }
            for (name, value) in zip(node.outputs, results) where !name.isEmpty {
                if let parameters = activationQuantization[name] {
                    var quantized = value
                    ActivationQuantizer.fakeQuantize(&quantized, with: parameters)
                    state.values[name] = quantized
                } else {
                    state.values[name] = value
                }
            }
            for name in releases[index] where !state.keeping.contains(name) {
                state.values.removeValue(forKey: name)
            }
        }
        var results: [String: Tensor] = [:]
        for name in state.keeping {
            guard let tensor = state.lookup(name) else { throw GraphError.missingInput(name) }
            results[name] = tensor
        }
        return results
    }

    /// Every override must replace an existing initializer with a tensor of the same shape.
    private func checkOverrides(_ overrides: [String: Tensor]) throws {
        for (name, tensor) in overrides {
            guard let original = graph.initializers[name] else {
                throw GraphError.unknownValue(node: "weightOverrides", value: name)
            }
            guard original.shape == tensor.shape else {
                let reader = firstReaders[name].map { graph.nodes[$0] }
                throw GraphError.shapeMismatch(
                    node: reader.map(GraphExecutor.displayName(of:)) ?? name,
                    op: reader?.op.onnxName ?? "weightOverrides",
                    detail: "override of '\(name)' has shape \(tensor.shape), the initializer \(original.shape)")
            }
        }
    }

    /// Checks a fed tensor against its declared input: same rank and equal fixed extents.
    ///
    /// An input declared with no shape at all (`[]` while the tensor has axes) is not checked.
    static func check(_ tensor: Tensor, against description: ValueInfo) throws {
        guard !description.shape.isEmpty else { return }
        let matches =
            tensor.rank == description.shape.count
            && zip(tensor.shape, description.shape).allSatisfy { actual, declared in
                declared.map { $0 == actual } ?? true
            }
        guard matches else {
            let declared = description.shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")
            throw GraphError.shapeMismatch(
                node: description.name, op: "input", detail: "fed \(tensor.shape), declared [\(declared)]")
        }
    }

    /// The name errors use for `node`: its own name, else its first output's.
    static func displayName(of node: Node) -> String {
        node.name.isEmpty ? (node.outputs.first ?? node.op.onnxName) : node.name
    }
}

/// The mutable values of one run.
struct ExecutionState {
    /// Graph inputs and node outputs that are still needed.
    var values: [String: Tensor]
    /// Per-run replacements for initializers.
    let overrides: [String: Tensor]
    /// The graph's constants.
    let initializers: [String: Tensor]
    /// Values that must survive to the end of the run (requested and graph outputs).
    let keeping: Set<String>
    /// Node outputs fake-quantized as they are produced (never fused with the activation after them).
    var quantizedOutputs: Set<String> = []
    /// Conv and Add outputs whose following ReLU/Clip was applied as they were written
    /// (`GraphExecutor+Fusion.swift`): that node passes its input on.
    var activated: Set<String> = []
    /// Conv outputs that already hold the sum of the residual Add reading them
    /// (`GraphExecutor+Fusion.swift`): that Add passes them on.
    var summed: Set<String> = []
    /// Concat outputs that already hold the BatchNormalization reading them
    /// (`GraphExecutor+Fusion.swift`): that BatchNormalization passes them on.
    var normalized: Set<String> = []
    /// Values a pointwise Conv's chain already carried through the depthwise Conv reading them
    /// (`GraphExecutor+PointwiseDepthwise.swift`): that Conv passes them on.
    var chained: Set<String> = []

    /// The current value of `name`: computed values first, then overrides, then initializers.
    func lookup(_ name: String) -> Tensor? {
        values[name] ?? overrides[name] ?? initializers[name]
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
