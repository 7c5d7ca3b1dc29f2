import Foundation

/// Turns a decoded ONNX `ModelProto` into a validated `Graph`, naming the file in every error.
///
/// Steps: read the default-domain opset, check that every operator is supported (naming all
/// unsupported ones at once, before any weight is decoded), read the initializers, the graph
/// inputs (minus those that are initializers: exporters before IR 4 list weights as inputs), the
/// outputs and the nodes (see `ONNXGraphReader+Operators.swift`), then sort and check the graph
/// with `validated()`, resolve the few old-opset semantics that need operand ranks
/// (`ONNXLegacyCheck`), fold the nodes that depend only on constants (`foldingConstants()`), and
/// check that layer weights are finite (other constants, such as attention masks of −inf, may
/// not be).
/// Operands that old opsets gave as attributes (Reshape's shape, Pad's pads, Squeeze's axes, …)
/// become int64 initializers named `<output>__<operand>`; constant operands that the engine
/// keeps as attributes (ReduceMean's axes from opset 18) are folded in.
struct ONNXGraphReader {
    /// The newest ONNX IR version read (IR 14 is ONNX 1.23, whose own node test cases run in the
    /// tests); newer files are refused, not guessed at.
    static let newestIRVersion: Int64 = 14
    /// The newest default-domain operator set read (opset 28 is ONNX 1.23).
    static let newestOpset: Int64 = 28

    /// The file, for errors.
    let path: String
    /// The version of the default (`ai.onnx`) operator set the model imports.
    let opset: Int
    /// Where external tensor data is read from (the model's folder), or `nil` to refuse it.
    var externalData: ONNXExternalData? = nil
    /// Initializers read so far, including those synthesized from old-style attributes.
    var initializers: [String: Tensor] = [:]
    /// File element types that are not float32, for initializers and Constant outputs.
    var initializerTypes: [String: ElementType] = [:]
    /// Nodes converted so far, in file order.
    var nodes: [Node] = []
    /// Old-opset conditions to resolve once ranks are known.
    var legacyChecks: [ONNXLegacyCheck] = []
    /// Initializers folded into a node's attributes; dropped at the end unless still read.
    var foldedInitializers: Set<String> = []
    /// Where decoding the weights reports, if anywhere.
    var progress: LoadProgress? = nil

    /// The graph held by `model`; tensors kept in side files are read from `folder` (see
    /// `ONNXExternalData`), or refused when it is `nil`.
    ///
    /// - Throws: `ModelIOError` naming `path`.
    static func graph(
        from model: Onnx_ModelProto, path: String, folder: URL? = nil, progress: LoadProgress? = nil
    ) throws -> Graph {
        guard model.hasGraph else {
            throw ModelIOError.malformed(path: path, detail: "the file holds no graph (is it an ONNX model?)")
        }
        let defaultDomain = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard model.irVersion <= newestIRVersion else {
            throw ModelIOError.malformed(
                path: path,
                detail: "IR version \(model.irVersion) is newer than this quantdash reads (up to \(newestIRVersion))")
        }
        if let version = defaultDomain?.version, version > newestOpset {
            throw ModelIOError.malformed(
                path: path, detail: "operator set \(version) is newer than this quantdash reads (up to \(newestOpset))")
        }
        // IR versions before 3 had no opset_import and implied operator set 1.
        var reader = ONNXGraphReader(path: path, opset: defaultDomain.map { Int(truncatingIfNeeded: $0.version) } ?? 1)
        reader.externalData = folder.map { ONNXExternalData(path: path, folder: $0) }
        reader.progress = progress
        return try reader.read(model)
    }

    /// The bytes `tensor` stores (in the file or, by its declared length, in a side file).
    static func storedByteCount(_ tensor: Onnx_TensorProto) -> Int {
        let external = tensor.externalData.first { $0.key == "length" }.flatMap { Int($0.value) } ?? 0
        return tensor.rawData.count + 4 * (tensor.floatData.count + tensor.int32Data.count)
            + 8 * (tensor.doubleData.count + tensor.int64Data.count + tensor.uint64Data.count) + max(external, 0)
    }

