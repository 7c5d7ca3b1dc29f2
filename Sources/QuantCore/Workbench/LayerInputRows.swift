/// A bounded, uniform sample of the rows one layer multiplies its weight with, over the
/// calibration set: what learned rounding minimises the layer's output error on.
///
/// | operator | one row | `groups` |
/// | --- | --- | --- |
/// | Gemm (`Y = α·op(A)·op(B) + β·C`) | a row of `op(A)` times `α`, `[K]` | 1 |
/// | MatMul (`Y = X·W`, `W` `[K, N]`) | a row of `X` (all but the last axis flattened), `[K]` | 1 |
/// | Conv (1-D, 2-D, groups, pads, strides, dilations) | the receptive field of one output position, per group `[C/g, k…]` (im2col; padding reads 0) | `g` |
///
/// Rows are kept by reservoir sampling (a seeded `SplitMix64`, so the same calibration set gives
/// the same sample) until `capacity` rows: at most `maximumRows` and at most `maximumValues`
/// values per layer (16 MiB), but never fewer than `minimumRows`. A convolution position keeps
/// one row per group. `LayerInputMean.kind(of:in:)` says which layers have rows.
struct LayerInputRows: Sendable {
    /// The most rows kept per layer.
    static let maximumRows = 1024
    /// The fewest rows kept per layer, however wide its rows.
    static let minimumRows = 128
    /// The most values (rows × groups × width) kept per layer: 4 Mi floats, 16 MiB.
    static let maximumValues = 1 << 22

    /// The layout.
    let kind: LayerInputMean.Kind
    /// Values per row (per group).
    private(set) var width = 0
    /// Rows per sampled position (convolution groups; 1 otherwise).
    private(set) var groups = 1
    /// The most rows kept.
    private(set) var capacity = 0
    /// Rows kept, `[groups][capacity][width]` (only the first `count` rows of each group are set).
    private(set) var values: [Float] = []
    /// Rows kept so far (≤ `capacity`).
    private(set) var count = 0
    /// Rows seen so far.
    private(set) var seen = 0
    private var generator: SplitMix64

    /// An empty sample for a layer of `kind`, drawing with `seed`.
    init(kind: LayerInputMean.Kind, seed: UInt64 = 0x4164_6152_6F75_6E64) {
        self.kind = kind
        generator = SplitMix64(seed: seed)
    }

    /// The kept rows of group `group`, `[count][width]`.
    func rows(ofGroup group: Int) -> ArraySlice<Float> {
        let start = group * capacity * width
        return values[start..<(start + count * width)]
    }

    /// Sizes the sample on the first batch.
    private mutating func prepare(width: Int, groups: Int, node: String, op: String) throws {
        if capacity == 0 {
            self.width = width
            self.groups = groups
            capacity = max(
                LayerInputRows.minimumRows,
                min(LayerInputRows.maximumRows, LayerInputRows.maximumValues / max(width * groups, 1)))
            values = [Float](repeating: 0, count: capacity * width * groups)
        }
        guard self.width == width, self.groups == groups else {
            throw GraphError.shapeMismatch(node: node, op: op, detail: "input rows changed width")
        }
    }

    /// The slot the next seen row goes to, or nil when the reservoir skips it.
    private mutating func nextSlot() -> Int? {
        seen += 1
        if count < capacity {
            count += 1
            return count - 1
        }
        let slot = Int(generator.next() % UInt64(seen))
        return slot < capacity ? slot : nil
    }

    /// Adds one batch of the layer's input `x` (the node's first input) for a weight `weight`.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `x` does not fit the weight.
    mutating func observe(_ x: Tensor, weight: Tensor, node: String) throws {
        switch kind {
        case .gemm(let alpha, let transposeA, let transposeB):
            let k = weight.shape[transposeB ? 1 : 0]
            guard x.rank == 2, x.shape[transposeA ? 0 : 1] == k else {
                throw GraphError.shapeMismatch(node: node, op: "Gemm", detail: "A \(x.shape) for \(k) inputs")
            }
            try prepare(width: k, groups: 1, node: node, op: "Gemm")
            let rows = x.shape[transposeA ? 1 : 0]
            for row in 0..<rows {
                guard let slot = nextSlot() else { continue }
                for column in 0..<k {
                    values[slot * k + column] = alpha * x.storage[transposeA ? column * rows + row : row * k + column]
                }
            }
        case .matMul:
            let k = weight.shape[0]
            guard x.rank >= 1, x.shape[x.rank - 1] == k else {
                throw GraphError.shapeMismatch(node: node, op: "MatMul", detail: "X \(x.shape) for \(k) inputs")
            }
            try prepare(width: k, groups: 1, node: node, op: "MatMul")
            for row in 0..<(x.count / max(k, 1)) {
                guard let slot = nextSlot() else { continue }
                for column in 0..<k { values[slot * k + column] = x.storage[row * k + column] }
            }
        case .conv(let attributes):
            try observeConvolution(x, weight: weight, attributes: attributes, node: node)
        }
    }

    /// Keeps the receptive fields of sampled output positions, one row per group.
    private mutating func observeConvolution(
        _ x: Tensor, weight: Tensor, attributes: ConvAttributes, node: String
    ) throws {
        let problem = try Ops.convolutionProblem(x, weight: weight, bias: nil, attributes: attributes, node: node)
        let (height, width) = problem.window.planeAxes
        let perGroup = problem.inputChannelsPerGroup
        let taps = height.kernel * width.kernel
        try prepare(width: perGroup * taps, groups: problem.group, node: node, op: "Conv")
        let plane = height.input * width.input
        let rowWidth = perGroup * taps
        for n in 0..<problem.batch {
            for oy in 0..<height.output {
                for ox in 0..<width.output {
                    guard let slot = nextSlot() else { continue }
                    for g in 0..<problem.group {
                        let rowStart = (g * capacity + slot) * rowWidth
                        for c in 0..<perGroup {
                            let base = (n * problem.inputChannels + g * perGroup + c) * plane
                            for i in 0..<height.kernel {
                                let y = oy * height.stride - height.padBegin + i * height.dilation
                                for j in 0..<width.kernel {
                                    let column = ox * width.stride - width.padBegin + j * width.dilation
                                    let inside = y >= 0 && y < height.input && column >= 0 && column < width.input
                                    values[rowStart + (c * height.kernel + i) * width.kernel + j] =
                                        inside ? x.storage[base + y * width.input + column] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The flat weight index of output `output` (within group `group`) and row entry `k`, for a
    /// weight of `weightShape`.
    func weightIndex(group: Int, output: Int, k: Int, weightShape: [Int]) -> Int {
        switch kind {
        case .gemm(_, _, let transposeB):
            return transposeB ? output * width + k : k * weightShape[1] + output
        case .matMul:
            return k * weightShape[1] + output
        case .conv:
            let perGroup = weightShape[0] / max(groups, 1)
            return (group * perGroup + output) * width + k
        }
    }

    /// Outputs per group for a weight of `weightShape`.
    func outputsPerGroup(weightShape: [Int]) -> Int {
        switch kind {
        case .gemm(_, _, let transposeB): weightShape[transposeB ? 0 : 1]
        case .matMul: weightShape[1]
        case .conv: weightShape[0] / max(groups, 1)
        }
    }
}
