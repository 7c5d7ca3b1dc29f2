import Foundation

/// Two layers cross-layer equalization can rescale against each other: `first`'s output channel
/// `c` reaches `second`'s input features `c·block ..< (c+1)·block` through operators that commute
/// with a positive per-channel scale (`f(x / s) = f(x) / s` for `s > 0`), so dividing `first`'s
/// output channel by `s` and multiplying `second`'s inputs by `s` leaves the float model's function
/// unchanged.
///
/// What may sit between the two layers is the one table `EqualizationPair.passage(of:…)`:
///
/// | operator between | why it passes |
/// | --- | --- |
/// | Relu, Clip(0, ∞) | `max(x/s, 0) = max(x, 0)/s` |
/// | MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool (after a Conv) | per channel, positively homogeneous |
/// | Identity, Dropout | identity at inference |
/// | Flatten (axis 1, after a Conv) | channel `c` becomes the contiguous block `c·H·W ..< (c+1)·H·W` |
/// | the Add of a MatMul's own bias | the bias is scaled with the MatMul's output |
///
/// Everything else is refused, in particular ReLU6 (`Clip(0, 6)`): its upper bound would have to
/// move to `6/s` per channel, which ONNX's scalar Clip cannot hold. AIMET replaces ReLU6 by ReLU
/// before equalizing, which changes the float model; quantdash keeps the model's function.
struct EqualizationPair: Sendable, Equatable {
    /// The layer whose output channels are divided by the scales.
    var first: Layer
    /// The layer whose input features are multiplied by them.
    var second: Layer
    /// Input features of `second` per output channel of `first` (1, or H·W through a Flatten).
    var block: Int

    /// How one operator between the layers carries the channels.
    enum Passage {
        /// Channels pass unchanged (a positively homogeneous per-channel function).
        case channelwise
        /// NCHW → `[N, C·H·W]`: channel `c` becomes a block of features.
        case flatten
    }

    /// How `node` carries `first`'s channels, or why it cannot.
    static func passage(of node: Node, after first: Layer, in graph: Graph) -> Result<Passage, Refusal> {
        let isConv = first.opName == "Conv"
        let name = "'\(Printable.name(GraphExecutor.displayName(of: node)))' (\(node.op.onnxName))"
        switch node.op {
        case .relu, .identity, .dropout: return .success(.channelwise)
        case .maxPool, .averagePool, .globalMaxPool, .globalAveragePool:
            if isConv { return .success(.channelwise) }
            return .failure(Refusal("\(name) pools a \(first.opName) output, which has no channel axis to pool over"))
        case .flatten(let axis) where isConv && axis == 1: return .success(.flatten)
        case .add where first.opName == "MatMul" && first.biasName.map(node.inputs.contains) == true:
            return .success(.channelwise)
        case .clip(let minimum, let maximum):
            func bound(_ index: Int) -> Float?? {
                guard node.inputs.count > index, !node.inputs[index].isEmpty else { return .some(nil) }
                guard let tensor = graph.initializers[node.inputs[index]], tensor.count == 1 else { return nil }
                return .some(tensor.storage[0])
            }
            guard let low = bound(1), let high = bound(2) else {
                return .failure(Refusal("\(name) has computed bounds"))
            }
            let (lower, upper) = (low ?? minimum, high ?? maximum)
            if lower == 0, upper == nil { return .success(.channelwise) }
            return .failure(
                Refusal(
                    "\(name) clips to [\(lower.map { "\($0)" } ?? "-∞"), \(upper.map { "\($0)" } ?? "∞")], which "
                        + "scaling channels would change (only ReLU or Clip(0, ∞) can be equalized through; "
                        + "ReLU6 would need its bound 6/s per channel)"))
        default:
            return .failure(
                Refusal(
                    "\(name) between it and the next layer is not one equalization passes through (Relu, "
                        + "Clip(0, ∞), pooling or Flatten after a Conv, Identity)"))
        }
    }

    /// Why a pair cannot be formed, as one clause.
    struct Refusal: Error, Equatable {
        var problem: String
        init(_ problem: String) { self.problem = problem }
    }