    private mutating func read(_ model: Onnx_ModelProto) throws -> Graph {
        let proto = model.graph
        if !proto.sparseInitializer.isEmpty {
            throw ModelIOError.malformed(path: path, detail: "sparse initializers are not supported")
        }
        try checkOperatorsAreSupported(proto.node)
        // Every side file's size and the sum of the tensors against the budget, before any is read.
        try externalData?.checkBudget(proto.initializer)
        // Progress by stored bytes (a weight's share of the work), shown in MiB.
        let sizes = progress == nil ? [] : proto.initializer.map(Self.storedByteCount)
        let report = progress?.phase(.decodingWeights, total: LoadProgress.mebibytes(sizes.reduce(0, +)))
        var decoded = 0
        for (index, initializer) in proto.initializer.enumerated() {
            if let report {
                report(decoded >> 20)
                decoded += sizes[index]
            }
            guard !initializer.name.isEmpty else {
                throw ModelIOError.malformed(path: path, detail: "initializer #\(index) has no name")
            }
            let (tensor, type) = try ONNXTensorCoding.tensor(
                from: initializer, path: path, externalData: externalData)
            try addInitializer(initializer.name, tensor, type)
        }
        report?(LoadProgress.mebibytes(decoded))
        let inputs = try proto.input.filter { initializers[$0.name] == nil }.map(valueInfo)
        let outputs = try proto.output.map(valueInfo)
        var nodeIndexByName: [String: Int] = [:]
        for (index, node) in proto.node.enumerated() {
            // Plans, reports and onnxruntime tell nodes apart by name: two with one name are refused.
            if !node.name.isEmpty {
                if let first = nodeIndexByName[node.name] {
                    throw ModelIOError.malformed(
                        path: path,
                        detail: "nodes #\(first) and #\(index) are both named '\(Printable.name(node.name))'; "
                            + "node names must be unique")
                }
                nodeIndexByName[node.name] = index
            }
            try appendNode(node, index: index)
        }
        let outputNames = Set(outputs.map(\.name))
        let readNames = Set(nodes.flatMap(\.inputs))
        for name in foldedInitializers where !outputNames.contains(name) && !readNames.contains(name) {
            initializers[name] = nil
            initializerTypes[name] = nil
        }
        var metadata: [String: String] = [:]
        for entry in model.metadataProps { metadata[entry.key] = entry.value }

        let unsorted = Graph(
            name: proto.name, inputs: inputs, outputs: outputs, initializers: initializers,
            initializerTypes: initializerTypes, nodes: nodes, metadata: metadata)
        var graph: Graph
        do {
            graph = try unsorted.validated()
        } catch let error as GraphError {
            throw ModelIOError.invalidGraph(path: path, error)
        }
        // A layer's weight and bias are what quantization works on: they must be floating point
        // (an int64 Gemm weight would be quantized as if it were float and exported as such).
        for layer in graph.layers {
            for name in [layer.weightName, layer.biasName].compactMap({ $0 }) {
                if let type = graph.initializerTypes[name], type != .float64 {
                    throw ModelIOError.unsupportedDataType(
                        path: path, tensor: name,
                        dataType: "\(ONNXTensorCoding.dataTypeName(Int32(type.rawValue))) for a \(layer.opName) weight "
                            + "(float or double expected)")
                }
            }
        }
        if !legacyChecks.isEmpty {
            let ranks = ONNXRankInference.ranks(in: graph)
            for check in legacyChecks {
                try check.resolve(in: &graph, ranks: ranks, path: path)
            }
        }
        do {
            graph = try graph.foldingConstants()
        } catch let error as GraphError {
            throw ModelIOError.invalidGraph(path: path, error)
        }
        // Weights must be numbers: a NaN or infinity would poison every range, scale and metric.
        // Other constants (attention masks of −inf, limits) may be non-finite.
        for layer in graph.layers {
            for name in [layer.weightName] + (layer.biasName.map { [$0] } ?? []) {
                guard let tensor = graph.initializers[name],
                    let index = tensor.storage.firstIndex(where: { !$0.isFinite })
                else { continue }
                throw ModelIOError.malformed(
                    path: path,
                    detail: "initializer '\(name)' holds \(tensor.storage[index]) at index \(index); "
                        + "weights must be finite numbers")
            }
        }
        return graph
    }

