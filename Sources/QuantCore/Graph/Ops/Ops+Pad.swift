/// Pad: grows (or, with negative amounts, crops) each axis, filling new positions per `PadMode`.
extension Ops {
    /// ONNX Pad (opset 11+ operands; the reader converts older attributes).
    ///
    /// - Parameters:
    ///   - pads: `[x1_begin, x2_begin, …, x1_end, x2_end, …]`, two entries per padded axis.
    ///   - value: the fill of `.constant` mode.
    ///   - axes: the axes `pads` refers to (negative counts from the end); `nil` means all.
    /// Axis of extent 3 padded by (2, 1): output extent 6; input index per output position is
    /// `[c, c, 0, 1, 2, c]` (constant), `[2, 1, 0, 1, 2, 1]` (reflect), `[0, 0, 0, 1, 2, 2]` (edge).
    /// - Throws: `GraphError.shapeMismatch` for a pads count that does not match the axes, a
    ///   negative output extent, or reflect/edge padding of an empty axis.
    static func pad(
        _ x: Tensor, pads: Tensor, value: Float = 0, axes: Tensor? = nil, mode: PadMode, node: String = ""
    ) throws -> Tensor {
        let op = "Pad"
        let amounts = try integers(pads, named: "pads", node: node, op: op)
        var padded = Array(0..<x.rank)
        if let axes {
            padded = try integers(axes, named: "axes", node: node, op: op).map {
                try normalizedAxis($0, rank: x.rank, node: node, op: op)
            }
            guard Set(padded).count == padded.count else {
                throw mismatch(node, op, "axes \(padded) lists an axis twice")
            }
        }
        guard amounts.count == 2 * padded.count else {
            throw mismatch(
                node, op,
                "pads has \(amounts.count) entries, \(2 * padded.count) needed for \(padded.count) axes of \(x.shape)")
        }
        var begins = [Int](repeating: 0, count: x.rank), ends = begins
        for (position, axis) in padded.enumerated() {
            begins[axis] = amounts[position]
            ends[axis] = amounts[position + padded.count]
        }
        var outputExtents: [Int] = []
        for axis in 0..<x.rank {
            let (grown, overflow) = x.shape[axis].addingReportingOverflow(begins[axis])
            let (extent, overflowEnd) = grown.addingReportingOverflow(ends[axis])
            guard !overflow, !overflowEnd else { throw mismatch(node, op, "pads \(amounts) are too large") }
            outputExtents.append(extent)
        }
        try checkElementCount(outputExtents, node: node, op: op)
        // Per axis, the input index read at each output position (−1: the constant).
        var sources: [[Int]] = []
        for axis in 0..<x.rank {
            let extent = x.shape[axis], outputExtent = extent + begins[axis] + ends[axis]
            guard outputExtent >= 0 else {
                throw mismatch(node, op, "pads \(begins[axis]), \(ends[axis]) crop axis \(axis) of \(x.shape) below 0")
            }
            if extent == 0, outputExtent > 0, mode != .constant {
                throw mismatch(node, op, "\(mode.rawValue) padding of axis \(axis), which is empty in \(x.shape)")
            }
            sources.append((0..<outputExtent).map { sourceIndex($0 - begins[axis], extent: extent, mode: mode) })
        }
        let outputShape = sources.map(\.count)
        let strides = x.strides
        var result = Tensor(shape: outputShape, repeating: value)
        guard result.count > 0 else { return result }
        let rowLength = outputShape.last ?? 1
        let innerSources = sources.last ?? [0]
        let outerShape = Array(outputShape.dropLast())
        var index = [Int](repeating: 0, count: outerShape.count)
        for row in 0..<(result.count / rowLength) {
            // The input offset of this output row, or nil when an outer axis lies in the padding.
            var offset: Int? = 0
            for axis in outerShape.indices {
                let source = sources[axis][index[axis]]
                offset = source < 0 ? nil : offset.map { $0 + source * strides[axis] }
            }
            if let offset {
                for (column, source) in innerSources.enumerated() where source >= 0 {
                    result.storage[row * rowLength + column] = x.storage[offset + source]
                }
            }
            var axis = outerShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outerShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// The input index that output position `position − begin` (here `shifted`) reads, or −1.
    private static func sourceIndex(_ shifted: Int, extent: Int, mode: PadMode) -> Int {
        if shifted >= 0 && shifted < extent { return shifted }
        switch mode {
        case .constant:
            return -1
        case .edge:
            return shifted < 0 ? 0 : extent - 1
        case .reflect:
            // Mirror about the border elements: the pattern repeats every 2·(extent − 1).
            guard extent > 1 else { return 0 }
            let period = 2 * (extent - 1)
            let folded = ((shifted % period) + period) % period
            return folded < extent ? folded : period - folded
        }
    }
}
