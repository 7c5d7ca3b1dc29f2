/// Multidirectional (NumPy) broadcasting: shape rules and a strided iteration plan.
extension Ops {
    /// The broadcast result shape of `a` and `b`, or `nil` when they are incompatible.
    ///
    /// Shapes are aligned at their trailing axes; each pair of extents must be equal or one
    /// of them 1. `[2, 3, 4]` with `[3, 1]` gives `[2, 3, 4]`; `[2]` with `[3]` fails.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let extentA = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
            let extentB = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
            if extentA == extentB || extentB == 1 {
                result[axis] = extentA
            } else if extentA == 1 {
                result[axis] = extentB
            } else {
                return nil
            }
        }
        return result
    }

    /// Whether `shape` broadcasts to `target` without changing `target` (ONNX "unidirectional").
    static func isUnidirectionallyBroadcastable(_ shape: [Int], to target: [Int]) -> Bool {
        guard shape.count <= target.count else { return false }
        let offset = target.count - shape.count
        for (axis, extent) in shape.enumerated() where extent != 1 && extent != target[axis + offset] {
            return false
        }
        return true
    }

    /// Element strides of an operand of `shape` read as `target`: 0 along broadcast axes.
    static func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
        let own = Tensor.strides(of: shape)
        let offset = target.count - shape.count
        var result = [Int](repeating: 0, count: target.count)
        for axis in 0..<shape.count where shape[axis] == target[axis + offset] && shape[axis] != 1 {
            result[axis + offset] = own[axis]
        }
        return result
    }
}

/// How to walk an output and its broadcast operands: a coalesced shape with per-operand strides.
///
/// Adjacent axes merge whenever every operand steps through them contiguously (or not at all),
/// so `[N, C, H, W] + [1, C, 1, 1]` walks as `[N, C, H·W]` with an inner run of `H·W`.
struct BroadcastPlan {
    /// Coalesced output extents, outermost first; never empty.
    var shape: [Int]
    /// Per operand, its element stride along each coalesced axis (0 = broadcast).
    var strides: [[Int]]

    /// Plans the walk over `target` for operands of the given shapes (each must broadcast to it).
    init(target: [Int], operands: [[Int]]) {
        let operandStrides = operands.map { Ops.broadcastStrides(of: $0, to: target) }
        var mergedShape: [Int] = []
        var mergedStrides: [[Int]] = Array(repeating: [], count: operands.count)
        for axis in 0..<target.count where target[axis] != 1 {
            let extent = target[axis]
            if let last = mergedShape.last,
                operandStrides.indices.allSatisfy({ mergedStrides[$0].last == operandStrides[$0][axis] * extent })
            {
                mergedShape[mergedShape.count - 1] = last * extent
                for operand in operandStrides.indices {
                    mergedStrides[operand][mergedStrides[operand].count - 1] = operandStrides[operand][axis]
                }
            } else {
                mergedShape.append(extent)
                for operand in operandStrides.indices { mergedStrides[operand].append(operandStrides[operand][axis]) }
            }
        }
        if mergedShape.isEmpty {
            mergedShape = [1]
            mergedStrides = Array(repeating: [0], count: operands.count)
        }
        shape = mergedShape
        strides = mergedStrides
    }

    /// Calls `body(offsets, innerCount, innerStrides)` once per innermost run, in row-major order.
    ///
    /// `offsets[i]` is operand `i`'s element offset at the start of the run; the run has
    /// `innerCount` elements and operand `i` advances by `innerStrides[i]` per element.
    func forEachRun(_ body: (_ offsets: [Int], _ innerCount: Int, _ innerStrides: [Int]) -> Void) {
        let rank = shape.count
        let innerCount = shape[rank - 1]
        let innerStrides = strides.map { $0[rank - 1] }
        let outerCount = shape.dropLast().reduce(1, *)
        guard innerCount > 0, outerCount > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: strides.count)
        for _ in 0..<outerCount {
            body(offsets, innerCount, innerStrides)
            // Advance the odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                for operand in strides.indices { offsets[operand] += strides[operand][axis] }
                if index[axis] < shape[axis] { break }
                for operand in strides.indices { offsets[operand] -= strides[operand][axis] * shape[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
