/// The mean input of one layer over the calibration set, in the form that turns a weight change
/// `ΔW` into the layer's mean output change `E[ΔW·x]` exactly (the layer is linear in its weight).
///
/// | operator | statistic | mean output change of output channel `o` |
/// | --- | --- | --- |
/// | Gemm (`Y = α·op(A)·op(B) + β·C`) | mean row of `op(A)`, `[K]` | `α · Σ_k mean[k] · ΔB(k, o)` |
/// | MatMul (`Y = X·W`, `W` `[K, N]`) | mean of `X` over all but its last axis, `[K]` | `Σ_k mean[k] · ΔW[k, o]` |
/// | Conv (1-D, 2-D, groups, pads, strides, dilations) | mean receptive field, `[C, k…]`: per input channel and kernel tap, the input it reads averaged over samples and output positions (padding reads 0) | `Σ_{c, taps} ΔW[o, c, taps] · mean[group(o)·C/g + c, taps]` |
///
/// Other operators (ConvTranspose, Gather) have no entry: `kind(of:)` is the one place that says
/// which layers bias correction can serve.
struct LayerInputMean: Sendable, Equatable {
    /// How the statistic is laid out.
    enum Kind: Sendable, Equatable {
        /// A mean row of `op(A)`, scaled by `alpha`; `transposeA` reads `A` as `[K, M]`.
        case gemm(alpha: Float, transposeA: Bool, transposeB: Bool)
        /// A mean row of `X`, for a 2-D weight `[K, N]`.
        case matMul
        /// A mean receptive field.
        case conv(ConvAttributes)
    }

    /// The layout.
    var kind: Kind
    /// Running sums (then means) in `Double`.
    var sums: [Double]
    /// Rows or positions observed.
    var count: Int = 0

    /// The operators bias correction serves (ONNX names), the ones `kind(of:in:)` handles.
    static let operators: Set<String> = ["Conv", "Gemm", "MatMul"]

    /// The statistic `layer` needs, or nil when its operator is not one bias correction serves.
    static func kind(of layer: Layer, in graph: Graph) -> Kind? {
        guard Layer.canCorrectBias(opName: layer.opName), layer.weightInputIndex == 1,
            layer.nodeIndex < graph.nodes.count
        else { return nil }
        switch graph.nodes[layer.nodeIndex].op {
        case .gemm(let attributes):
            return .gemm(
                alpha: attributes.alpha, transposeA: attributes.transposeA, transposeB: attributes.transposeB)
        case .matMul: return layer.weightShape.count == 2 ? .matMul : nil
        case .conv(let attributes): return .conv(attributes)
        default: return nil
        }
    }

    /// An empty statistic for a layer whose weight has `weightShape`.
    init(kind: Kind, weightShape: [Int]) {
        self.kind = kind
        switch kind {
        case .gemm(_, _, let transposeB): sums = [Double](repeating: 0, count: weightShape[transposeB ? 1 : 0])
        case .matMul: sums = [Double](repeating: 0, count: weightShape[0])
        case .conv:
            // [C/group, k…] per group: sized on the first observed input, which knows C.
            sums = []
        }
    }

    /// Adds one batch of the layer's input `x` (the node's first input) for a weight `weight`.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `x` does not fit the weight.
    mutating func observe(_ x: Tensor, weight: Tensor, node: String) throws {
        switch kind {
        case .gemm(_, let transposeA, _):
            let k = sums.count
            guard x.rank == 2, x.shape[transposeA ? 0 : 1] == k else {
                throw GraphError.shapeMismatch(node: node, op: "Gemm", detail: "A \(x.shape) for \(k) inputs")
            }
            let rows = x.shape[transposeA ? 1 : 0]
            for row in 0..<rows {
                for column in 0..<k {
                    sums[column] += Double(x.storage[transposeA ? column * rows + row : row * k + column])
                }
            }
            count += rows
        case .matMul:
            let k = sums.count
            guard x.rank >= 1, x.shape[x.rank - 1] == k else {
                throw GraphError.shapeMismatch(node: node, op: "MatMul", detail: "X \(x.shape) for \(k) inputs")
            }
            let rows = x.count / max(k, 1)
            for row in 0..<rows {
                for column in 0..<k { sums[column] += Double(x.storage[row * k + column]) }
            }
            count += rows
        case .conv(let attributes):
            try observeConvolution(x, weight: weight, attributes: attributes, node: node)
        }
    }

    /// Sums, per input channel and kernel tap, the input read at every output position.
    private mutating func observeConvolution(
        _ x: Tensor, weight: Tensor, attributes: ConvAttributes, node: String
    ) throws {
        let problem = try Ops.convolutionProblem(x, weight: weight, bias: nil, attributes: attributes, node: node)
        let (height, width) = problem.window.planeAxes
        let channels = problem.inputChannels
        let taps = height.kernel * width.kernel
        if sums.isEmpty { sums = [Double](repeating: 0, count: channels * taps) }
        guard sums.count == channels * taps else {
            throw GraphError.shapeMismatch(node: node, op: "Conv", detail: "X \(x.shape) changed channels")
        }
        let plane = height.input * width.input
        for n in 0..<problem.batch {
            for c in 0..<channels {
                let base = (n * channels + c) * plane
                for i in 0..<height.kernel {
                    for j in 0..<width.kernel {
                        var sum: Double = 0
                        for oy in 0..<height.output {
                            let y = oy * height.stride - height.padBegin + i * height.dilation
                            guard y >= 0, y < height.input else { continue }
                            let row = base + y * width.input
                            for ox in 0..<width.output {
                                let column = ox * width.stride - width.padBegin + j * width.dilation
                                guard column >= 0, column < width.input else { continue }
                                sum += Double(x.storage[row + column])
                            }
                        }
                        sums[(c * height.kernel + i) * width.kernel + j] += sum
                    }
                }
            }
        }
        count += problem.batch * height.output * width.output
    }

    /// `E[ΔW·x]` per output channel, for the weight change `delta` (the layer's weight shape).
    func meanOutputChange(for delta: Tensor) -> [Float] {
        let divisor = Double(max(count, 1))
        switch kind {
        case .gemm(let alpha, _, let transposeB):
            let k = sums.count
            let outputs = delta.count / max(k, 1)
            return (0..<outputs).map { o in
                var total: Double = 0
                for i in 0..<k {
                    total += sums[i] * Double(delta.storage[transposeB ? o * k + i : i * outputs + o])
                }
                return Float(Double(alpha) * total / divisor)
            }
        case .matMul:
            let k = sums.count
            let outputs = delta.count / max(k, 1)
            return (0..<outputs).map { o in
                var total: Double = 0
                for i in 0..<k { total += sums[i] * Double(delta.storage[i * outputs + o]) }
                return Float(total / divisor)
            }
        case .conv(let attributes):
            let outputs = delta.shape[0]
            let perOutput = delta.count / max(outputs, 1)  // C/group · taps
            let groupSize = outputs / max(attributes.group, 1)
            return (0..<outputs).map { o in
                let offset = (o / max(groupSize, 1)) * perOutput
                var total: Double = 0
                for index in 0..<perOutput {
                    total += sums[offset + index] * Double(delta.storage[o * perOutput + index])
                }
                return Float(total / divisor)
            }
        }
    }
}
