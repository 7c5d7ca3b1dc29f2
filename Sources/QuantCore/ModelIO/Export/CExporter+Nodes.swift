extension CExporter {
    /// The state of code generation while walking the graph in order.
    struct NodeEmitter {
        /// The export's C name (symbol prefix).
        var name: String
        /// The destination, named in errors.
        var path: String
        /// Extents without the batch axis, by value name.
        var shapes: [String: [Int]] = [:]
        /// The C expression holding each value (a pointer).
        var pointers: [String: String] = [:]
        /// Scratch activation buffers: name and float count.
        var buffers: [(name: String, count: Int)] = []
        /// Statements of the predict function.
        var body: [String] = []

        /// The one-line error for a node the generator cannot express.
        func unsupported(_ detail: String) -> ModelIOError {
            .incompatible(path: path, detail: "C export: \(detail)")
        }

        /// The extents of `value` (without batch), which an earlier node must have produced.
        func shape(of value: String, node: Node) throws -> [Int] {
            guard let shape = shapes[value] else {
                throw unsupported("node \(node.name) reads \(value), whose shape is unknown")
            }
            return shape
        }

        /// The index of the last node reading each value (graph outputs: never released).
        var lastUse: [String: Int] = [:]
        /// The node being emitted.
        var currentNode = 0
        /// Per buffer, the last node that reads a value it holds.
        var busyUntil: [Int] = []
        /// The buffer holding each computed value.
        var bufferIndex: [String: Int] = [:]

        /// Records which node reads each value last, so buffers can be reused after it.
        mutating func planLifetimes(of graph: Graph) {
            for (index, node) in graph.nodes.enumerated() {
                for input in node.inputs { lastUse[input] = index }
            }
            for output in graph.outputs { lastUse[output.name] = Int.max }
        }

        /// A scratch buffer for `value` of `shape`: one no longer read by any later node, grown
        /// to fit, or a new one.
        mutating func allocate(_ value: String, shape: [Int]) -> String {
            let count = max(shape.reduce(1, *), 1)
            let index: Int
            if let free = busyUntil.indices.first(where: { busyUntil[$0] < currentNode }) {
                index = free
                buffers[index].count = max(buffers[index].count, count)
            } else {
                index = buffers.count
                buffers.append(("\(name)_buffer\(index)", count))
                busyUntil.append(0)
            }
            busyUntil[index] = lastUse[value] ?? currentNode
            bufferIndex[value] = index
            shapes[value] = shape
            pointers[value] = buffers[index].name
            return buffers[index].name
        }

        /// Makes `output` another name for `input` with a new shape (no copy).
        mutating func alias(_ output: String, to input: String, shape: [Int]) {
            shapes[output] = shape
            pointers[output] = pointers[input]
            if let index = bufferIndex[input] {
                bufferIndex[output] = index
                busyUntil[index] = max(busyUntil[index], lastUse[output] ?? currentNode)
            }
        }

        /// Emits the code of one node; layers come with their encoded weights.
        mutating func emit(_ node: Node, graph: Graph, weights: EncodedWeights?, bias: String?) throws {
            guard let input = node.inputs.first, let output = node.outputs.first else { return }
            let inShape = try shape(of: input, node: node)
            let source = pointers[input] ?? "input"
            let count = inShape.reduce(1, *)
            if node.op.hasQuantizableWeight, node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil {
                throw unsupported("\(node.op.onnxName) \(node.name) has a bias that is not a constant")
            }
            switch node.op {
            case .identity, .dropout:
                alias(output, to: input, shape: inShape)
            case .flatten(let axis):
                let full = [1] + inShape
                let split = axis < 0 ? axis + full.count : axis
                let inner = full[min(max(split, 0), full.count)...].reduce(1, *)
                alias(output, to: input, shape: split <= 1 ? [inner] : [full[1..<split].reduce(1, *), inner])
            case .reshape:
                guard node.inputs.count > 1, let target = graph.initializers[node.inputs[1]] else {
                    throw unsupported("Reshape \(node.name) needs a constant shape")
                }
                var extents = target.storage.map { Int($0) }
                for (i, extent) in extents.enumerated() where extent == 0 && i < inShape.count + 1 {
                    extents[i] = ([1] + inShape)[i]
                }
                if let unknown = extents.firstIndex(of: -1) {
                    let known = extents.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
                    extents[unknown] = known == 0 ? 0 : count / known
                }
                alias(output, to: input, shape: Array(extents.dropFirst()))
            case .relu:
                let out = allocate(output, shape: inShape)
                body.append(
                    "for (i = 0; i < \(count)u; i++) { \(out)[i] = \(source)[i] > 0.0f ? \(source)[i] : 0.0f; }")
            case .maxPool(let attributes):
                try emitMaxPool(attributes, node: node, inShape: inShape, source: source, output: output)
            case .gemm(let attributes):
                guard let weights, !attributes.transposeA, attributes.transposeB, attributes.alpha == 1 else {
                    throw unsupported(
                        "Gemm \(node.name) must have a constant weight, transB = 1, transA = 0, alpha = 1")
                }
                let outCount = graph.initializers[node.inputs[1]]?.shape.first ?? 0
                guard weights.rowLength == count else {
                    throw unsupported(
                        "Gemm \(node.name) reads \(count) values but its weight rows hold \(weights.rowLength)")
                }
                let out = allocate(output, shape: [outCount])
                let addBias =
                    bias.map { attributes.beta == 1 ? " + \($0)[n]" : " + \(cFloat(attributes.beta)) * \($0)[n]" } ?? ""
                body.append(
                    """
                    {
                        const qd_weights w = {
                    \(weights.initializer)
                        };
                        cursor = 0;
                        for (n = 0; n < \(outCount)u; n++) {
                            qd_decode_row(&w, n, \(name)_row, &cursor);
                            acc = 0.0f;
                            for (k = 0; k < \(count)u; k++) { acc += \(source)[k] * \(name)_row[k]; }
                            \(out)[n] = acc\(addBias);
                        }
                    }
                    """)
            case .conv(let attributes):
                try emitConv(
                    attributes, node: node, graph: graph, weights: weights, bias: bias, inShape: inShape, source: source
                )
            default:
                throw unsupported("operator \(node.op.onnxName) (node \(node.name)) is not supported")
            }
        }

        private mutating func emitMaxPool(
            _ attributes: PoolAttributes, node: Node, inShape: [Int], source: String, output: String
        ) throws {
            guard inShape.count == 3, attributes.kernelShape.count == 2, !attributes.ceilMode,
                attributes.dilations.allSatisfy({ $0 == 1 }),
                attributes.autoPad == .notSet || attributes.autoPad == .valid
            else { throw unsupported("MaxPool \(node.name) must be 2-D without ceil mode, dilation or auto_pad") }
            let (channels, height, width) = (inShape[0], inShape[1], inShape[2])
            let (kh, kw) = (attributes.kernelShape[0], attributes.kernelShape[1])
            let strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
            let pads = attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads
            let outH = (height + pads[0] + pads[2] - kh) / strides[0] + 1
            let outW = (width + pads[1] + pads[3] - kw) / strides[1] + 1
            let out = allocate(output, shape: [channels, outH, outW])
            body.append(
                """
                for (c = 0; c < \(channels); c++) {
                    for (oy = 0; oy < \(outH); oy++) {
                        for (ox = 0; ox < \(outW); ox++) {
                            acc = -INFINITY;
                            for (ky = 0; ky < \(kh); ky++) {
                                iy = oy * \(strides[0]) - \(pads[0]) + ky;
                                if (iy < 0 || iy >= \(height)) { continue; }
                                for (kx = 0; kx < \(kw); kx++) {
                                    ix = ox * \(strides[1]) - \(pads[1]) + kx;
                                    if (ix < 0 || ix >= \(width)) { continue; }
                                    value = \(source)[(c * \(height) + iy) * \(width) + ix];
                                    acc = value > acc ? value : acc;
                                }
                            }
                            \(out)[(c * \(outH) + oy) * \(outW) + ox] = acc;
                        }
                    }
                }
                """)
        }

        private mutating func emitConv(
            _ attributes: ConvAttributes, node: Node, graph: Graph, weights: EncodedWeights?, bias: String?,
            inShape: [Int], source: String
        ) throws {
            guard let weights, let weight = graph.initializers[node.inputs[1]], weight.rank == 4, inShape.count == 3,
                attributes.group == 1, attributes.dilations.allSatisfy({ $0 == 1 }),
                attributes.autoPad == .notSet || attributes.autoPad == .valid, weight.shape[1] == inShape[0]
            else {
                throw unsupported(
                    "Conv \(node.name) must be 2-D with a constant weight, group 1, no dilation or auto_pad")
            }
            guard let output = node.outputs.first else { return }
            let (outChannels, inChannels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
            let (height, width) = (inShape[1], inShape[2])
            let strides = attributes.strides.isEmpty ? [1, 1] : attributes.strides
            let pads = attributes.pads.isEmpty ? [0, 0, 0, 0] : attributes.pads
            let outH = (height + pads[0] + pads[2] - kh) / strides[0] + 1
            let outW = (width + pads[1] + pads[3] - kw) / strides[1] + 1
            let out = allocate(output, shape: [outChannels, outH, outW])
            let initial = bias.map { "\($0)[m]" } ?? "0.0f"
            body.append(
                """
                {
                    const qd_weights w = {
                \(weights.initializer)
                    };
                    cursor = 0;
                    for (m = 0; m < \(outChannels); m++) {
                        qd_decode_row(&w, (uint32_t)m, \(name)_row, &cursor);
                        for (oy = 0; oy < \(outH); oy++) {
                            for (ox = 0; ox < \(outW); ox++) {
                                acc = 0.0f;
                                for (c = 0; c < \(inChannels); c++) {
                                    for (ky = 0; ky < \(kh); ky++) {
                                        iy = oy * \(strides[0]) - \(pads[0]) + ky;
                                        if (iy < 0 || iy >= \(height)) { continue; }
                                        for (kx = 0; kx < \(kw); kx++) {
                                            ix = ox * \(strides[1]) - \(pads[1]) + kx;
                                            if (ix < 0 || ix >= \(width)) { continue; }
                                            acc += \(source)[(c * \(height) + iy) * \(width) + ix] * \(name)_row[(c * \(kh) + ky) * \(kw) + kx];
                                        }
                                    }
                                }
                                \(out)[(m * \(outH) + oy) * \(outW) + ox] = acc + \(initial);
                            }
                        }
                    }
                }
                """)
        }
    }
}
