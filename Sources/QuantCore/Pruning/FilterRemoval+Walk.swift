/// Finding a `FilterRemoval`: the walk from a layer's output to its consumers.
extension FilterRemoval {
    /// Why a layer's filters cannot be removed, in words (`its output feeds Add 'res1' …`).
    public struct Refusal: Error, Equatable, Sendable {
        /// The reason, one line.
        public var message: String
    }

    /// The removal of `removed` output channels of `layer`, or why removal cannot propagate.
    ///
    /// - Parameters:
    ///   - layers: the graph's layers (`Graph.layers`), to name the consumers.
    public static func find(
        for layer: Layer, removing removed: [Int], in graph: Graph, layers: [Layer]
    ) -> Result<FilterRemoval, Refusal> {
        do {
            return .success(try walk(from: layer, removing: removed, in: graph, layers: layers))
        } catch let refusal as Refusal {
            return .failure(refusal)
        } catch {
            return .failure(Refusal(message: "\(error)"))
        }
    }

    private static func walk(
        from layer: Layer, removing removed: [Int], in graph: Graph, layers: [Layer]
    ) throws -> FilterRemoval {
        func refuse(_ message: String) -> Refusal { Refusal(message: message) }
        var readers: [String: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty { readers[input, default: []].append(index) }
        }
        func readCount(_ name: String) -> Int {
            graph.nodes.reduce(0) { $0 + $1.inputs.filter { $0 == name }.count }
        }
        let node = graph.nodes[layer.nodeIndex]
        let channelCount =
            layer.weightShape.indices.contains(layer.outputChannelAxis)
            ? layer.weightShape[layer.outputChannelAxis] : 0
        var layout: Layout
        switch node.op {
        case .conv(let attributes) where attributes.group == 1: layout = .channels
        case .conv: throw refuse("filters of a grouped Conv cannot be removed alone")
        case .gemm where layer.weightShape.count == 2: layout = .rows
        case .matMul where layer.weightShape.count == 2: layout = .lastAxis
        default: throw refuse("filter pruning applies to Conv, Gemm and MatMul layers with a 2-D or Conv weight")
        }
        guard removed.count < channelCount else {
            throw refuse("it would remove all \(channelCount) filters")
        }
        guard readCount(layer.weightName) == 1 else {
            throw refuse("its weight '\(Printable.name(layer.weightName))' is shared with another node")
        }
        var result = FilterRemoval(
            layer: layer.name, channelCount: channelCount, removed: removed,
            slices: [Slice(name: layer.weightName, axis: layer.outputChannelAxis, block: 1)], consumers: [],
            batchNorms: [])
        if let bias = layer.biasName, let tensor = graph.initializers[bias] {
            guard tensor.count == channelCount, readCount(bias) == 1 else {
                throw refuse("its bias '\(Printable.name(bias))' is shared or broadcast, not one value per filter")
            }
            result.slices.append(Slice(name: bias, axis: max(tensor.rank - 1, 0), block: 1))
        }
        let layerByNode = Dictionary(layers.map { ($0.nodeIndex, $0) }, uniquingKeysWith: { first, _ in first })
        let graphOutputs = Set(graph.outputs.map(\.name))
        // Values carrying the channels, each with its layout; visited once.
        var pending: [(value: String, layout: Layout)] = [(node.outputs.first ?? "", layout)]
        var visited = Set<String>()
        while let (value, current) = pending.popLast() {
            guard visited.insert(value).inserted else { continue }
            if graphOutputs.contains(value) {
                throw refuse("its output reaches the graph output '\(Printable.name(value))'")
            }
            let readerNodes = readers[value] ?? []
            if readerNodes.isEmpty { throw refuse("its output '\(Printable.name(value))' is read by nothing") }
            for index in readerNodes {
                let reader = graph.nodes[index]
                let where_ = "\(reader.op.onnxName) '\(Printable.name(reader.name))'"
                guard reader.inputs.firstIndex(of: value) == 0 || isBiasAdd(reader, of: layer, node) else {
                    throw refuse("its output feeds \(where_) as an input other than the data")
                }
                if isBiasAdd(reader, of: layer, node) {
                    pending.append((reader.outputs.first ?? "", current))
                    continue
                }
                switch propagation(of: reader, in: graph) {
                case .elementwise:
                    pending.append((reader.outputs.first ?? "", current))
                case .spatial:
                    guard current == .channels else {
                        throw refuse("\(where_) pools values that are not Conv channels")
                    }
                    pending.append((reader.outputs.first ?? "", current))
                case .batchNorm(let epsilon):
                    guard current == .channels || current == .rows, reader.inputs.count == 5 else {
                        throw refuse("\(where_) normalizes values that are not channels")
                    }
                    let names = Array(reader.inputs[1...4])
                    guard names.allSatisfy({ graph.initializers[$0]?.shape == [channelCount] && readCount($0) == 1 })
                    else { throw refuse("\(where_) has parameters that are not its own [\(channelCount)] constants") }
                    result.slices += names.map { Slice(name: $0, axis: 0, block: 1) }
                    result.batchNorms.append(
                        BatchNormParameters(
                            scale: names[0], bias: names[1], mean: names[2], variance: names[3], epsilon: epsilon))
                    pending.append((reader.outputs.first ?? "", current))
                case .flatten:
                    guard current == .channels || current == .rows else {
                        throw refuse("\(where_) flattens values that are not channels")
                    }
                    pending.append((reader.outputs.first ?? "", current == .rows ? .rows : .flattened))
                case .consumer:
                    guard let consumer = layerByNode[index] else {
                        throw refuse("its output feeds \(where_), whose weight is not a constant")
                    }
                    result.consumers.append(
                        Consumer(
                            layer: consumer.name,
                            slice: try consumerSlice(consumer, reader, current, channelCount, readCount, refuse)))
                case .refused(let what):
                    throw refuse("its output feeds \(where_): \(what)")
                }
            }
        }
        return result
    }

