extension Graph {
    /// The Gather at `index` as a quantizable layer when it looks rows up in a constant float
    /// table (an embedding): the table is an initializer of rank 2 or more read on axis 0, and
    /// nothing else about it is special. Its rows are its output channels (one scale per token
    /// row); it has no bias. Gathers over integer tables (shapes, indices) are not layers.
    func embeddingLayer(_ node: Node, at index: Int, axis: Int) -> Layer? {
        guard node.inputs.count == 2, let tableName = node.inputs.first, let table = initializers[tableName],
            table.rank >= 2, axis == 0 || axis == -table.rank,
            (initializerTypes[tableName] ?? .float32) == .float32 || initializerTypes[tableName] == .float64
        else { return nil }
        return Layer(
            name: node.name.isEmpty ? tableName : node.name, nodeIndex: index, opName: node.op.onnxName,
            weightName: tableName, biasName: nil, weightShape: table.shape, outputChannelAxis: 0,
            weightCount: table.count, biasCount: 0, weightInputIndex: 0)
    }
}
