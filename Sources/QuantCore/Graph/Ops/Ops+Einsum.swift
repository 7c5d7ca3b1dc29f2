/// Einsum over one or two operands, as a sum, a transpose and one batched MatMul.
extension Ops {
    /// ONNX Einsum for the forms `EinsumEquation` accepts.
    ///
    /// Labels an operand has alone and the output lacks are summed out first. One operand is
    /// then transposed to the output's order. Two operands are arranged as
    /// `[batch…, A-only…, contracted…]` and `[batch…, contracted…, B-only…]`, multiplied as
    /// `[batch…, M, K] × [batch…, K, N]` (batch axes broadcast, as `...` does) and transposed to
    /// the output's order. `bhid,bhjd->bhij` is thus a batched `Q · Kᵀ`.
    /// - Throws: `GraphError.shapeMismatch` when the operands do not fit the equation.
    static func einsum(_ operands: [Tensor], equation: EinsumEquation, node: String) throws -> Tensor {
        let op = "Einsum"
        let text = equation.text
        guard operands.count == equation.operands.count else {
            throw mismatch(
                node, op, "equation '\(text)' has \(equation.operands.count) operands, the node \(operands.count)")
        }
        let ellipsis = EinsumEquation.ellipsis
        // How many axes each operand's `...` stands for; the widest sets the output's.
        var ellipsisRanks: [Int] = []
        for (position, term) in equation.operands.enumerated() {
            let named = term.filter { $0 != ellipsis }.count
            let extra = operands[position].rank - named
            guard extra >= 0, extra == 0 || term.contains(ellipsis) else {
                throw mismatch(
                    node, op, "operand \(position) \(operands[position].shape) does not fit equation '\(text)'")
            }
            ellipsisRanks.append(extra)
        }
        let ellipsisRank = ellipsisRanks.max() ?? 0
        // Labels as integers: letters by code point, the `...` axes as 1000 + position (right-aligned).
        func expand(_ term: [Character], ownRank: Int) -> [Int] {
            term.flatMap { label -> [Int] in
                label == ellipsis
                    ? Array((1000 + ellipsisRank - ownRank)..<(1000 + ellipsisRank))
                    : [Int(label.unicodeScalars.first?.value ?? 0)]
            }
        }
        var labels: [[Int]] = []
        var tensors: [Tensor] = []
        for (position, term) in equation.operands.enumerated() {
            // A shorter `...` gains leading axes of extent 1, so both operands carry every batch label.
            let own = ellipsisRanks[position], missing = ellipsisRank - own
            var shape = operands[position].shape
            if term.contains(ellipsis), missing > 0, let at = term.firstIndex(of: ellipsis) {
                shape.insert(contentsOf: [Int](repeating: 1, count: missing), at: at)
            }
            labels.append(expand(term, ownRank: term.contains(ellipsis) ? ellipsisRank : 0))
            tensors.append(operands[position].reshaped(shape))
        }
        let output = expand(equation.output, ownRank: ellipsisRank)
        // Sum out what only one operand has and the output lacks.
        for position in tensors.indices {
            let others = Set(labels.enumerated().filter { $0.offset != position }.flatMap(\.element))
            let summed = labels[position].indices.filter {
                !output.contains(labels[position][$0]) && !others.contains(labels[position][$0])
            }
            guard !summed.isEmpty else { continue }
            tensors[position] = try reduce(tensors[position], .sum, axes: summed, keepDims: false, node: node)
            labels[position] = labels[position].enumerated().filter { !summed.contains($0.offset) }.map(\.element)
        }
        func permuted(_ tensor: Tensor, from current: [Int], to order: [Int]) throws -> Tensor {
            let permutation = order.compactMap { current.firstIndex(of: $0) }
            return permutation == Array(current.indices)
                ? tensor : try transpose(tensor, permutation: permutation, node: node)
        }
        if tensors.count == 1 { return try permuted(tensors[0], from: labels[0], to: output) }

        let (a, b) = (tensors[0], tensors[1])
        let (labelsA, labelsB) = (labels[0], labels[1])
        let batch = output.filter { labelsA.contains($0) && labelsB.contains($0) }
        let onlyA = labelsA.filter { output.contains($0) && !labelsB.contains($0) }
        let onlyB = labelsB.filter { output.contains($0) && !labelsA.contains($0) }
        let contracted = labelsA.filter { labelsB.contains($0) && !output.contains($0) }
        func extent(_ tensor: Tensor, _ labels: [Int], _ label: Int) -> Int {
            labels.firstIndex(of: label).map { tensor.shape[$0] } ?? 1
        }
        for label in contracted where extent(a, labelsA, label) != extent(b, labelsB, label) {
            throw mismatch(node, op, "operands \(a.shape) and \(b.shape) disagree on a summed axis of '\(text)'")
        }
        let m = onlyA.reduce(1) { $0 * extent(a, labelsA, $1) }
        let n = onlyB.reduce(1) { $0 * extent(b, labelsB, $1) }
        let k = contracted.reduce(1) { $0 * extent(a, labelsA, $1) }
        let left = try permuted(a, from: labelsA, to: batch + onlyA + contracted)
            .reshaped(batch.map { extent(a, labelsA, $0) } + [m, k])
        let right = try permuted(b, from: labelsB, to: batch + contracted + onlyB)
            .reshaped(batch.map { extent(b, labelsB, $0) } + [k, n])
        let product = try matMul(left, right, node: node)
        let resultShape =
            Array(product.shape.prefix(batch.count)) + onlyA.map { extent(a, labelsA, $0) }
            + onlyB.map { extent(b, labelsB, $0) }
        return try permuted(product.reshaped(resultShape), from: batch + onlyA + onlyB, to: output)
    }
}