    /// Throws before any weight is decoded when some operators are not supported, naming all of
    /// them: each node is converted once on a scratch reader, and only "unsupported operator"
    /// refusals are collected (other problems surface in the real pass, with their context).
    private func checkOperatorsAreSupported(_ protos: [Onnx_NodeProto]) throws {
        var scratch = ONNXGraphReader(path: path, opset: opset)
        var found: [(op: String, node: String, count: Int)] = []
        for (index, proto) in protos.enumerated() {
            do {
                try scratch.appendNode(proto, index: index)
            } catch ModelIOError.unsupportedOperator(_, let op, let node) {
                if let position = found.firstIndex(where: { $0.op == op }) {
                    found[position].count += 1
                } else {
                    found.append((op, node, 1))
                }
            } catch {
                continue
            }
        }
        if found.count == 1, let only = found.first, only.count == 1 {
            throw ModelIOError.unsupportedOperator(path: path, op: only.op, node: only.node)
        }
        guard !found.isEmpty else { return }
        throw ModelIOError.unsupportedOperators(
            path: path,
            operators: found.map { entry in
                entry.count == 1
                    ? "\(entry.op) (node '\(entry.node)')" : "\(entry.op) (\(entry.count) nodes, first '\(entry.node)')"
            })
    }

    /// Adds `values` as an initializer operand named `<output>__<operand>` and returns its name
    /// (for operands that old opsets gave as attributes).
    ///
    /// - Throws: `ModelIOError.invalidGraph(.duplicateValue)` when the name is taken.
    mutating func attributeOperand(
        _ values: [Float], shape: [Int]? = nil, type: ElementType = .int64, operand: String, of node: Node,
        display: String
    ) throws -> String {
        let name = "\(node.outputs.first ?? display)__\(operand)"
        try addInitializer(name, Tensor(shape: shape ?? [values.count], storage: values), type)
        return name
    }

    /// Records an initializer, rejecting a second one with the same name.
    mutating func addInitializer(_ name: String, _ tensor: Tensor, _ type: ElementType) throws {
        guard initializers.updateValue(tensor, forKey: name) == nil else {
            throw ModelIOError.invalidGraph(path: path, .duplicateValue(name))
        }
        if type != .float32 { initializerTypes[name] = type }
    }

    /// A graph input or output description.
    private func valueInfo(_ proto: Onnx_ValueInfoProto) throws -> ValueInfo {
        guard case .tensorType(let tensorType)? = proto.type.value else {
            throw ModelIOError.unsupportedDataType(path: path, tensor: proto.name, dataType: "a non-tensor type")
        }
        let type = try ONNXTensorCoding.elementType(code: tensorType.elemType, tensor: proto.name, path: path)
        var shape: [Int?] = []
        var names: [String?] = []
        // A missing shape (unknown rank) is read as rank 0; the engine needs ranks anyway.
        for dimension in tensorType.shape.dim {
            switch dimension.value {
            case .dimValue(let extent)? where extent >= 0:
                shape.append(Int(extent))
                names.append(nil)
            case .dimParam(let name)? where !name.isEmpty:
                shape.append(nil)
                names.append(name)
            default:
                shape.append(nil)
                names.append(nil)
            }
        }
        return ValueInfo(name: proto.name, elementType: type, shape: shape, dimensionNames: names)
    }
}