    /// Who reads what in a graph, built once for all layers (a long chain would otherwise scan
    /// every node for every layer).
    struct Index {
        /// The nodes reading each value, ascending.
        var readers: [String: [Int]] = [:]
        /// The layer at each node index.
        var layerAt: [Int: Layer] = [:]

        init(graph: Graph, layers: [Layer]) {
            for (index, node) in graph.nodes.enumerated() {
                for input in Set(node.inputs) where !input.isEmpty { readers[input, default: []].append(index) }
            }
            layerAt = Dictionary(layers.map { ($0.nodeIndex, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The pair `first` starts, following its output through the table above to the next layer.
    static func starting(at first: Layer, in graph: Graph, index: Index) -> Result<EqualizationPair, Refusal> {
        guard let firstLayout = EqualizationLayout(first, in: graph) else {
            return .failure(Refusal("a \(first.opName) layer cannot be equalized (Conv, Gemm and 2-D MatMul can)"))
        }
        if let problem = sharing(of: first, index: index) { return .failure(Refusal(problem)) }
        let channels = firstLayout.outputCount
        if let biasName = first.biasName, let bias = graph.initializers[biasName], bias.count != channels {
            return .failure(Refusal("its bias has \(bias.count) values, not one per output channel (\(channels))"))
        }
        let outputs = Set(graph.outputs.map(\.name))
        guard var value = graph.nodes[first.nodeIndex].outputs.first else { return .failure(Refusal("no output")) }
        var flattened = false
        for _ in 0..<graph.nodes.count {
            let readers = index.readers[value] ?? []
            guard !readers.isEmpty else { return .failure(Refusal("no layer follows it")) }
            guard !outputs.contains(value) else {
                return .failure(Refusal("its output '\(Printable.name(value))' is also a model output"))
            }
            guard readers.count == 1, let reader = readers.first else {
                return .failure(Refusal("its output '\(Printable.name(value))' is read by \(readers.count) nodes"))
            }
            let node = graph.nodes[reader]
            if let second = index.layerAt[reader], node.inputs.first == value {
                return pair(first, second, channels: channels, flattened: flattened, in: graph, index: index)
            }
            switch passage(of: node, after: first, in: graph) {
            case .failure(let refusal): return .failure(refusal)
            case .success(.flatten): flattened = true
            case .success(.channelwise): break
            }
            guard node.inputs.first == value, let next = node.outputs.first else {
                return .failure(Refusal("it reaches '\(Printable.name(node.name))' other than as its first input"))
            }
            value = next
        }
        return .failure(Refusal("no layer follows it"))
    }

    /// The pair once the path reached `second`.
    private static func pair(
        _ first: Layer, _ second: Layer, channels: Int, flattened: Bool, in graph: Graph, index: Index
    ) -> Result<EqualizationPair, Refusal> {
        let next = "the next layer '\(Printable.name(second.name))'"
        guard let layout = EqualizationLayout(second, in: graph) else {
            return .failure(Refusal("\(next) is a \(second.opName), which cannot be equalized"))
        }
        if let problem = sharing(of: second, index: index) { return .failure(Refusal("\(next): \(problem)")) }
        if case .gemm(let attributes) = graph.nodes[second.nodeIndex].op, attributes.transposeA {
            return .failure(Refusal("\(next) is a Gemm with transA"))
        }
        let isConv = first.opName == "Conv"
        guard isConv == (second.opName == "Conv") || flattened else {
            return .failure(Refusal("\(next) reads its channels on another axis (\(first.opName) → \(second.opName))"))
        }
        let features = layout.inputCount
        guard features % max(channels, 1) == 0, flattened || features == channels else {
            return .failure(Refusal("\(next) reads \(features) features for its \(channels) channels"))
        }
        return .success(EqualizationPair(first: first, second: second, block: features / max(channels, 1)))
    }

    /// Why `layer`'s weight (or bias) cannot be rescaled alone: another node reads it.
    private static func sharing(of layer: Layer, index: Index) -> String? {
        for name in [layer.weightName, layer.biasName].compactMap({ $0 }) {
            let readers = index.readers[name]?.count ?? 0
            if readers > 1 { return "its '\(Printable.name(name))' is shared by \(readers) nodes" }
        }
        return nil
    }
}
