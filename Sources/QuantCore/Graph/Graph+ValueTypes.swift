extension Graph {
    /// The element type of every value that is not float32: graph inputs, initializers
    /// (`initializerTypes`) and the first output of each node by `Operator.resultType`, in
    /// topological order. Tensors hold every type as `Float`; kernels whose result depends on
    /// the type (an integer `Div` truncates) read this.
    ///
    /// - Complexity: O(nodes + values).
    func nonFloatValueTypes() -> [String: ElementType] {
        var types = initializerTypes
        for input in inputs where input.elementType != .float32 { types[input.name] = input.elementType }
        for node in nodes {
            guard let output = node.outputs.first, !output.isEmpty else { continue }
            let type = node.op.resultType(node.inputs.map { types[$0] ?? .float32 })
            types[output] = type == .float32 ? nil : type
        }
        return types
    }
}

extension ElementType {
    /// Whether values of the type are whole numbers (bytes, integers, booleans, packed codes).
    var isInteger: Bool {
        switch self {
        case .float32, .float64: false
        default: true
        }
    }
}
