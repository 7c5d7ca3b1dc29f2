/// The operator kernels the `GraphExecutor` runs, one topic per file (`Ops+Convolution.swift`, …).
///
/// Every kernel works on a whole batch, follows the ONNX operator specification (opset 13
/// unless noted) and reports bad operand shapes as `GraphError.shapeMismatch` naming `node`,
/// never by trapping. Hot loops run on raw buffers; summation orders are fixed, so results
/// are deterministic. Kernels with a fast path (Conv) keep a plain reference beside it.
enum Ops {
    /// A `shapeMismatch` error for `node` running `op`.
    static func mismatch(_ node: String, _ op: String, _ detail: String) -> GraphError {
        .shapeMismatch(node: node, op: op, detail: detail)
    }

    /// The most values one tensor that attributes alone can grow (Pad, Conv, pooling) may hold:
    /// 2^30 float32 values, 4 GiB. Larger shapes come from broken or hostile attributes and are
    /// refused before anything is allocated.
    static let maximumElementCount = 1 << 30

    /// Throws `shapeMismatch` unless `shape` holds at most `maximumElementCount` values.
    static func checkElementCount(_ shape: [Int], node: String, op: String) throws {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(extent, 0))
            guard !overflow, product <= maximumElementCount else {
                throw mismatch(node, op, "shape \(shape) would hold more than \(maximumElementCount) values")
            }
            count = product
        }
    }

    /// Resolves a possibly negative `axis` against `rank` (valid range `-rank..<rank`, or
    /// `-rank...rank` when `allowingEnd`), or throws `shapeMismatch`.
    static func normalizedAxis(
        _ axis: Int, rank: Int, allowingEnd: Bool = false, node: String, op: String
    ) throws -> Int {
        let upper = allowingEnd ? rank : rank - 1
        guard axis >= -rank, axis <= upper else {
            throw mismatch(node, op, "axis \(axis) is out of range for rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// The product of `shape[range]` (1 for an empty range).
    static func product(_ shape: [Int], _ range: Range<Int>) -> Int {
        var result = 1
        for axis in range { result *= shape[axis] }
        return result
    }

    /// Builds a tensor of `shape` whose storage `body` fills completely through a raw pointer.
    ///
    /// `body` must write every one of the `Tensor.elementCount(of: shape)` elements.
    @inline(__always)
    static func makeTensor(
        shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows -> Tensor {
        let count = Tensor.elementCount(of: shape)
        let storage = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try body(buffer)
            initialized = count
        }
        return Tensor(shape: shape, storage: storage)
    }
}