    /// Whether `reader` is the Add holding a MatMul layer's bias.
    private static func isBiasAdd(_ reader: Node, of layer: Layer, _ node: Node) -> Bool {
        guard node.op == .matMul, reader.op == .add, let bias = layer.biasName else { return false }
        return reader.inputs.contains(bias) && reader.inputs.contains(node.outputs.first ?? "")
    }

    /// The slice of a consumer's weight: its input-channel axis, and the block per channel.
    private static func consumerSlice(
        _ consumer: Layer, _ reader: Node, _ layout: Layout, _ channelCount: Int, _ readCount: (String) -> Int,
        _ refuse: (String) -> Refusal
    ) throws -> Slice {
        let where_ = "\(reader.op.onnxName) '\(Printable.name(consumer.name))'"
        guard readCount(consumer.weightName) == 1 else {
            throw refuse("the weight of \(where_) is shared with another node")
        }
        let axis: Int
        switch (reader.op, layout) {
        case (.conv(let attributes), .channels):
            guard attributes.group == 1 else { throw refuse("its output feeds the grouped \(where_)") }
            axis = 1
        case (.gemm(let attributes), .rows), (.gemm(let attributes), .flattened), (.gemm(let attributes), .lastAxis):
            guard !attributes.transposeA else { throw refuse("its output feeds \(where_) with transA") }
            axis = attributes.transposeB ? 1 : 0
        case (.matMul, .rows), (.matMul, .flattened), (.matMul, .lastAxis):
            guard consumer.weightShape.count == 2 else {
                throw refuse("its output feeds \(where_) with a batched weight")
            }
            axis = 0
        default:
            throw refuse("its output feeds \(where_) in a layout it does not read as input channels")
        }
        let inputs = consumer.weightShape[axis]
        let block = layout == .flattened ? inputs / max(channelCount, 1) : 1
        guard block >= 1, inputs == block * channelCount else {
            throw refuse("\(where_) reads \(inputs) inputs, not \(channelCount) channels (of \(block) each)")
        }
        return Slice(name: consumer.weightName, axis: axis, block: block)
    }
}
