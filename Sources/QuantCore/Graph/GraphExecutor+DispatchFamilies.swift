/// Evaluating the operators added for model-zoo CNNs and transformer encoders (the table-driven
/// families and the indexing operators); `evaluate` forwards them here.
extension GraphExecutor {
    /// Computes the outputs of `node`, one of the operators listed in `evaluate`'s forwarding case.
    func evaluateFamily(_ node: Node, state: inout ExecutionState) throws -> [Tensor] {
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
        func integers(_ position: Int, _ label: String) throws -> [Int]? {
            try optionalInput(position).map { try Ops.integers($0, named: label, node: name, op: op) }
        }
        func scalar(_ position: Int) throws -> Float {
            let tensor = try input(position)
            guard tensor.count == 1 else {
                throw GraphError.shapeMismatch(
                    node: name, op: op, detail: "input \(position) \(tensor.shape) must be a scalar")
            }
            return tensor.storage[0]
        }

        switch node.op {
        case .unary(let function):
            var x = try input(0)
            Ops.unary(&x, function)
            return [x]
        case .binary(let function):
            return [try Ops.binary(function, input(0), input(1), node: name)]
        case .variadic(let function):
            return [try Ops.variadic(function, node.inputs.indices.map { try input($0) }, node: name)]
        case .reduce(let reduction, let axes, let keepDims):
            // Axes are folded in at load unless the graph computes them (then input 1).
            let runtimeAxes = try integers(1, "axes")
            return [try Ops.reduce(input(0), reduction, axes: runtimeAxes ?? axes, keepDims: keepDims, node: name)]
        case .localResponseNormalization(let size, let alpha, let beta, let bias):
            return [
                try Ops.localResponseNormalization(
                    input(0), size: size, alpha: alpha, beta: beta, bias: bias, node: name)
            ]
        case .layerNormalization(let axis, let epsilon):
            let results = try Ops.layerNormalization(
                input(0), scale: input(1), bias: optionalInput(2), axis: axis, epsilon: epsilon, node: name)
            return Array(results.prefix(max(node.outputs.count, 1)))
        case .constantOfShape(let value, _):
            return [try Ops.constantOfShape(input(0), value: value, node: name)]
        case .cast(let type):
            var x = try input(0)
            Ops.cast(&x, to: type)
            return [x]
        case .expand:
            return [try Ops.expand(input(0), shape: input(1), node: name)]
        case .where:
            return [try Ops.select(input(0), input(1), input(2), node: name)]
        case .range:
            return [try Ops.range(start: scalar(0), limit: scalar(1), delta: scalar(2), node: name)]
        case .slice:
            return [
                try Ops.slice(
                    input(0), starts: integers(1, "starts") ?? [], ends: integers(2, "ends") ?? [],
                    axes: integers(3, "axes"), steps: integers(4, "steps"), node: name)
            ]
        case .gatherElements(let axis):
            return [try Ops.gatherElements(input(0), indices: input(1), axis: axis, node: name)]
        case .tile:
            return [try Ops.tile(input(0), repeats: integers(1, "repeats") ?? [], node: name)]
        case .split(let axis):
            return try Ops.split(
                input(0), axis: axis, sizes: integers(1, "split"), count: node.outputs.count, node: name)
        case .size:
            return [Tensor(scalar: Float(try input(0).count))]
        case .argExtreme(let isMax, let axis, let keepDims, let selectLastIndex):
            return [
                try Ops.argExtreme(
                    input(0), isMax: isMax, axis: axis, keepDims: keepDims, selectLastIndex: selectLastIndex,
                    node: name)
            ]
        case .hardSigmoid(let alpha, let beta):
            var x = try input(0)
            Ops.hardSigmoid(&x, alpha: alpha, beta: beta)
            return [x]
        case .hardSwish:
            var x = try input(0)
            Ops.hardSwish(&x)
            return [x]
        case .gelu(let tanhApproximation):
            var x = try input(0)
            Ops.gelu(&x, tanhApproximation: tanhApproximation)
            return [x]
        case .cumulativeSum(let exclusive, let reverse):
            let axis = try scalar(1)
            return [
                try Ops.cumulativeSum(input(0), axis: Int(axis), exclusive: exclusive, reverse: reverse, node: name)
            ]
        case .convTranspose(let attributes):
            return [
                try Ops.convTranspose(
                    input(0), weight: input(1), bias: optionalInput(2), attributes: attributes, node: name)
            ]
        case .resize(let attributes):
            // Input 1 (roi) only matters for tf_crop_and_resize, which the reader refuses.
            let x = try input(0)
            let scales = try optionalInput(2).map(\.storage)
            let target = try Ops.resizeTarget(
                x.shape, scales: scales, sizes: integers(3, "sizes"), attributes: attributes, node: name)
            return [Ops.resize(x, extents: target.extents, scales: target.scales, attributes: attributes)]
        case .instanceNormalization(let epsilon):
            return [
                try Ops.instanceNormalization(input(0), scale: input(1), bias: input(2), epsilon: epsilon, node: name)
            ]
        case .groupNormalization(let groups, let epsilon, let perChannelAffine):
            return [
                try Ops.groupNormalization(
                    input(0), scale: input(1), bias: input(2), groups: groups, epsilon: epsilon,
                    perChannelAffine: perChannelAffine, node: name)
            ]
        case .topK(let axis, let largest, _):
            guard let k = try integers(1, "K"), k.count == 1 else {
                throw GraphError.shapeMismatch(node: name, op: op, detail: "K must hold one integer")
            }
            return try Ops.topK(input(0), k: k[0], axis: axis, largest: largest, node: name)
        case .einsum(let equation):
            return [try Ops.einsum(node.inputs.indices.map { try input($0) }, equation: equation, node: name)]
        default:
            throw GraphError.unsupported(node: name, op: op, detail: "not an operator of this table")
        }
    }
}
