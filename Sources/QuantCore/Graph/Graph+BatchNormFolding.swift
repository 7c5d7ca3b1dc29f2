/// Folding inference-mode BatchNormalization into the Conv or Gemm in front of it.
extension Graph {
    /// A copy of the graph in which every BatchNormalization that directly follows a Conv or
    /// Gemm is folded into that layer's weight and bias, and removed.
    ///
    /// With `a = scale / sqrt(var + ε)` and `b = B − mean · a` per channel `c`:
    /// `W'[c, …] = a[c] · W[c, …]` and `bias'[c] = a[c] · bias[c] + b[c]` (a missing bias
    /// becomes a new initializer). For Gemm the weight's output axis is 0 with `transB`, else 1;
    /// the bias becomes `[N]` with `beta = 1`. A BN is folded only when all of this holds:
    /// its parameters are `[C]` initializers, the layer's output feeds nothing else and is
    /// not a graph output, and the layer's weight and bias are initializers read by no other
    /// node. Outputs agree with the original graph up to float rounding.
    public func foldingBatchNormalization() -> Graph {
        var graph = self
        var index = 0
        while index < graph.nodes.count {
            if !graph.foldBatchNormalization(at: index) { index += 1 }
        }
        return graph
    }

    /// Folds the BN at `index` into its producer if allowed; returns whether it did.
    private mutating func foldBatchNormalization(at index: Int) -> Bool {
        let norm = nodes[index]
        guard case .batchNormalization(let epsilon) = norm.op, norm.inputs.count == 5,
            norm.outputs.dropFirst().allSatisfy(\.isEmpty), let normOutput = norm.outputs.first
        else { return false }
        let source = norm.inputs[0]
        guard let layerIndex = nodes[..<index].lastIndex(where: { $0.outputs.first == source }),
            readerCount(of: source) == 1, !outputs.contains(where: { $0.name == source })
        else { return false }
        let parameters = norm.inputs[1...].compactMap { initializers[$0] }
        guard parameters.count == 4, let channels = parameters.first?.count,
            parameters.allSatisfy({ $0.shape == [channels] })
        else { return false }
        let (multiplier, offset) = Ops.batchNormalizationCoefficients(
            scale: parameters[0].storage, bias: parameters[1].storage, mean: parameters[2].storage,
            variance: parameters[3].storage, epsilon: epsilon)

        var layer = nodes[layerIndex]
        guard layer.inputs.count >= 2, let weight = initializers[layer.inputs[1]],
            isPrivateFloatInitializer(layer.inputs[1])
        else { return false }
        let biasName = layer.inputs.count > 2 && !layer.inputs[2].isEmpty ? layer.inputs[2] : nil
        if let biasName, !isPrivateFloatInitializer(biasName) { return false }
        let oldBias = biasName.flatMap { initializers[$0] }

        var newWeight = weight
        var newBias = [Float](repeating: 0, count: channels)
        switch layer.op {
        case .conv:
            guard weight.rank >= 3, weight.shape[0] == channels else { return false }
            if let oldBias { guard oldBias.shape == [channels] else { return false } }
            Graph.scaleSlices(of: &newWeight, along: 0, by: multiplier)
            for c in 0..<channels { newBias[c] = multiplier[c] * (oldBias?.storage[c] ?? 0) + offset[c] }
        case .gemm(var attributes):
            let outputAxis = attributes.transposeB ? 0 : 1
            guard weight.rank == 2, weight.shape[outputAxis] == channels else { return false }
            // The effective bias beta · C must be a per-column vector (or a scalar).
            var columnBias = [Float](repeating: 0, count: channels)
            if let oldBias, attributes.beta != 0 {
                if oldBias.count == 1 {
                    columnBias = Array(repeating: attributes.beta * oldBias.storage[0], count: channels)
                } else if oldBias.count == channels, oldBias.shape == [channels] || oldBias.shape == [1, channels] {
                    columnBias = oldBias.storage.map { attributes.beta * $0 }
                } else {
                    return false
                }
            }
            Graph.scaleSlices(of: &newWeight, along: outputAxis, by: multiplier)
            for c in 0..<channels { newBias[c] = multiplier[c] * columnBias[c] + offset[c] }
            attributes.beta = 1
            layer.op = .gemm(attributes)
        default:
            return false
        }

        initializers[layer.inputs[1]] = newWeight
        let newBiasName =
            biasName ?? uniqueValueName(base: (layer.name.isEmpty ? layer.inputs[1] : layer.name) + ".bn_bias")
        initializers[newBiasName] = Tensor(shape: [channels], storage: newBias)
        if layer.inputs.count > 2 { layer.inputs[2] = newBiasName } else { layer.inputs.append(newBiasName) }
        layer.outputs[0] = normOutput
        nodes[layerIndex] = layer
        nodes.remove(at: index)
        for name in Set(norm.inputs[1...])
        where readerCount(of: name) == 0 && !outputs.contains(where: { $0.name == name }) {
            initializers[name] = nil
            initializerTypes[name] = nil
        }
        return true
    }

    /// How many node inputs (counting repeats) read `name`.
    private func readerCount(of name: String) -> Int {
        nodes.reduce(0) { $0 + $1.inputs.filter { $0 == name }.count }
    }

    /// Whether `name` is a float initializer read by exactly one node input and not a graph output.
    private func isPrivateFloatInitializer(_ name: String) -> Bool {
        initializers[name] != nil && initializerTypes[name] == nil && readerCount(of: name) == 1
            && !outputs.contains(where: { $0.name == name })
    }

    /// `base`, or `base_2`, `base_3`, … : the first name no initializer, input or node output uses.
    private func uniqueValueName(base: String) -> String {
        let taken = Set(initializers.keys).union(inputs.map(\.name)).union(nodes.flatMap(\.outputs))
        var candidate = base
        var suffix = 2
        while taken.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        return candidate
    }

    /// Multiplies every slice `i` of `tensor` along `axis` by `factors[i]` (`factors.count == shape[axis]`).
    private static func scaleSlices(of tensor: inout Tensor, along axis: Int, by factors: [Float]) {
        let outer = Ops.product(tensor.shape, 0..<axis)
        let extent = tensor.shape[axis]
        let inner = Ops.product(tensor.shape, (axis + 1)..<tensor.rank)
        tensor.storage.withUnsafeMutableBufferPointer { values in
            for o in 0..<outer {
                for i in 0..<extent {
                    let start = (o * extent + i) * inner
                    for k in 0..<inner { values[start + k] *= factors[i] }
                }
            }
        }
    }
}
