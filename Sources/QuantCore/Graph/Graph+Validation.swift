extension Graph {
    /// The graph with its nodes in topological order, after checking that every reference resolves.
    ///
    /// Checks, in this order:
    /// 1. every value name is produced once (graph inputs, initializers, node outputs);
    /// 2. every non-empty node input names a graph input, an initializer or a node output;
    /// 3. the nodes can be ordered so each runs after the producers of its inputs; among nodes
    ///    that are ready at the same time, file order is kept (a stable Kahn sort), so an
    ///    already sorted graph comes back unchanged;
    /// 4. every graph output is produced.
    ///
    /// - Throws: `GraphError.duplicateValue`, `.unknownValue`, `.cycle` or `.missingOutput`.
    /// - Complexity: O(n log n + e) for n nodes and e node inputs (plus insertion into the
    ///   ready list, which is O(n) per node in the worst case).
    public func validated() throws -> Graph {
        var producer: [String: Int] = [:]  // value name → producing node index, −1 for inputs/initializers
        for input in inputs {
            guard producer.updateValue(-1, forKey: input.name) == nil else {
                throw GraphError.duplicateValue(input.name)
            }
        }
        for name in initializers.keys.sorted() {
            guard producer.updateValue(-1, forKey: name) == nil else { throw GraphError.duplicateValue(name) }
        }
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                guard producer.updateValue(index, forKey: output) == nil else {
                    throw GraphError.duplicateValue(output)
                }
            }
        }

        // Edges between nodes: dependents[p] lists the nodes reading an output of p.
        var dependents = [[Int]](repeating: [], count: nodes.count)
        var pendingCount = [Int](repeating: 0, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            var seen = Set<Int>()
            for input in node.inputs where !input.isEmpty {
                guard let source = producer[input] else {
                    throw GraphError.unknownValue(node: node.displayName, value: input)
                }
                if source >= 0, seen.insert(source).inserted {
                    dependents[source].append(index)
                    pendingCount[index] += 1
                }
            }
        }

        var ready = nodes.indices.filter { pendingCount[$0] == 0 }  // kept sorted ascending
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        var cursor = 0
        while cursor < ready.count {
            let next = ready[cursor]
            cursor += 1
            order.append(next)
            for dependent in dependents[next] {
                pendingCount[dependent] -= 1
                if pendingCount[dependent] == 0 {
                    ready.insertSorted(dependent, from: cursor)
                }
            }
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.filter { pendingCount[$0] > 0 }.map { nodes[$0].displayName }
            throw GraphError.cycle(nodes: stuck)
        }

        for output in outputs where producer[output.name] == nil {
            throw GraphError.missingOutput(output.name)
        }

        var sorted = self
        sorted.nodes = order.map { nodes[$0] }
        return sorted
    }
}

extension Node {
    /// The name used in messages: the node name, else its first output, else its operator.
    var displayName: String {
        if !name.isEmpty { return name }
        if let output = outputs.first(where: { !$0.isEmpty }) { return output }
        return "unnamed \(op.onnxName)"
    }
}

extension Array where Element == Int {
    /// Inserts `value` into the ascending tail `self[start...]`, keeping that tail sorted.
    fileprivate mutating func insertSorted(_ value: Int, from start: Int) {
        var low = start, high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        insert(value, at: low)
    }
}
