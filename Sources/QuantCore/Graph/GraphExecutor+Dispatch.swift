/// Evaluating one node: fetch its operands, call its kernel, return its outputs.
extension GraphExecutor {
    /// Computes the outputs of `node` (the `index`-th), in the order of `node.outputs`.
    ///
    /// Element-wise operators work in place on their first operand when this node is its last
    /// reader, so activations are not copied.
    func evaluate(_ node: Node, at index: Int, state: inout ExecutionState) throws -> [Tensor] {
        let name = GraphExecutor.displayName(of: node)
        let op = node.op.onnxName

        func optionalInput(_ position: Int) throws -> Tensor? {
            guard position < node.inputs.count, !node.inputs[position].isEmpty else { return nil }
            guard let tensor = state.lookup(node.inputs[position]) else {
                throw GraphError.unknownValue(node: name, value: node.inputs[position])
            }
            return tensor
        }
        func input(_ position: Int) throws -> Tensor {
            guard let tensor = try optionalInput(position) else {
                throw GraphError.invalidAttribute(node: name, op: op, detail: "input \(position) is required")
            }
            return tensor
        }
        // The first input, taken out of the run's values when this node is its last reader (so
        // it can be changed in place without a copy); nil when others still read it.
        func takeOwnedFirstInput() -> Tensor? {
            let value = node.inputs[0]
            guard lastReaders[value] == index, !state.keeping.contains(value),
                node.inputs.lazy.filter({ $0 == value }).count == 1
            else { return nil }
            return state.values.removeValue(forKey: value)
        }
        // The first operand: taken when this node is its last reader, else shared.
        func takeFirstInput() throws -> Tensor {
            if let tensor = takeOwnedFirstInput() { return tensor }
            return try input(0)
        }
        func scalar(_ position: Int) throws -> Float? {
            guard let tensor = try optionalInput(position) else { return nil }
            guard tensor.count == 1 else {
                throw GraphError.shapeMismatch(
                    node: name, op: op, detail: "input \(position) \(tensor.shape) must be a scalar")
            }
            return tensor.storage[0]
        }

        switch node.op {
        case .gemm(let attributes):
            let weights = try input(1)
            return [
                try Ops.gemm(
                    input(0), weights, optionalInput(2), attributes: attributes, node: name,
                    packedB: packedConstant(node.inputs[1], weights, attributes: attributes, state: state))
            ]
        case .matMul:
            return [try Ops.matMul(input(0), input(1), node: name)]
        case .add:
            if let summed = takeSummedOperand(of: node, state: &state) { return [summed] }  // fused into the Conv
            if let sum = addInPlace(node, at: index, state: &state) { return [sum] }
            return [try Ops.arithmetic(.add, input(0), input(1), node: name)]
        case .sub:
            return [try Ops.arithmetic(.sub, input(0), input(1), node: name)]
        case .mul:
            return [try Ops.arithmetic(.mul, input(0), input(1), node: name)]
        case .div:
            var quotient = try Ops.arithmetic(.div, input(0), input(1), node: name)
            if integerDivisions.contains(index) { quotient.storage = quotient.storage.map { $0.rounded(.towardZero) } }
            return [quotient]
        case .conv(let attributes):
            if let value = node.inputs.first, state.chained.remove(value) != nil,
                let done = state.values.removeValue(forKey: value)
            {
                return [done]  // the pointwise Conv before it ran this depthwise one too
            }
            let x = try input(0), weight = try input(1), bias = try optionalInput(2)
            if let chained = try pointwiseDepthwise(
                at: index, x: x, weight: weight, bias: bias, attributes: attributes, state: &state)
            {
                return [chained]
            }
            let transformed = winogradConstant(node.inputs[1], weight, state: state)
            if let residual = try fusableResidual(
                after: index, x: x, weight: weight, bias: bias, attributes: attributes, state: state)
            {
                let activation = fusableActivation(after: residual.add, state: state)
                let output = try Ops.convolution(
                    x, weight: weight, bias: bias, attributes: attributes, activation: activation,
                    residual: residual.operand, winogradWeights: transformed, node: name)
                state.summed.insert(node.outputs[0])
                if activation != nil { state.activated.insert(graph.nodes[residual.add].outputs[0]) }
                return [output]
            }
            let activation = fusableActivation(after: index, state: state)
            let output = try Ops.convolution(
                x, weight: weight, bias: bias, attributes: attributes, activation: activation,
                winogradWeights: transformed, node: name)
            if activation != nil { state.activated.insert(node.outputs[0]) }
            return [output]
        case .maxPool(let attributes):
            return [try Ops.pool(.max, input(0), attributes: attributes, node: name)]
        case .averagePool(let attributes):
            return [try Ops.pool(.average, input(0), attributes: attributes, node: name)]
        case .globalAveragePool:
            return [try Ops.globalPool(.average, input(0), node: name)]
        case .globalMaxPool:
            return [try Ops.globalPool(.max, input(0), node: name)]
        case .batchNormalization(let epsilon):
            let scale = try input(1), bias = try input(2), mean = try input(3), variance = try input(4)
            if let value = node.inputs.first, state.normalized.remove(value) != nil,
                let done = state.values.removeValue(forKey: value)
            {
                return [done]  // the Concat before it wrote X normalized (and clamped, when fused)
            }
            let activation = fusableActivation(after: index, state: state)
            let output: Tensor
            if var x = takeOwnedFirstInput() {
                try Ops.batchNormalization(
                    &x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon,
                    activation: activation, node: name)
                output = x
            } else {  // others still read X: one pass into a new tensor instead of a copy, then a pass
                output = try Ops.batchNormalized(
                    input(0), scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon,
                    activation: activation, node: name)
            }
            if activation != nil { state.activated.insert(node.outputs[0]) }
            return [output]
        case .relu:
            if state.activated.contains(node.inputs[0]) { return [try takeFirstInput()] }  // fused into the Conv
            var x = try takeFirstInput()
            Ops.relu(&x)
            return [x]
        case .clip(let minimum, let maximum):
            if state.activated.contains(node.inputs[0]) { return [try takeFirstInput()] }  // fused into the Conv
            let low = try scalar(1) ?? minimum, high = try scalar(2) ?? maximum
            var x = try takeFirstInput()
            Ops.clip(&x, minimum: low, maximum: high)
            return [x]
        case .leakyRelu(let alpha):
            var x = try takeFirstInput()
            Ops.leakyRelu(&x, alpha: alpha)
            return [x]
        case .sigmoid:
            var x = try takeFirstInput()
            Ops.sigmoid(&x)
            return [x]
        case .tanh:
            var x = try takeFirstInput()
            Ops.tanh(&x)
            return [x]
        case .softmax(let axis):
            var x = try takeFirstInput()
            try Ops.softmax(&x, axis: axis, node: name)
            return [x]
        case .logSoftmax(let axis):
            var x = try takeFirstInput()
            try Ops.logSoftmax(&x, axis: axis, node: name)
            return [x]
        case .flattenedSoftmax(let axis):
            var x = try takeFirstInput()
            try Ops.flattenedSoftmax(&x, axis: axis, node: name)
            return [x]
        case .flattenedLogSoftmax(let axis):
            var x = try takeFirstInput()
            try Ops.flattenedLogSoftmax(&x, axis: axis, node: name)
            return [x]
        case .prelu:
            return [try Ops.prelu(input(0), slope: input(1), node: name)]
        case .softplus:
            var x = try takeFirstInput()
            Ops.softplus(&x)
            return [x]
        case .elu(let alpha):
            var x = try takeFirstInput()
            Ops.exponentialLinear(&x, alpha: alpha)
            return [x]
        case .selu(let alpha, let gamma):
            var x = try takeFirstInput()
            Ops.exponentialLinear(&x, alpha: alpha, gamma: gamma)
            return [x]
        case .flatten(let axis):
            return [try Ops.flatten(input(0), axis: axis, node: name)]
        case .reshape(let allowZero):
            return [try Ops.reshape(input(0), shape: input(1), allowZero: allowZero, node: name)]
        case .concat(let axis):
            let inputs = try node.inputs.indices.map { try input($0) }
            if let normalized = try concatNormalized(inputs, axis: axis, at: index, state: &state) {
                return [normalized]
            }
            return [try Ops.concat(inputs, axis: axis, node: name)]
        case .transpose(let permutation):
            return [try Ops.transpose(input(0), permutation: permutation, node: name)]
        case .squeeze:
            return [try Ops.squeeze(input(0), axes: optionalInput(1), node: name)]
        case .unsqueeze:
            return [try Ops.unsqueeze(input(0), axes: input(1), node: name)]
        case .shape(let start, let end):
            return [Ops.shape(of: try input(0), start: start, end: end)]
        case .gather(let axis):
            return [try Ops.gather(input(0), indices: input(1), axis: axis, node: name)]
        case .pad(let mode):
            let value = try scalar(2) ?? 0
            return [try Ops.pad(input(0), pads: input(1), value: value, axes: optionalInput(3), mode: mode, node: name)]
        case .reduceMean(let axes, let keepDims):
            return [try Ops.reduceMean(input(0), axes: axes, keepDims: keepDims, node: name)]
        case .identity:
            return [try input(0)]
        case .dropout:
            if let trainingMode = try scalar(2), trainingMode != 0 {
                throw GraphError.unsupported(node: name, op: op, detail: "training_mode = true (inference only)")
            }
            let x = try input(0)
            // The optional mask output is all true (1) in inference.
            return node.outputs.count > 1 ? [x, Tensor(shape: x.shape, repeating: 1)] : [x]
        case .constant(let value):
            return [value]
        case .quantizeLinear(let axis, let elementType):
            return [
                try Ops.quantizeLinear(
                    input(0), scale: input(1), zeroPoint: optionalInput(2), axis: axis, elementType: elementType,
                    node: name)
            ]
        case .dequantizeLinear(let axis):
            return [
                try Ops.dequantizeLinear(input(0), scale: input(1), zeroPoint: optionalInput(2), axis: axis, node: name)
            ]
        case .unary, .binary, .variadic, .reduce, .localResponseNormalization, .layerNormalization, .constantOfShape,
            .cast, .expand, .where, .range, .slice, .gatherElements, .tile, .split, .size, .argExtreme, .hardSigmoid,
            .hardSwish, .gelu, .cumulativeSum, .convTranspose, .resize, .instanceNormalization, .groupNormalization,
            .topK, .einsum:
            return try evaluateFamily(node, state: &state)
        }
    }

    /// A Conv's weights transformed once for `WinogradConvolution` when they are a constant (an
    /// initializer or its override), asked for only where that path applies; `nil` otherwise.
    private func winogradConstant(_ name: String, _ weights: Tensor, state: ExecutionState) -> (() -> [Float]?)? {
        guard graph.initializers[name] != nil, state.values[name] == nil else { return nil }
        return { [packedWeights] in packedWeights.winogradWeights(name, weights) }
    }

    /// Gemm's B packed once when it is a constant (an initializer or its override), else `nil`.
    private func packedConstant(
        _ name: String, _ weights: Tensor, attributes: GemmAttributes, state: ExecutionState
    ) -> GEMM.PackedMatrix? {
        guard graph.initializers[name] != nil, state.values[name] == nil, weights.rank == 2 else { return nil }
        let n = attributes.transposeB ? weights.shape[0] : weights.shape[1]
        let k = attributes.transposeB ? weights.shape[1] : weights.shape[0]
        return packedWeights.packed(name, weights, transposed: attributes.transposeB, n: n, k: k)
    }
}
